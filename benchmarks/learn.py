"""Learning curves for spinner profiles, and profile-match accuracy.

    python benchmarks/learn.py                 # everything (about 3-4 minutes on one core)
    python benchmarks/learn.py --quick         # fewer documents, fewer spinners
    python benchmarks/learn.py --real --loop --no-match --skip-sim   # real engines, the loop
    python benchmarks/learn.py --loop --neural --no-match --skip-sim # the loop with stage 5c
    python benchmarks/learn.py --no-pairs --no-match --skip-sim      # learning without pairs
    python benchmarks/learn.py --no-pairs --no-pairs-previous --no-match --skip-sim   # and the previous thresholds

Prints, for each simulated spinner (`despin.spin` presets on news-dev articles)
and for the dev pairs (nlpaug WordNet, a real third-party spinner): WER before and
after restoration and the false-change rate on held-out documents, after learning
from 0, 10, 30, 100, 300 pairs. Then profile-match accuracy among several simulated
spinners (different presets, thesauri, rates and seeds) plus the dev spinner.

Restoration is measured with ``--engine profile`` (default: `despin.profile.
restore_with_profile`, the profile alone, no lexicon, no language model) or
``--engine check`` (`despin.check(text, profile=...)`, the core detector with the
profile; with 0 pairs this is the detector alone, i.e. the baseline). Metric
definitions follow issue 3: tokens by `despin.tokenize`, WER = word Levenshtein /
original tokens pooled, wer_reduction = 1 - after/before, false_change =
WER(restore(original), original). Needs ../shared/data (skips what is absent).
"""
from __future__ import annotations

import argparse
import os
import json
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# The table-alone rows patch the detector (without_habits): that reaches it only as Python.
os.environ.setdefault("DESPIN_PURE_PYTHON", "1")

from despin.evaluate import Pair, evaluate  # noqa: E402
from despin.learn import learn_pairs  # noqa: E402
from despin.profile import Profile, match, restore_with_profile  # noqa: E402
from despin.report import Report, empty_report  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CURVE = (0, 10, 30, 100, 300)


# ------------------------------------------------------------------------- metrics
Checker = Callable[[str], Report]


def without_habits():  # type: ignore[no-untyped-def]
    """Context manager: `check --profile` without the habits prior (the detector's
    `_weighted_by_habits` made a no-op), for the table-alone row. Patching reaches the
    detector only when it runs as Python: the benchmark sets DESPIN_PURE_PYTHON=1."""
    import contextlib

    from despin.detector import candidates

    @contextlib.contextmanager
    def patched():  # type: ignore[no-untyped-def]
        original = candidates._weighted_by_habits
        candidates._weighted_by_habits = lambda phrase, cands, profiles: cands
        try:
            yield
        finally:
            candidates._weighted_by_habits = original

    return patched()


def make_checker(engine: str, profile: Profile | None, resources: tuple[str, ...] | None) -> Checker:
    """The restorer under test, as the evaluator's checker (text -> Report)."""
    if engine == "check":
        hooked = make_checker("check-habits", profile, resources)

        def table_alone(text: str) -> Report:
            with without_habits():
                return hooked(text)

        return table_alone
    if engine == "profile":
        if profile is None:
            return empty_report  # no profile, no changes: the 0-pair point of the curve
        return lambda text: restore_with_profile(text, profile)
    import despin
    from despin.config import Config

    cfg = Config(resources=resources) if resources else Config()
    return lambda text: despin.check(text, profile=profile, config=cfg)  # check-habits: the detector's own hook


