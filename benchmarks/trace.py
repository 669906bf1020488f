"""Trace benchmark: find the source of spun copies in a large index, restore through it.

    python benchmarks/trace.py                  # 100,000-document index (about 10 minutes on one core)
    python benchmarks/trace.py --docs 20000     # smaller index, same measurements

Index: the news-dev articles (title + blank line + body, as in the dev pairs) minus a
held-out set, plus generated distractors up to ``--docs``: each distractor recombines
8-16 random sentences of the indexed articles into 2-4 paragraphs, so it shares whole
sentences (and their skeletons) with real sources -- hard negatives. Without
../shared/data, sources are generated word salad from wordfreq (figures then mean little).

Queries (each a spun copy whose original is known):
  table@10/30/40/50/60%   `despin.spin` table preset (Moby thesaurus) at that rate
  damage@50%, phrase@50%  names replaced and lower-cased, artefacts / phrase expansion
  casefold@50%            damage, with every name lower-cased and abbreviations spelled out
                          (the proxy for spinners that do so: no anchors left in the copy)
  excerpt@40%             consecutive paragraphs with 30-60% of the source's words (>= 60)
  reorder@40%             paragraphs shuffled, one dropped, an (unspun) boilerplate paragraph added
  dev-nlpaug              the 400 dev pairs' spun side (nlpaug WordNet, 22.7% of tokens; dev-set)
  real-wp, real-prothemes the real-engines-dev copies (two real PHP spinner engines; ProThemes
                          lower-cases names and titles) whose source is indexed; measure only
  held-out@30%            spun copies of articles that are NOT indexed (must find nothing)

Systems, in the same run, on the same documents:
  skeleton   despin.trace: skeleton 9-grams + anchor 3-grams in MinHash LSH (64x2
             bands), containment and alignment re-ranking; when nothing aligns >= 0.40,
             a second stage by the skeleton 7-grams and number 3-grams (case-blind)
  stage1     the same index with the second stage switched off (the before figure)
  plain5     the same pipeline over ordinary word 5-grams (a generous baseline: same
             banding and re-ranking)
  lsh0.5     ordinary near-duplicate MinHash: datasketch MinHashLSH(threshold=0.5) over
             word 5-grams, best candidate by estimated Jaccard

recall@1 = share of queries whose top match is the source; precision = share of
confident top matches (similarity >= MIN_SIMILARITY, 0.40; for lsh0.5 any candidate) that are right.
Restoration (skeleton only): WER of spun vs original and of restored vs original,
pooled; reduction = 1 - after / before. Clustering: pairwise precision/recall of
`despin cluster` on sources + 2 spun copies each (10-60%, some excerpts) + unrelated
articles + distractors quoting one sentence each of up to 16 of the sources.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from despin.evaluate import token_strings, word_edit_distance  # noqa: E402
from despin.trace import Index, report_from_index  # noqa: E402
from despin.trace.cluster import cluster  # noqa: E402
from despin.trace.restore import MIN_SIMILARITY  # noqa: E402
from despin.trace.shingles import plain_shingles  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BOILERPLATE = (
    "Sign up for our free morning briefing and get the stories that matter delivered to your inbox. "
    "Follow us for more updates, and share this article with your friends."
)
# Real spinner engines' copies of news-dev articles (measure only: see the data's README);
# ProThemes lower-cases names and titles. Only copies whose source is indexed are queried.
REAL_ENGINES = {
    "real-wp": "wp-auto-spinner-engine-aiksaurus.jsonl",
    "real-prothemes": "prothemes-engine-aiksaurus.jsonl",
}
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


# ----------------------------------------------------------------------------- data
def load_sources() -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    arts_path = DATA / "news-dev" / "articles.jsonl"
    dev_path = DATA / "dev-pairs" / "nlpaug-wordnet.jsonl"
    if not arts_path.exists():
        return generated_sources(3000), []
    arts = [json.loads(x) for x in arts_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    sources = [(a["id"], f"{a['title']}\n\n{a['text']}") for a in arts]
    dev = [json.loads(x) for x in dev_path.read_text(encoding="utf-8").splitlines()] if dev_path.exists() else []
    return sources, dev


def generated_sources(n: int) -> list[tuple[str, str]]:
    from wordfreq import top_n_list, word_frequency

    words = top_n_list("en", 5000)
    weights = [word_frequency(w, "en") for w in words]
    rng = random.Random(0)
    out = []
    for i in range(n):
        pars = [" ".join(rng.choices(words, weights, k=rng.randint(40, 90))).capitalize() + "." for _ in range(3)]
        out.append((f"gen/{i}", "\n\n".join(pars)))
    return out


def distractors(sources: list[tuple[str, str]], n: int, seed: int = 0, one_per_source: bool = False) -> list[tuple[str, str]]:
    """Documents of 8-16 random sentences of ``sources`` in 2-4 paragraphs.

    ``one_per_source``: at most one sentence from any source (an article quoting
    others), for the clustering test, where a mashup holding half of a short source
    would rightly join its cluster.
    """
    rng = random.Random(seed)
    by_source = [[s for p in t.split("\n\n")[1:] for s in _SENT.split(p) if len(s) > 30] for _, t in sources]
    by_source = [x for x in by_source if x]
    sentences = [s for x in by_source for s in x]
    out = []
    for i in range(n):
        k = rng.randint(8, 16)
        if one_per_source:
            picked = [rng.choice(x) for x in rng.sample(by_source, min(k, len(by_source)))]
            k = len(picked)
        else:
            picked = rng.sample(sentences, k)
        cuts = sorted(rng.sample(range(1, k), rng.randint(1, 3)))
        pars = [" ".join(picked[a:b]) for a, b in zip([0] + cuts, cuts + [k])]
        out.append((f"distractor/{i}", "\n\n".join(pars)))
    return out


# ----------------------------------------------------------------------------- queries
def make_queries(
    sources: list[tuple[str, str]], held_out: list[tuple[str, str]], dev: list[dict[str, Any]], n: int, seed: int,
    only: set[str] | None = None,
) -> dict[str, list[tuple[str | None, str, str]]]:
    """setting -> [(source id or None, original, spun)].

    ``only``: spin just these settings; the others still draw their seeds and samples,
    so a setting's copies are the same with or without ``only``.
    """
    from despin.spin import Spinner, Thesaurus

    th = Thesaurus.from_lexicon("moby")
    rng = random.Random(seed)
    out: dict[str, list[tuple[str | None, str, str]]] = {}

    def spun_set(name: str, preset: str, rate: float, pool: list[tuple[str, str]], transform: Callable[[str, random.Random], str] | None, known: bool) -> None:
        sp = Spinner(preset, th, rate=rate, seed=rng.randrange(1 << 30))
        picked = rng.sample(pool, min(n, len(pool)))
        if only is not None and name not in only:
            for _sid, text in picked:  # a transform draws from rng too
                if transform:
                    transform(text, rng)
            return
        rows = []
        for sid, text in picked:
            original = transform(text, rng) if transform else text
            rows.append((sid if known else None, original, sp.spin(original).spun))
        out[name] = rows

    for rate in (0.1, 0.3, 0.4, 0.5, 0.6):
        spun_set(f"table@{int(rate * 100)}%", "table", rate, sources, None, True)
    spun_set("damage@50%", "damage", 0.5, sources, None, True)
    spun_set("phrase@50%", "phrase", 0.5, sources, None, True)
    spun_set("casefold@50%", "casefold", 0.5, sources, None, True)
    multi = [s for s in sources if s[1].count("\n\n") >= 3]
    spun_set("excerpt@40%", "table", 0.4, multi, excerpt, True)
    # Reordering happens after spinning, and the boilerplate is added unspun to both
    # sides: a source cannot restore words it never had, so spinning them would only
    # measure the boilerplate.
    sp = Spinner("table", th, rate=0.4, seed=rng.randrange(1 << 30))
    rows = []
    for sid, text in rng.sample(multi, min(n, len(multi))):
        o_pars, s_pars = text.split("\n\n"), sp.spin(text).spun.split("\n\n")
        if len(o_pars) != len(s_pars):
            continue
        order = list(range(len(o_pars)))
        order.pop(rng.randrange(len(order)))
        rng.shuffle(order)
        rows.append((sid, "\n\n".join([o_pars[k] for k in order] + [BOILERPLATE]),
                     "\n\n".join([s_pars[k] for k in order] + [BOILERPLATE])))
    if only is None or "reorder@40%" in only:
        out["reorder@40%"] = rows
    indexed = {sid for sid, _ in sources}
    for name, fname in REAL_ENGINES.items():
        path = DATA / "real-engines-dev" / fname
        if path.exists() and (only is None or name in only):
            pairs = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
            out[name] = [(d["id"], d["original"], d["spun"]) for d in pairs if d["id"] in indexed]
    if dev and (only is None or "dev-nlpaug" in only):
        out["dev-nlpaug"] = [(d["id"], d["original"], d["spun"]) for d in dev]
    spun_set("held-out@30%", "table", 0.3, held_out, None, False)
    return out


def excerpt(text: str, rng: random.Random) -> str:
    """A run of consecutive body paragraphs holding 30-60% of the body's words (>= 60 words)."""
    pars = text.split("\n\n")[1:]  # no title
    sizes = [len(p.split()) for p in pars]
    total = sum(sizes)
    share = rng.uniform(0.3, 0.6)
    i = rng.randrange(len(pars))
    j = i
    while j < len(pars) and sum(sizes[i:j]) < max(60, share * total):
        j += 1
    while sum(sizes[i:j]) < max(60, share * total) and i > 0:
        i -= 1
    return "\n\n".join(pars[i:j])


