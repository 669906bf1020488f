#!/usr/bin/env python3
"""Does self-learning help? Three settings of the detector on the same spun documents:

1. no self-learning: word-type pooling inside a document and the document-words ranking
   evidence switched off (baseline);
2. in-document self-learning (the default): all occurrences of a word type decided together,
   and originals the text itself uses elsewhere favoured when the document shows its
   spinner leaves them standing;
3. + corpus self-learning: a corpus profile learned from the confident spans of a first pass
   (`despin.learn.learn_from_spans`, what `despin learn --from-scan` does) used in a second.

Spun documents come from the project's simulator (`table` preset: a fixed-table spinner,
moby thesaurus) over news-dev articles (when present; else the bundled examples); the
detector uses WordNet only, so the setting is cross-resource. Also the dev pairs.

    python benchmarks/selflearn.py --docs 60
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"

import despin  # noqa: E402
from despin import Config  # noqa: E402
from despin.detector import context, posterior, ranking  # noqa: E402
from despin.evaluate import Pair, evaluate  # noqa: E402
from despin.learn import learn_from_spans  # noqa: E402


def sim_pairs(n: int) -> list[Pair]:
    from despin.spin import Spinner, Thesaurus

    path = DATA / "news-dev" / "articles.jsonl"
    if path.exists():
        rows = [json.loads(line) for line in open(path, encoding="utf-8")]
        texts = [r["text"] for k, r in enumerate(rows) if k % 7 != 0][2000:2000 + n]
    else:
        texts = [(ROOT / "examples" / "clean-news.txt").read_text(encoding="utf-8")] * n
    spinner = Spinner("table", Thesaurus.from_lexicon("moby"), rate=0.3, seed=7)
    return [Pair(str(k), t, spinner.spin(t).spun) for k, t in enumerate(texts)]


def dev_pairs(n: int) -> list[Pair]:
    path = DATA / "dev-pairs" / "nlpaug-wordnet.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in open(path, encoding="utf-8")][:n]
    return [Pair(r["id"], r["original"], r["spun"]) for r in rows]


def run(name: str, pairs: list[Pair], config: Config) -> None:
    def row(label: str, checker) -> None:  # type: ignore[no-untyped-def]
        m, _ = evaluate(pairs, checker)
        print(f"| {name} | {label} | {m.loc_f1:.3f} | {m.wer_reduction:.1%} | {m.false_change:.2%} |")

    saved = (posterior._TYPE_POOL, context._POOL_RANKING, ranking._DOC_WORD_MAX)
    posterior._TYPE_POOL, context._POOL_RANKING, ranking._DOC_WORD_MAX = 0.0, 0.0, 1.0
    try:
        row("no self-learning", lambda t: despin.check(t, config=config))
    finally:
        posterior._TYPE_POOL, context._POOL_RANKING, ranking._DOC_WORD_MAX = saved
    row("in-document (default)", lambda t: despin.check(t, config=config))
    first = [despin.check(p.spun, config=config) for p in pairs]
    profile = learn_from_spans(
        ((s.text, s.best, s.score) for r in first for s in r.spans), name="corpus", min_score=0.8, min_count=2
    )
    row(f"+ corpus profile ({len(profile.entries)} entries)", lambda t: despin.check(t, config=config, profile=profile))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=60)
    args = ap.parse_args()
    print("| data | self-learning | loc F1 | WER reduction | false change |")
    print("|---|---|---|---|---|")
    run("simulator table/moby 30%, detector wordnet (cross-resource)", sim_pairs(args.docs), Config(resources=("wordnet",)))
    dev = dev_pairs(args.docs)
    if dev:
        run("dev pairs nlpaug-wordnet (dev-set)", dev, Config())


if __name__ == "__main__":
    main()