def curve(name: str, originals: list[str], spun: list[str], train: int, test: slice, engine: str,
          resources: tuple[str, ...] | None, note: str = "") -> list[dict[str, object]]:
    rows = []
    pairs = [Pair(str(i), o, s) for i, (o, s) in enumerate(zip(originals[test], spun[test]))]
    for k in CURVE:
        if k > train:
            continue
        t0 = time.perf_counter()
        profile = learn_pairs(zip(originals[:k], spun[:k]), name=f"{name}@{k}") if k else None
        t_learn = time.perf_counter() - t0
        m, _ = evaluate(pairs, make_checker(engine, profile, resources))
        row = {
            "spinner": name, "pairs": k, "engine": engine, "entries": profile.n_entries if profile else 0,
            "coverage": round(profile.coverage, 4) if profile else 0.0,
            **m.to_dict(), "learn_s": round(t_learn, 2), "note": note,
        }
        rows.append(row)
        print(f"{name:26s} {k:5d} {row['entries']:7d} {m.wer_before:8.4f} {m.wer_after:8.4f} "
              f"{m.wer_reduction:7.1%} {m.false_change:9.3%} {m.loc_p:6.3f} {m.loc_r:6.3f}  {note}", flush=True)
    return rows


def oracle_ceiling(profile: Profile, pairs: list[Pair]) -> dict[str, float]:
    """What a perfect user of ``profile`` could reach on ``pairs``: every gold substitution whose
    (spun -> original) mapping the profile holds is found and restored right (perfect detection,
    perfect choice between several originals); nothing else changes. An upper bound for any
    lookup-table restorer learned from the same pairs.

    Gold substitutions are the evaluator's (difflib opcodes on word tokens); a block of equal
    length is restored word by word (as the learner splits it), any other block as one phrase.
    """
    from despin.evaluate import gold_changes, token_strings, word_edit_distance

    def known(spun: list[str], orig: list[str]) -> bool:
        origs = profile.entries.get(" ".join(spun).lower(), {})
        return " ".join(orig).lower() in origs

    before = after = n_orig = subs = subs_known = 0
    for pair in pairs:
        s_tok, o_tok = token_strings(pair.spun), token_strings(pair.original)
        _, ops = gold_changes(s_tok, o_tok)
        restored: list[str] = []
        last = 0
        for i1, i2, j1, j2 in ops:
            restored += s_tok[last:i1]
            last = i2
            spun_part, orig_part = s_tok[i1:i2], o_tok[j1:j2]
            if i2 - i1 == j2 - j1:
                for a, b in zip(spun_part, orig_part):
                    subs += 1
                    ok = known([a], [b])
                    subs_known += ok
                    restored.append(b if ok else a)
            else:
                subs += 1
                ok = bool(spun_part and orig_part) and known(spun_part, orig_part)
                subs_known += ok
                restored += orig_part if ok else spun_part
        restored += s_tok[last:]
        n_orig += len(o_tok)
        before += word_edit_distance(s_tok, o_tok)
        after += word_edit_distance(restored, o_tok)
    return {"wer_before": before / max(1, n_orig), "wer_after": after / max(1, n_orig),
            "wer_reduction": 1 - after / max(1, before), "known_share": subs_known / max(1, subs)}


def oracle_section(curve_spinners: list[tuple[str, str, float, int]], spun_cache: dict, articles: list[str],
                   train: int, test: slice) -> list[dict[str, object]]:
    """The ceiling of table learning: ``oracle_ceiling`` after 100 and 300 pairs, per spinner."""
    print("\noracle ceiling (perfect detection and choice among the profile's originals; unseen mappings stay):")
    print(f"{'spinner':26s} {'pairs':>5s} {'known':>7s} {'wer_aft':>8s} {'reduct':>7s}")
    rows = []
    for spec in curve_spinners:
        spun = spun_cache[spec]
        name = "/".join(map(str, (spec[0], spec[1], f"s{spec[3]}")))
        pairs = [Pair(str(i), o, s) for i, (o, s) in enumerate(zip(articles[test], spun[test]))]
        for k in (100, 300):
            if k > train:
                continue
            profile = learn_pairs(zip(articles[:k], spun[:k]), name=f"{name}@{k}")
            r = oracle_ceiling(profile, pairs)
            rows.append({"spinner": name, "pairs": k, "engine": "oracle", **r})
            print(f"{name:26s} {k:5d} {r['known_share']:7.1%} {r['wer_after']:8.4f} {r['wer_reduction']:7.1%}",
                  flush=True)
    return rows