# ----------------------------------------------------------------------------- systems
class PlainLSH:
    """Ordinary near-duplicate detection: datasketch MinHashLSH over word 5-grams."""

    def __init__(self, docs: list[tuple[str, str]], threshold: float = 0.5) -> None:
        from datasketch import MinHash, MinHashLSH

        self._mh = lambda ids: self._minhash(MinHash, ids)  # noqa: E731
        self.lsh = MinHashLSH(threshold=threshold, num_perm=128)
        self.sigs: dict[str, Any] = {}
        with self.lsh.insertion_session() as session:
            for doc_id, text in docs:
                m = self._mh(plain_shingles(text))
                self.sigs[doc_id] = m
                session.insert(doc_id, m)

    @staticmethod
    def _minhash(minhash_type: Any, ids: np.ndarray) -> Any:
        m = minhash_type(num_perm=128, seed=1, hashfunc=int, scheme="affine32")
        m.update_batch(ids.tolist())
        return m

    def top(self, text: str) -> str | None:
        ids = plain_shingles(text)
        if not len(ids):
            return None
        m = self._mh(ids)
        cands = self.lsh.query(m)
        if not cands:
            return None
        return max(cands, key=lambda c: (m.jaccard(self.sigs[c]), c))


def dir_bytes(p: Path) -> int:
    return sum(f.stat().st_size for f in p.iterdir() if f.is_file())


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) if xs else float("nan")


