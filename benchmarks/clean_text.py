#!/usr/bin/env python3
"""False alarms on clean text: how often `check` calls an unspun article spun, and what it changes.

    python benchmarks/clean_text.py                      # ~2 min: two samples of news-dev
    python benchmarks/clean_text.py --spread 30 --block 2000:2100 --worst 10

`despin eval` measures false change on the originals of spun pairs; this reads clean text
alone, in two samples of ``../shared/data/news-dev`` (nothing is written, no text is printed
but the first words of a headline):

- **spread**: every Nth article (``--spread``), the whole wire's mix of subjects;
- **block**: consecutive rows (``--block START:STOP``, by default the rows the
  leave-one-resource-out proxy of `benchmarks/quality.py` spins), where neighbouring stories
  share a subject (rows 2005-2019 are grain and commodity reports).

For each: articles given the verdict "spun" (score ≥ 0.5), spans per 100 words, false change
(word edits of the restored text against the article, per word, as `despin eval` counts it),
and the articles with the most changed words. Baseline in the same run: the thesaurus +
unigram baseline (`despin.baselines`, `despin eval --baseline thesaurus-unigram`) on the
same articles, so the figures read against it.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NEWS = ROOT.parent / "shared" / "data" / "news-dev" / "articles.jsonl"


def measure(texts: list[tuple[int, str]], checker, worst: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from despin.evaluate import token_strings, word_edit_distance

    words = edits = spans = spun = 0
    per_doc = []
    t0 = time.perf_counter()
    for row, text in texts:
        r = checker(text)
        toks = token_strings(text)
        e = word_edit_distance(token_strings(r.restored), toks)
        words += len(toks)
        edits += e
        spans += len(r.spans)
        spun += r.score >= 0.5
        per_doc.append((e, row, round(float(r.score), 2), " ".join(text.split()[:6])))
    per_doc.sort(key=lambda d: (-d[0], d[1]))
    return {"docs": len(texts), "spun": spun, "spans_per_100_words": 100 * spans / max(1, words),
            "false_change": edits / max(1, words), "seconds": time.perf_counter() - t0,
            "worst": [d for d in per_doc[:worst] if d[0] > 0]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spread", type=int, default=30, help="every Nth news-dev article")
    ap.add_argument("--block", default="2000:2100", help="consecutive rows START:STOP")
    ap.add_argument("--worst", type=int, default=5, help="articles listed with the most changed words")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = ap.parse_args()
    if not NEWS.exists():
        print(f"skipped: {NEWS} not found (development data is not part of the repository)")
        return 0
    import despin
    from despin.baselines import make_baseline

    rows = [json.loads(line) for line in open(NEWS, encoding="utf-8")]
    texts = [r["title"] + "\n\n" + r["text"] for r in rows]
    start, stop = (int(x) for x in args.block.split(":"))
    samples = {
        f"spread (every {args.spread}th row)": [(k, texts[k]) for k in range(0, len(texts), args.spread)],
        f"block (rows {start}-{stop - 1})": [(k, texts[k]) for k in range(start, min(stop, len(texts)))],
    }
    despin.preload()
    checkers = {"despin check": despin.check,
                "baseline thesaurus-unigram": make_baseline("thesaurus-unigram")}
    out = []
    print(f"{'sample':28s} {'checker':28s} {'docs':>5s} {'spun':>5s} {'spans/100w':>10s} {'false change':>12s}")
    for sample, docs in samples.items():
        for name, checker in checkers.items():
            m = measure(docs, checker, args.worst)
            out.append({"sample": sample, "checker": name, **m})
            print(f"{sample:28s} {name:28s} {m['docs']:5d} {m['spun']:5d} {m['spans_per_100_words']:10.2f} "
                  f"{m['false_change']:12.3%}", flush=True)
            if name == "despin check":
                for e, row, score, head in m["worst"]:  # type: ignore[attr-defined]
                    print(f"    row {row}: {e} words changed, score {score}, \"{head} ...\"")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