def load_articles(n: int) -> list[str]:
    path = DATA / "news-dev" / "articles.jsonl"
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            out.append(json.loads(line)["text"])
            if len(out) >= n:
                break
    return out


def spin_all(preset: str, resource: str, rate: float, seed: int, texts: list[str]) -> list[str]:
    from despin.spin import Spinner, Thesaurus

    sp = Spinner(preset, Thesaurus.from_lexicon(resource), rate=rate, seed=seed)
    return [sp.spin(t).spun for t in texts]


def other_resource(resource: str) -> str:
    return "moby" if resource == "wordnet" else "wordnet"


def unpaired_section(articles: list[str], test: slice, spun: list[str],
                     spec: tuple[str, str, float, int], engine: str) -> list[dict[str, object]]:
    """Learn without pairs from 1,000 spun documents and unrelated clean ones; restore held-out docs."""
    from despin.learn import learn_unpaired, lexicon_candidates
    from despin.profile import with_fallback

    preset, resource, rate, seed = spec
    corpus = load_articles(3000)
    spun_corpus = spin_all(preset, resource, rate, seed, corpus[400:1400])  # docs disjoint from train/test
    clean = corpus[1400:]
    pairs = [Pair(str(i), o, s) for i, (o, s) in enumerate(zip(articles[test], spun[test]))]
    paired = learn_pairs(zip(articles[:100], spun[:100]), name="paired100")
    rows = []
    print()
    print(f"unpaired learning: {preset}/{resource}/s{seed}, 1000 spun docs + {len(clean)} clean docs, no pairs")
    for sources, label in (((other_resource(resource),), "cross-resource"), ((resource,), "same-resource (optimistic)")):
        t0 = time.perf_counter()
        guess = learn_unpaired(spun_corpus, clean, lexicon_candidates(sources), name=f"unpaired/{sources[0]}")
        t_learn = time.perf_counter() - t0
        for name, prof in ((f"unpaired ({label})", guess), (f"100 pairs + unpaired ({label})", with_fallback(paired, guess))):
            m, _ = evaluate(pairs, make_checker(engine, prof, (other_resource(resource),)))
            rows.append({"spinner": f"{preset}/{resource}/s{seed}", "profile": name, "entries": prof.n_entries,
                         "learn_s": round(t_learn, 1), **m.to_dict()})
            print(f"  {name:44s} entries {prof.n_entries:5d}  wer_reduction {m.wer_reduction:6.1%}  "
                  f"false_change {m.false_change:.3%}  loc_p {m.loc_p:.3f} loc_r {m.loc_r:.3f}  "
                  f"(learned in {t_learn:.0f} s)", flush=True)
    return rows


def real_section(engines: list[str], n_test: int) -> list[dict[str, object]]:
    """Real spinner engines (real-engines-dev): learn from the first k pairs, test on pairs 100-299.

    Those pairs are used only to measure (training pairs of the benchmark, as a user would
    learn from their own traced pairs), never as a resource.
    """
    rows_out: list[dict[str, object]] = []
    folder = DATA / "real-engines-dev"
    print(f"\nreal engines (real-engines-dev, dev-set): train on pairs 0..k-1, test on {n_test} of pairs 100-299")
    for path in sorted(folder.glob("*.jsonl")):
        recs = [json.loads(line) for line in open(path, encoding="utf-8")]
        o, s = [r["original"] for r in recs], [r["spun"] for r in recs]
        test = slice(100, 100 + n_test)
        pairs = [Pair(str(i), a, b) for i, (a, b) in enumerate(zip(o[test], s[test]))]
        for engine in engines:
            rows_out += curve(f"real:{path.stem[:20]}", o, s, 100, test, engine, None, f"engine {engine}")
        for k in (30, 100):
            r = oracle_ceiling(learn_pairs(zip(o[:k], s[:k])), pairs)
            rows_out.append({"spinner": path.stem, "pairs": k, "engine": "oracle", **r})
            print(f"real:{path.stem[:20]:21s} {k:5d} oracle: known {r['known_share']:.1%}, "
                  f"WER reduction {r['wer_reduction']:.1%}", flush=True)
    return rows_out