# ----------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000, help="documents in the index (sources + distractors)")
    ap.add_argument("--queries", type=int, default=120, help="spun copies per setting")
    ap.add_argument("--cluster-sources", type=int, default=100, help="sources with 2 copies each in the clustering test")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-baselines", action="store_true", help="skip plain5 and lsh0.5")
    ap.add_argument("--json-out", default=None, help="also write the figures as JSON")
    ap.add_argument("--show-errors", action="store_true", help="print clusters that mix gold clusters")
    ap.add_argument("--only-cluster", action="store_true", help="skip everything but the clustering test")
    ap.add_argument("--settings", default="", help="only these query settings (comma-separated, e.g. casefold@50%%)")
    ap.add_argument("--no-cluster", action="store_true", help="skip the clustering test")
    args = ap.parse_args()
    t_start = time.time()
    all_sources, dev = load_sources()
    dev_ids = {d["id"] for d in dev}
    rng = random.Random(args.seed)
    candidates_out = [s for s in all_sources if s[0] not in dev_ids]
    held_out = rng.sample(candidates_out, min(200, len(candidates_out) // 10))
    held_ids = {s[0] for s in held_out}
    sources = [s for s in all_sources if s[0] not in held_ids][: args.docs]
    docs = sources + distractors(sources, max(0, args.docs - len(sources)), args.seed)
    print(f"index: {len(sources)} sources + {len(docs) - len(sources)} distractors = {len(docs)} documents; "
          f"held out {len(held_out)}", flush=True)

    t = time.time()
    only = set(args.settings.split(",")) if args.settings else None
    queries = {} if args.only_cluster else make_queries(sources, held_out, dev, args.queries, args.seed, only)
    print(f"queries: {sum(len(v) for v in queries.values())} in {len(queries)} settings ({time.time() - t:.0f} s to spin)", flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="despin-trace-bench-"))
    results: dict[str, Any] = {"docs": len(docs), "sources": len(sources), "queries_per_setting": args.queries}
    systems: dict[str, Callable[[str], tuple[str | None, bool]]] = {}
    try:
        import datasketch  # noqa: F401  (import time is not build time)

        for name, shingles in (("skeleton", "skeleton9+anchor3"), ("plain5", "plain5")):
            if (name == "plain5" and args.no_baselines) or args.only_cluster:
                continue
            t, c = time.time(), time.process_time()
            ix = Index.build(tmp / name, docs, shingles=shingles)
            wall, cpu = time.time() - t, time.process_time() - c
            b = dir_bytes(tmp / name)
            results[f"build_{name}"] = {"docs_per_s_wall": len(docs) / wall, "docs_per_cpu_s": len(docs) / cpu,
                                        "bytes_per_doc": b / len(docs), "seconds": wall}
            print(f"build {name}: {len(docs) / wall:.0f} docs/s wall, {len(docs) / cpu:.0f} docs per CPU-second "
                  f"(one process), {b / len(docs):.0f} bytes/doc", flush=True)

            def run(text: str, ix: Index = ix) -> tuple[str | None, bool]:
                m = ix.query(text, top=1)
                return (m[0].id, m[0].similarity >= MIN_SIMILARITY) if m else (None, False)

            systems[name] = run
            if name == "skeleton":
                def run_stage1(text: str, ix: Index = ix) -> tuple[str | None, bool]:
                    m = ix.query(text, top=1, second_stage=False)
                    return (m[0].id, m[0].similarity >= MIN_SIMILARITY) if m else (None, False)

                systems["stage1"] = run_stage1
        if not args.no_baselines and not args.only_cluster:
            t = time.time()
            plain = PlainLSH(docs)
            print(f"build lsh0.5: {len(docs) / (time.time() - t):.0f} docs/s wall (in memory)", flush=True)
            def run_plain(text: str) -> tuple[str | None, bool]:
                top = plain.top(text)
                return top, top is not None

            systems["lsh0.5"] = run_plain

        # ----------------------------------------------------------- recall / precision / latency
        table: dict[str, dict[str, Any]] = {}
        latencies: list[float] = []
        for setting, rows in queries.items():
            table[setting] = {}
            for sys_name, run in systems.items():
                hit = conf = conf_right = 0
                for sid, _orig, spun in rows:
                    t = time.perf_counter()
                    top, confident = run(spun)
                    if sys_name == "skeleton":
                        latencies.append(time.perf_counter() - t)
                    hit += top is not None and top == sid
                    conf += confident
                    conf_right += confident and top == sid
                cell: dict[str, Any] = {"n": len(rows), "confident": conf}
                if rows and rows[0][0] is not None:
                    cell["recall@1"] = hit / len(rows)
                    cell["precision"] = conf_right / conf if conf else float("nan")
                else:  # held out: any confident match is a false one
                    cell["false_match_rate"] = conf / len(rows)
                table[setting][sys_name] = cell
            print(f"  {setting:14s} " + "  ".join(
                f"{s}: " + (f"R@1 {c['recall@1']:.3f} P {c['precision']:.3f}" if "recall@1" in c else f"false matches {c['false_match_rate']:.3f}")
                for s, c in table[setting].items()), flush=True)
        results["trace"] = table
        results["query_latency_ms"] = {"p50": pct(latencies, 50) * 1000, "p99": pct(latencies, 99) * 1000}
        if latencies:
            print(f"query latency (skeleton, top=1, one process): p50 {pct(latencies, 50) * 1000:.1f} ms, "
                  f"p99 {pct(latencies, 99) * 1000:.1f} ms", flush=True)

        # ----------------------------------------------------------- restoration through the source
        wer: dict[str, Any] = {}
        for setting, rows in queries.items():
            ix = Index.open(tmp / "skeleton")
            if rows and rows[0][0] is None:
                continue
            before = after = total = 0
            for _sid, orig, spun in rows:
                o = token_strings(orig)
                r = report_from_index(spun, ix)
                restored = r.restored if r is not None else spun
                before += word_edit_distance(token_strings(spun), o)
                after += word_edit_distance(token_strings(restored), o)
                total += len(o)
            wer[setting] = {"wer_before": before / total, "wer_after": after / total,
                            "reduction": 1 - after / before if before else float("nan")}
            print(f"  restore {setting:14s} WER {before / total:.3f} -> {after / total:.3f} "
                  f"(reduction {wer[setting]['reduction']:.3f})", flush=True)
        results["restoration"] = wer

        # ----------------------------------------------------------- clustering
        if not args.no_cluster:
            from despin.spin import Spinner, Thesaurus

            th = Thesaurus.from_lexicon("moby")
            crng = random.Random(args.seed + 7)
            base = crng.sample(sources, min(len(sources), args.cluster_sources * 4))
            with_copies, alone = base[: args.cluster_sources], base[args.cluster_sources :]
            corpus: list[tuple[str, str]] = []  # (gold cluster, text)
            for sid, text in with_copies:
                corpus.append((sid, text))
                for k in range(2):
                    rate = crng.choice((0.1, 0.3, 0.5, 0.6))
                    sp = Spinner("table", th, rate=rate, seed=crng.randrange(1 << 30))
                    original = excerpt(text, crng) if (k == 1 and text.count("\n\n") >= 3 and crng.random() < 0.3) else text
                    corpus.append((sid, sp.spin(original).spun))
            corpus += [(sid, t) for sid, t in alone]
            corpus += [(did, t) for did, t in distractors(with_copies, args.cluster_sources, args.seed + 3, one_per_source=True)]
            crng.shuffle(corpus)
            t = time.time()
            pred = cluster([t for _, t in corpus])
            ct = time.time() - t
            gold = [g for g, _ in corpus]
            tp = fp = fn = 0
            for i in range(len(corpus)):
                for j in range(i + 1, len(corpus)):
                    same_p, same_g = pred[i] == pred[j], gold[i] == gold[j]
                    tp += same_p and same_g
                    fp += same_p and not same_g
                    fn += same_g and not same_p
            cp, cr = tp / (tp + fp) if tp + fp else float("nan"), tp / (tp + fn) if tp + fn else float("nan")
            if args.show_errors:
                clusters: dict[int, list[str]] = {}
                for g, c in zip(gold, pred):
                    clusters.setdefault(c, []).append(g)
                for members in clusters.values():
                    if len(set(members)) > 1:
                        print("  mixed cluster:", sorted(members))
            results["cluster"] = {"documents": len(corpus), "pairwise_precision": cp, "pairwise_recall": cr, "seconds": ct}
            print(f"cluster: {len(corpus)} documents, pairwise precision {cp:.3f}, recall {cr:.3f} ({ct:.0f} s)", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["total_seconds"] = time.time() - t_start
    print(f"total {time.time() - t_start:.0f} s", flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
