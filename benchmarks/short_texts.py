#!/usr/bin/env python3
"""Short texts: the first paragraph (15–60 words) of real-engine dev pairs, clean and spun.

A text under stage 6's 50 eligible words is decided by stage 4 alone, at the short-text
threshold (`despin.detector.decide.SHORT_TEXT_THRESHOLD`): one spun type lifts the spin rate
of the whole text. This prints, over those paragraphs, the spans per 100 words of the clean
originals, and the precision and recall of the spans on the spun copies (a span is right when
a token under it was changed; recall counts changed tokens under a span).

    python benchmarks/short_texts.py --limit 150
    # another release: copy this file into its tree's benchmarks/ and run it there
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from despin import check  # noqa: E402
from despin.evaluate import gold_changes, token_strings  # noqa: E402
from despin.tokenize import tokenize  # noqa: E402

PAIRS = ROOT.parent / "shared" / "data" / "real-engines-dev" / "wp-auto-spinner-engine-aiksaurus.jsonl"


def first_paragraph(text: str) -> str | None:
    parts = [p for p in text.split("\n\n") if 15 <= len(p.split()) <= 60]
    return parts[0] if parts else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pairs", type=Path, nargs="?", default=PAIRS)
    ap.add_argument("--limit", type=int, default=150)
    args = ap.parse_args()
    if not args.pairs.exists():
        sys.exit(f"no {args.pairs}: pass a pairs file (original, spun)")
    texts = clean_words = clean_spans = right = wrong = changed_total = covered = 0
    with open(args.pairs, encoding="utf-8") as f:
        for line in f:
            if texts >= args.limit:
                break
            row = json.loads(line)
            original, spun = first_paragraph(row["original"]), first_paragraph(row["spun"])
            if original is None or spun is None:
                continue
            texts += 1
            clean_spans += len(check(original).spans)
            clean_words += len(original.split())
            toks = tokenize(spun)
            changed, _ = gold_changes([t.text for t in toks], token_strings(original))
            changed_total += len(changed)
            hit: set[int] = set()
            for s in check(spun).spans:
                inside = [k for k, t in enumerate(toks) if t.start >= s.start and t.end <= s.end]
                if any(k in changed for k in inside):
                    right += 1
                    hit.update(k for k in inside if k in changed)
                else:
                    wrong += 1
            covered += len(hit)
    print(f"{texts} short texts: clean spans per 100 words {100 * clean_spans / max(1, clean_words):.2f}; "
          f"spun: span precision {right / max(1, right + wrong):.3f}, "
          f"changed tokens under a span {covered / max(1, changed_total):.3f}")


if __name__ == "__main__":
    main()