def no_pairs_sets(limit: int) -> list[tuple[str, list[tuple[str, str]], list[str], str | None]]:
    """The no-pairs sets: (name, [(original, spun)], clean texts, left-out lexicon family).

    Tuning: the `dictionary` preset (`despin.spin_dictionary`) from moby and from wordnet on
    news-dev rows 2000+ (not rows 5, 15, ...), despin without that resource's family. Measure
    only: the two real engines (real-engines-dev). Clean text: every other news-dev article.
    """
    from despin.spin_dictionary import dictionary_pairs

    news = [json.loads(line) for line in open(DATA / "news-dev" / "articles.jsonl", encoding="utf-8")]
    out: list[tuple[str, list[tuple[str, str]], list[str], str | None]] = []
    rows = [k for k in range(2000, len(news)) if k % 10 != 5][:limit]
    chosen = set(rows)
    clean = [news[k]["title"] + "\n\n" + news[k]["text"] for k in range(len(news)) if k not in chosen]
    for resource in ("moby", "wordnet"):
        recs = dictionary_pairs(resource, [(news[k]["id"], news[k]["text"]) for k in rows], rate=0.3, seed=0)
        out.append((f"dictionary/{resource} (despin without it)", [(r["original"], r["spun"]) for r in recs],
                    clean, resource))
    for path in sorted((DATA / "real-engines-dev").glob("*.jsonl")):
        recs = [json.loads(line) for line in open(path, encoding="utf-8")][:limit]
        ids = {r["id"] for r in recs}
        out.append((f"real:{path.stem[:24]} (measure only)", [(r["original"], r["spun"]) for r in recs],
                    [a["title"] + "\n\n" + a["text"] for a in news if a["id"] not in ids], None))
    return out


# The previous release's (55d4c15) learner, on this code: words only, no spun phrases
# ("get over" for "share") learned as one type, and a context bar of 1.5 nats.
# `--no-pairs-previous` measures it in the same run, on the same copies.
PREVIOUS_UNPAIRED = {"phrase_words": 1, "min_gain": 1.5}


