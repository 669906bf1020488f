#!/usr/bin/env python3
"""Precompute single-word candidate originals, so the detector pays no lemminflect cost
for new word types (about a quarter of its time on new text).

For the same vocabulary as the screen table (single-word keys of the inverted lexicons,
wordfreq's 150,000 most frequent English words, and their inflections),
``despin.detector.candidates.compute_candidates(word, TABLE_SOURCES)`` (the default lexicons)
is written to ``despin/data/candidates.tsv.gz``. The header names the table version, the
candidate limits and digests of the inverted lexicons: a table that does not match the
code and data it is loaded with is ignored (everything is then computed, correctly but
slower). Rebuild after changing ``despin/candidates.py`` or the lexicons:

    python scripts/build_candidates.py [--jobs 2]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def _rows(words: list[str]) -> list[tuple[str, str]]:
    from despin.detector.candidates import TABLE_SOURCES, compute_candidates, format_row

    out = []
    for w in words:
        cands = compute_candidates(w, TABLE_SOURCES)
        for c in cands:
            if any(ch in c.text for ch in ";|\t\n"):
                raise SystemExit(f"candidate {c.text!r} of {w!r} holds a separator; change the row format")
        out.append((w, format_row(w, cands)))
    return out


def main() -> None:
    from build_screen_table import map_vocabulary, write_table

    from despin.detector.candidates import _TABLE_FILE, table_header

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "despin" / "data" / _TABLE_FILE)
    args = ap.parse_args()
    rows = map_vocabulary(_rows, args.jobs)
    write_table(args.out, table_header(), rows)
    print(f"wrote {args.out}: {len(rows)} words, {sum(bool(r) for _, r in rows)} with candidates", file=sys.stderr)


if __name__ == "__main__":
    main()
