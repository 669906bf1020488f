"""Quality benchmark: two protocols (docs/eval.md).

    python benchmarks/quality.py --limit 30                          # proxies, this tree vs the baseline release
    python benchmarks/quality.py --limit 30 --proxies loro,wp-engine --baseline-rev 63572c8
    python benchmarks/quality.py --protocol baselines --limit 30 --train 30   # despin vs two baselines

``--protocol proxies`` (default): the honest dev proxies for unseen dictionaries of issue 14
(leave-one-resource-out dictionary spins, the two real engines, nlpaug, texthumanize), the
current tree and a previous release side by side; see benchmarks/quality_proxies.py.

``--protocol baselines``: despin and two baselines, side by side, on every pairs dataset.

Datasets (each evaluated on its first ``--limit`` documents; skipped when absent):
  dev nlpaug           ../shared/data/dev-pairs/nlpaug-wordnet.jsonl (a real third-party
                       spinner, WordNet: same-resource for a checker using WordNet, so
                       also evaluated with a Moby-only checker: cross-resource)
  wordswap             ../shared/data/wordswap/textattack-dev.jsonl (TextFooler/Alzantot
                       embedding swaps, not a thesaurus)
  sim PRESET R% (A>B)  `despin.spin` PRESET at rate R on the first news-dev articles,
                       drawing from thesaurus A; every checker uses thesaurus B only
                       (cross-resource: the honest setting)

Checkers, in the same run, on the same documents:
  despin               despin.check(text, config=Config(resources=...))
  known-list           exact entries of a substitution list learned from *other* pairs of
                       the same dataset/spinner (``--train`` of them; never the test pairs)
  thesaurus-unigram    inverse synonym more frequent (wordfreq Zipf) by >= 1.0

Metrics: despin.evaluate (definitions in docs/eval.md). All figures are dev-set figures.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(1, str(Path(__file__).resolve().parent))

import despin  # noqa: E402
from despin.baselines import KnownListChecker, ThesaurusUnigramChecker, list_from_pairs  # noqa: E402
from despin.config import Config  # noqa: E402
from despin.evaluate import Metrics, Pair, evaluate, peak_rss_mb, resource_setting  # noqa: E402
from despin.io.text import iter_jsonl  # noqa: E402
from despin.report import Report  # noqa: E402
from despin.spin import Spinner, Thesaurus  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
OTHER = {"moby": "wordnet", "wordnet": "moby"}

COLUMNS = ["dataset", "setting", "checker", "n", "AUC", "TPR@1%", "loc P", "loc R", "loc F1",
           "WER before", "WER after", "WER red.", "false change", "texts/s"]


CALIBRATION_ROWS = 240


def read_pairs(path: Path) -> Iterator[Pair]:
    for rec in iter_jsonl(path):
        v = rec.value
        if v is None or not isinstance(v.get("original"), str) or not isinstance(v.get("spun"), str):
            continue
        if v["original"].strip() and v["spun"].strip():
            yield Pair(str(v.get("id", rec.lineno)), v["original"], v["spun"], v.get("spinner"))


def read_articles(path: Path) -> list[tuple[str, str]]:
    out = []
    for rec in iter_jsonl(path):
        if rec.value is not None and isinstance(rec.value.get("text"), str):
            title = rec.value.get("title") or ""
            out.append((str(rec.value.get("id")), (title + "\n\n" if title else "") + rec.value["text"]))
    return out


def row(dataset: str, setting: str, checker: str, m: Metrics) -> dict[str, Any]:
    d = m.to_dict()
    return {"dataset": dataset, "setting": setting, "checker": checker, **d}


def fmt(r: dict[str, Any]) -> list[str]:
    def num(x: Any) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    def pct(x: Any) -> str:
        return "n/a" if x is None else f"{100 * x:.1f}%"

    return [r["dataset"], r["setting"], r["checker"], str(r["n"]), num(r["auc"]), num(r["tpr_at_fpr1"]),
            num(r["loc_p"]), num(r["loc_r"]), num(r["loc_f1"]), pct(r["wer_before"]), pct(r["wer_after"]),
            pct(r["wer_reduction"]), pct(r["false_change"]), f"{r['docs_per_s']:.1f}"]


def compact(rows: list[dict[str, Any]]) -> str:
    """One line per dataset: despin / known-list / thesaurus-unigram side by side."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["setting"]), []).append(r)
    cols = ["dataset", "setting", "checker resources", "AUC", "loc F1", "WER red.", "false change"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols),
             "| | | | despin / known-list / unigram | despin / known-list / unigram "
             "| despin / known-list / unigram | despin / known-list / unigram |"]

    def trio(group: list[dict[str, Any]], key: str, pct: bool) -> str:
        vals = [g[key] for g in group]
        return " / ".join("n/a" if v is None else (f"{100 * v:.1f}%" if pct else f"{v:.2f}") for v in vals)

    for (dataset, setting), group in groups.items():
        res = group[0]["checker"].split("(")[-1].rstrip(")")
        lines.append(f"| {dataset} | {setting} | {res} | {trio(group, 'auc', False)} | {trio(group, 'loc_f1', False)} "
                     f"| {trio(group, 'wer_reduction', True)} | {trio(group, 'false_change', True)} |")
    return "\n".join(lines)


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(fmt(r)) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--protocol", choices=("proxies", "baselines"), default="proxies")
    ap.add_argument("--limit", type=int, default=30, help="documents evaluated per dataset or proxy")
    ap.add_argument("--proxies", default="all",
                    help="proxies: comma-separated names or prefixes (loro, loro-moby, wp-engine, prothemes-engine, "
                         "nlpaug, texthumanize) or all")
    ap.add_argument("--baseline-rev", default="63572c8",
                    help="proxies: git revision measured beside this tree (a detached worktree in /tmp); '' for none")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/despin-quality-cache"),
                    help="proxies: where the generated pairs and the trees' answers are written")
    ap.add_argument("--train", type=int, default=40, help="other pairs the known-list baseline learns from")
    ap.add_argument("--presets", default="table,random,damage")
    ap.add_argument("--rates", default="0.15,0.30,0.50")
    ap.add_argument("--directions", default="moby>wordnet,wordnet>moby",
                    help="simulator thesaurus > checker thesaurus, comma-separated")
    ap.add_argument("--optimistic", action=argparse.BooleanOptionalAction, default=True,
                    help="also show table 30%% with a checker using both thesauri (same-resource, for contrast)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=None, help="also write the markdown table here")
    ap.add_argument("--json-out", type=Path, default=None, help="write all rows as JSON here")
    ap.add_argument("--neural", action="store_true",
                    help="proxies: check with stage 5c, the neural model (Config(neural=True); every tree that "
                         "has it; python -m despin.neural_build first)")
    args = ap.parse_args()
    if args.protocol == "proxies":
        from quality_proxies import run as run_proxies

        if args.neural:
            import os

            os.environ["DESPIN_PROBE_NEURAL"] = "1"  # read by benchmarks/_probe.py in each tree

        run_proxies(args.data, args.limit, args.proxies, args.baseline_rev or None, args.cache, args.out, args.json_out)
        return

    rows: list[dict[str, Any]] = []
    unigram: dict[tuple[str, ...], ThesaurusUnigramChecker] = {}
    t_start = time.perf_counter()

    def run(dataset: str, pairs: list[Pair], train: list[Pair], resources: tuple[str, ...],
            spinner_resources: set[str], external: bool) -> None:
        setting = resource_setting(spinner_resources, resources)
        if external and not spinner_resources:
            setting = "external spinner"
        checkers: list[tuple[str, Callable[[str], Report]]] = []
        config = Config(resources=resources)
        checkers.append((f"despin ({'+'.join(resources)})", lambda t: despin.check(t, config=config)))
        table = list_from_pairs((p.spun, p.original) for p in train)
        checkers.append((f"known-list ({len(table)} entries)", KnownListChecker(table)))
        if resources not in unigram:
            unigram[resources] = ThesaurusUnigramChecker(resources)
        checkers.append((f"thesaurus-unigram ({'+'.join(resources)})", unigram[resources]))
        for name, checker in checkers:
            t0 = time.perf_counter()
            m, _ = evaluate(pairs, checker)
            rows.append(row(dataset, setting, name, m))
            print(f"[{time.perf_counter() - t_start:6.0f}s] {dataset:32s} {name:34s} "
                  f"F1 {m.loc_f1:.3f} WER red. {m.wer_reduction:+.3f} ({time.perf_counter() - t0:.0f}s)",
                  file=sys.stderr, flush=True)

    # Third-party pairs.
    nlpaug = args.data / "dev-pairs" / "nlpaug-wordnet.jsonl"
    if nlpaug.exists():
        pairs = list(read_pairs(nlpaug))
        test, train = pairs[: args.limit], pairs[-args.train:] if args.train else []
        train = [p for p in train if p not in test]
        run("dev nlpaug (WordNet)", test, train, ("wordnet", "moby"), {"wordnet"}, True)
        run("dev nlpaug (WordNet)", test, train, ("moby",), {"wordnet"}, True)
    else:
        print(f"skipping {nlpaug}: absent", file=sys.stderr)
    wordswap = args.data / "wordswap" / "textattack-dev.jsonl"
    if wordswap.exists():
        pairs = list(read_pairs(wordswap))
        test, train = pairs[: args.limit], pairs[-args.train:] if args.train else []
        train = [p for p in train if p not in test]
        run("wordswap (TextFooler/Alzantot)", test, train, ("wordnet", "moby"), set(), True)
    else:
        print(f"skipping {wordswap}: absent", file=sys.stderr)

    # Simulated spinners on news articles, cross-resource.
    news = args.data / "news-dev" / "articles.jsonl"
    if news.exists():
        articles = read_articles(news)
        # Test documents from past the articles scripts/calibrate.py fits on (its first
        # 200 rows that are not every 7th: rows 1-233), so no simulated row reuses them.
        test_docs = articles[CALIBRATION_ROWS: CALIBRATION_ROWS + args.limit]
        # Training documents for the known list: far from the test ones, never overlapping.
        train_docs = articles[len(articles) // 2: len(articles) // 2 + args.train]
        for direction in args.directions.split(","):
            sim, det = direction.split(">")
            thesaurus = Thesaurus.from_lexicon(sim)
            for preset in args.presets.split(","):
                for rate in (float(r) for r in args.rates.split(",")):
                    spinner = Spinner(preset, thesaurus, rate=rate, seed=args.seed)
                    spinner = spinner.calibrate([t for _, t in test_docs], rounds=2)
                    test = [Pair(i, t, spinner.spin(t).spun) for i, t in test_docs]
                    train = [Pair(i, t, spinner.spin(t).spun) for i, t in train_docs]
                    run(f"sim {preset} {round(rate * 100)}% ({sim}>{det})", test, train, (det,), {sim}, False)
            if args.optimistic:
                # The same table spinner judged by a checker that also knows its thesaurus.
                spinner = Spinner("table", thesaurus, rate=0.3, seed=args.seed)
                spinner = spinner.calibrate([t for _, t in test_docs], rounds=2)
                test = [Pair(i, t, spinner.spin(t).spun) for i, t in test_docs]
                train = [Pair(i, t, spinner.spin(t).spun) for i, t in train_docs]
                run(f"sim table 30% ({sim}>wordnet+moby)", test, train, ("wordnet", "moby"), {sim}, False)
    else:
        print(f"skipping {news}: absent (no simulated datasets)", file=sys.stderr)

    table = compact(rows) + "\n\n" + markdown(rows)
    print(table)
    footer = (f"\n{len(rows)} rows, {time.perf_counter() - t_start:.0f} s, peak RSS {peak_rss_mb():.0f} MiB; "
              f"--limit {args.limit} --train {args.train} --seed {args.seed}")
    print(footer)
    if args.out:
        args.out.write_text(table + "\n" + footer + "\n", encoding="utf-8")
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