def no_pairs_section(limit: int, previous: bool = False) -> list[dict[str, object]]:
    """`despin learn --spun COPIES --clean CLEAN` then `check --profile` on the same copies,
    against `check` alone; false change = check --profile on the clean originals. Each
    spinner three times: the profile as `despin learn --spun --clean` writes it (with the
    corpus anchors of a first `check` pass over the copies); "[no anchors]", without them
    (the learner of the releases before); and "[anchors alone]", what `despin learn --spun`
    writes without clean text. With ``previous``, also the learner's earlier settings
    (`PREVIOUS_UNPAIRED`), as a row each."""
    import despin
    from despin.config import Config
    from despin.lexicon import DEFAULT_SOURCES, SOURCES, without_family
    from despin.learn import UnpairedSettings, corpus_anchors, learn_unpaired, lexicon_candidates

    variants = [("", UnpairedSettings())]
    if previous:
        variants.append((" [previous]", UnpairedSettings(**PREVIOUS_UNPAIRED)))  # type: ignore[arg-type]
    rows_out: list[dict[str, object]] = []
    print(f"\nno pairs: {limit} copies of one spinner + the other news-dev articles as clean text; "
          "learn, then check --profile on the same copies")
    print(f"{'spinner':54s} {'entries':>7s} {'anchors':>8s} {'precision':>9s} {'tok_prec':>8s} {'check':>7s} {'+profile':>8s} "
          f"{'gain':>6s} {'fc_check':>8s} {'fc_prof':>8s} {'learn_s':>7s}")
    for name, pairs, clean, family in no_pairs_sets(limit):
        detector = without_family(DEFAULT_SOURCES, family) if family else DEFAULT_SOURCES
        learner = without_family(SOURCES, family) if family else SOURCES
        test = [Pair(str(i), o, s) for i, (o, s) in enumerate(pairs)]
        cfg = Config(resources=detector)
        alone, _ = evaluate(test, lambda t: despin.check(t, config=cfg))
        gold = learn_pairs(pairs, name="gold")  # measure only: how many learned entries are right
        for suffix, settings in variants:
            t0 = time.perf_counter()
            prof = learn_unpaired([s for _, s in pairs], clean, lexicon_candidates(learner), name="guessed",
                                  settings=settings)
            t_learn = time.perf_counter() - t0
            # What `despin learn --spun` adds by default: a first `check` pass over the copies,
            # whose restorations made the same way in several copies become the anchors.
            t0 = time.perf_counter()
            anchors = corpus_anchors(despin.check(s, config=cfg) for _, s in pairs)
            t_anchors = time.perf_counter() - t0
            right = sum(1 for s, origs in prof.entries.items() for o in origs if o in gold.entries.get(s, {}))
            subs = sum(o.count for origs in prof.entries.values() for o in origs.values())
            right_tok = sum(o.count for s, origs in prof.entries.items() for o in origs.values()
                            if o.text in gold.entries.get(s, {}))
            alone_anchors = Profile(name="anchors", max_ngram=1, entries={}, anchors=anchors)
            anchors_right = sum(1 for w, a in anchors.items() if a.word in gold.entries.get(w, {}))
            for label, kept in (" [no anchors]", {}), ("", anchors), (" [anchors alone: no clean text]", anchors):
                if suffix and label != " [no anchors]":
                    continue  # the previous learner is measured as it was, without anchors
                prof.anchors = kept
                only = label.startswith(" [anchors alone")
                used = alone_anchors if only else prof
                withp, _ = evaluate(test, lambda t: despin.check(t, profile=used, config=cfg))
                row = {"spinner": name + suffix + label, "entries": used.n_entries, "anchors": len(kept),
                       "anchor_precision": anchors_right / max(1, len(anchors)) if kept else None,
                       "precision": None if only else right / max(1, prof.n_entries),
                       "token_precision": None if only else right_tok / max(1, subs), "check_wer_reduction": alone.wer_reduction,
                       "check_false_change": alone.false_change, "profile_wer_reduction": withp.wer_reduction,
                       "profile_false_change": withp.false_change, "wer_before": alone.wer_before,
                       "learn_s": round((0.0 if only else t_learn) + (t_anchors if kept else 0.0), 1),
                       "docs": len(pairs)}
                rows_out.append(row)
                shown = f"{len(kept)}@{anchors_right / max(1, len(anchors)):.0%}" if kept else "0"
                prec = "—" if only else f"{right / max(1, prof.n_entries):.1%}"
                tok = "—" if only else f"{right_tok / max(1, subs):.1%}"
                print(f"{name + suffix + label:54s} {used.n_entries:7d} {shown:>8s} {prec:>9s} "
                      f"{tok:>8s} {alone.wer_reduction:7.1%} {withp.wer_reduction:8.1%} "
                      f"{100 * (withp.wer_reduction - alone.wer_reduction):+6.2f} {alone.false_change:8.3%} "
                      f"{withp.false_change:8.3%} {row['learn_s']:7.0f}", flush=True)
    return rows_out


def loop_section(limit_test: int, neural: bool = False) -> list[dict[str, object]]:
    """`despin scan --learn` on 300 copies of a real engine, 100 sources in a 1,200-article index
    (``neural``: `despin scan --learn --neural`, stage 5c re-ranking the detector's suggestions)."""
    import shutil
    import tempfile

    import despin
    from despin.config import Config
    from despin.evaluate import token_strings, word_edit_distance
    from despin.io.corpus import read_rows
    from despin.loop import learn_dir, run_learn_loop
    from despin.profile import load
    from despin.trace import Index

    news = [json.loads(line) for line in open(DATA / "news-dev" / "articles.jsonl", encoding="utf-8")]
    rows_out: list[dict[str, object]] = []
    print("\nthe loop: 300 copies, sources of the first 100 in an index with 1,100 other news-dev articles"
          + (" (--neural)" if neural else ""))
    for path in sorted((DATA / "real-engines-dev").glob("*.jsonl")):
        recs = [json.loads(line) for line in open(path, encoding="utf-8")]
        ids = {r["id"] for r in recs}
        work = Path(tempfile.mkdtemp(prefix="despin-loop-"))
        try:
            docs = [(r["id"], r["original"]) for r in recs[:100]]
            docs += [(a["id"], a["title"] + "\n\n" + a["text"]) for a in news if a["id"] not in ids][:1100]
            Index.build(work / "archive.idx", docs)
            with open(work / "copies.jsonl", "w", encoding="utf-8") as fh:
                for r in recs:
                    fh.write(json.dumps({"id": r["id"], "text": r["spun"]}) + "\n")
            t0 = time.perf_counter()
            summary = run_learn_loop([work / "copies.jsonl"], work / "out", index=str(work / "archive.idx"),
                                     fmt="jsonl", workers=1, neural=neural)
            took = time.perf_counter() - t0
            got = {r["id"]: r for r in read_rows(work / "out")}
            untraced = [r for r in recs[100:]][:limit_test]
            before = after = n = 0
            for r in untraced:
                o_t = token_strings(r["original"])
                before += word_edit_distance(token_strings(r["spun"]), o_t)
                after += word_edit_distance(token_strings(got[r["id"]]["restored"]), o_t)
                n += len(o_t)
            profiles = [load(p["path"]) for p in summary["learn"]["profiles"]]
            cfg = Config(neural=neural)
            false = sum(word_edit_distance(token_strings(despin.check(r["original"], profile=profiles or None,
                                                                      config=cfg).restored),
                                           token_strings(r["original"])) for r in untraced)
            row = {"spinner": path.stem, "engine": "loop+neural" if neural else "loop", "pairs_traced": summary["learn"]["pairs"],
                   "profiles": [(p["name"], p["pairs"]) for p in summary["learn"]["profiles"]],
                   "wer_before": before / n, "wer_after": after / n, "wer_reduction": 1 - after / max(1, before),
                   "false_change": false / n, "seconds": round(took, 1), "test_docs": len(untraced)}
            rows_out.append(row)
            print(f"loop:{path.stem[:22]:23s} traced {row['pairs_traced']}, profiles {row['profiles']}; "
                  f"{len(untraced)} untraced: WER {row['wer_before']:.4f} -> {row['wer_after']:.4f} "
                  f"({row['wer_reduction']:.1%}), false change {row['false_change']:.3%}; {took:.0f} s", flush=True)
            shutil.rmtree(learn_dir(work / "out"), ignore_errors=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return rows_out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="100 test docs, 2 curve spinners, 5 match spinners")
    ap.add_argument("--engine", choices=("profile", "check", "check-habits"), default="profile",
                    help="check-habits: check with the profile and its habits hooked into the detector")
    ap.add_argument("--real", action="store_true",
                    help="real engines (real-engines-dev): profile, check, check-habits curves and the oracle")
    ap.add_argument("--real-test-docs", type=int, default=200)
    ap.add_argument("--loop", action="store_true", help="despin scan --learn on 300 copies per real engine")
    ap.add_argument("--neural", action="store_true",
                    help="with --loop: despin scan --learn --neural (stage 5c; needs python -m despin.neural_build)")
    ap.add_argument("--skip-sim", action="store_true", help="skip the simulator curves and the dev pairs")
    ap.add_argument("--test-docs", type=int, default=100)
    ap.add_argument("--no-match", action="store_true", help="skip the profile-match section")
    ap.add_argument("--long-curve", action="store_true", help="also 1,000 and 2,000 pairs (table/wordnet)")
    ap.add_argument("--unpaired", action="store_true", help="also unpaired learning (about 2 more minutes)")
    ap.add_argument("--no-pairs", action="store_true",
                    help="learning without pairs on 300 copies: the dictionary preset (leave-one-resource-out) "
                         "and the real engines; check alone vs check --profile (guessed)")
    ap.add_argument("--no-pairs-docs", type=int, default=300)
    ap.add_argument("--no-pairs-previous", action="store_true",
                    help="with --no-pairs: also the no-pairs learner's previous settings, same copies, same run")
    ap.add_argument("--oracle", action="store_true", help="also the ceiling of any table learned from the pairs")
    ap.add_argument("--json", type=Path, default=None, help="also write all rows to this JSON file")
    args = ap.parse_args()
    if not (DATA / "news-dev" / "articles.jsonl").exists():
        print(f"skipped: {DATA}/news-dev is absent")
        return
    n_test = args.test_docs
    train = max(CURVE)
    articles = load_articles(train + n_test)
    test = slice(train, train + n_test)
    all_rows: list[dict[str, object]] = []
    print(f"engine: {args.engine}; held-out docs: {n_test}; spun with despin.spin (rate 0.3) unless noted")
    print(f"{'spinner':26s} {'pairs':>5s} {'entries':>7s} {'wer_bef':>8s} {'wer_aft':>8s} {'reduct':>7s} "
          f"{'false_chg':>9s} {'loc_p':>6s} {'loc_r':>6s}")
    curve_spinners = [("table", "wordnet", 0.3, 1), ("table", "moby", 0.3, 1),
                      ("phrase", "wordnet", 0.3, 1), ("damage", "wordnet", 0.3, 1)]
    if args.quick:
        curve_spinners = curve_spinners[:1] + curve_spinners[2:3]
    spun_cache: dict[tuple[str, str, float, int], list[str]] = {}
    if args.real:
        all_rows += real_section(["profile", "check", "check-habits"], args.real_test_docs)
    if args.loop:
        all_rows += loop_section(args.real_test_docs, args.neural)
    if args.no_pairs:
        all_rows += no_pairs_section(args.no_pairs_docs, args.no_pairs_previous)
    if args.skip_sim:
        curve_spinners = []
    for preset, resource, rate, seed in curve_spinners:
        spun = spin_all(preset, resource, rate, seed, articles)
        spun_cache[(preset, resource, rate, seed)] = spun
        # Cross-resource: the detector (engine check) uses the other thesaurus.
        note = f"detector lexicon: {other_resource(resource)}" if args.engine == "check" else ""
        all_rows += curve(f"{preset}/{resource}/s{seed}", articles, spun, train, test, args.engine,
                          (other_resource(resource),), note)

    dev_path = DATA / "dev-pairs" / "nlpaug-wordnet.jsonl"
    dev_profile_text: tuple[list[str], list[str]] | None = None
    if args.skip_sim:
        pass
    elif dev_path.exists():
        recs = [json.loads(line) for line in open(dev_path, encoding="utf-8")]
        o, s = [r["original"] for r in recs], [r["spun"] for r in recs]
        dev_profile_text = (o, s)
        all_rows += curve("dev:nlpaug-wordnet", o, s, 300, slice(300, 400), args.engine, None,
                          "dev-set, random-synonym spinner")
    else:
        print(f"skipped dev pairs: {dev_path} is absent")

    # ---------------------------------------------------------------- longer curve
    if args.long_curve:
        # Does the curve keep climbing? 1,000 and 2,000 pairs (articles 0-299 and 400-2099).
        preset, resource, rate, seed = curve_spinners[0]
        more = load_articles(2100)
        idx = list(range(0, 300)) + list(range(400, 2100))
        spun_more = spin_all(preset, resource, rate, seed, [more[i] for i in idx])
        pairs = [Pair(str(i), o, s) for i, (o, s) in enumerate(zip(articles[test], spun_cache[curve_spinners[0]][test]))]
        print()
        for k in (1000, 2000):
            prof = learn_pairs(zip([more[i] for i in idx[:k]], spun_more[:k]), name=f"long@{k}")
            m, _ = evaluate(pairs, make_checker(args.engine, prof, (other_resource(resource),)))
            all_rows.append({"spinner": f"{preset}/{resource}/s{seed}", "pairs": k, "entries": prof.n_entries,
                             **m.to_dict()})
            print(f"{preset}/{resource}/s{seed:<14d} {k:5d} {prof.n_entries:7d} {m.wer_before:8.4f} "
                  f"{m.wer_after:8.4f} {m.wer_reduction:7.1%} {m.false_change:9.3%} {m.loc_p:6.3f} {m.loc_r:6.3f}",
                  flush=True)

    if args.oracle:
        # Table spinners only: their gold blocks are word for word, so the oracle is a true
        # bound; phrase/damage blocks judged as whole phrases would understate it.
        all_rows += oracle_section([c for c in curve_spinners if c[0] == "table"], spun_cache, articles, train, test)

    # ---------------------------------------------------------------- unpaired
    if args.unpaired:
        all_rows += unpaired_section(articles, test, spun_cache[curve_spinners[0]], curve_spinners[0], args.engine)

    # ---------------------------------------------------------------- match
    if args.no_match:
        if args.json:
            args.json.write_text(json.dumps(all_rows, indent=1), encoding="utf-8")
        return
    match_spinners = [("table", "wordnet", 0.3, 1), ("table", "wordnet", 0.3, 2), ("table", "moby", 0.3, 1),
                      ("phrase", "wordnet", 0.3, 3), ("damage", "wordnet", 0.3, 4), ("table", "wordnet", 0.5, 5),
                      ("damage", "moby", 0.2, 6)]
    if args.quick:
        match_spinners = match_spinners[:2] + match_spinners[3:6]
    n_learn = 100
    profiles: list[Profile] = []
    tests: list[tuple[str, list[str]]] = []
    for spec in match_spinners:
        preset, resource, rate, seed = spec
        spun = spun_cache.get(spec) or spin_all(preset, resource, rate, seed, articles)
        name = f"{preset}/{resource}/r{rate}/s{seed}"
        profiles.append(learn_pairs(zip(articles[:n_learn], spun[:n_learn]), name=name))
        tests.append((name, spun[test]))
    if dev_profile_text is not None:
        o, s = dev_profile_text
        profiles.append(learn_pairs(zip(o[:n_learn], s[:n_learn]), name="dev:nlpaug-wordnet"))
        tests.append(("dev:nlpaug-wordnet", s[300:400]))
    correct = correct_par = total = total_par = 0
    confusions: dict[str, int] = {}
    for name, docs in tests:
        for doc in docs:
            total += 1
            best = match(doc, profiles)[0][0]
            correct += best == name
            if best != name:
                confusions[f"{name} -> {best}"] = confusions.get(f"{name} -> {best}", 0) + 1
            # A harder case: the first paragraph only.
            para = doc.split("\n\n")[0]
            total_par += 1
            correct_par += match(para, profiles)[0][0] == name
    # Clean originals should match no spinner (every score <= 0) most of the time.
    clean_neg = sum(1 for d in articles[test] if match(d, profiles)[0][1] <= 0)
    print()
    print(f"profile match among {len(profiles)} spinners (profiles from {n_learn} pairs each, "
          f"{len(tests[0][1])} held-out docs each):")
    print(f"  whole documents: {correct}/{total} = {correct / total:.1%}")
    print(f"  first paragraph only: {correct_par}/{total_par} = {correct_par / total_par:.1%}")
    print(f"  clean originals scored <= 0 under every profile: {clean_neg}/{n_test} = {clean_neg / n_test:.1%}")
    if confusions:
        print("  confusions:", ", ".join(f"{k} x{v}" for k, v in sorted(confusions.items(), key=lambda kv: -kv[1])))
    all_rows.append({"match_accuracy": correct / total, "match_accuracy_paragraph": correct_par / total_par,
                     "match_spinners": [p.name for p in profiles], "clean_unmatched": clean_neg / n_test})
    if args.json:
        args.json.write_text(json.dumps(all_rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
