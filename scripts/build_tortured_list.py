#!/usr/bin/env python3
"""Build the tortured-phrase list that ships as `despin papers`' default list.

Source: ``../shared/data/tortured/pps-dev.tsv``, half of the *Problematic Paper Screener*
(PPS) tortured-phrase list by Guillaume Cabanac, Cyril Labbé and Alexander Magazinov,
CC BY 4.0 (see ``../shared/data/tortured/SOURCE.md``; ``../shared/data/README.md``
allows shipping it as the default list with the attribution). Output:
``despin/data/tortured-pps.tsv.gz`` — the same ``tortured<TAB>correct`` lines in the same
order, after a comment header that carries the attribution, written byte-reproducibly
(gzip without a timestamp).

One change, recorded in the header and in despin/data/NOTICE: entries whose tortured
phrase the list itself gives as a *correct* term (e.g. a phrase that is the correct side
of another entry) are dropped — they are PPS fingerprints that need context the flat
file lost (PPS combines them with AND/NOT), and alone they flag sound papers
(14 of 3,984 entries in the 2026-03-06 half).

    python scripts/build_tortured_list.py [--source ../shared/data/tortured/pps-dev.tsv]
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SOURCE = ROOT.parent / "shared" / "data" / "tortured" / "pps-dev.tsv"
OUTPUT = ROOT / "despin" / "data" / "tortured-pps.tsv.gz"
# sha256 of the file this build was made from (SOURCE.md); another file builds too, with a warning
EXPECTED_SHA256 = "990207a2aad0741513d2ceed556388aa3626b97b8df60b150a72e329e1ce6c18"

HEADER = """\
# despin tortured-phrase list v1 (the default list of `despin papers`)
# Half of the "Tortured" list of the Problematic Paper Screener (PPS) by Guillaume Cabanac,
# Cyril Labbé and Alexander Magazinov, https://dbrech.irit.fr/pls/apex/f?p=9999:5
# (G. Cabanac, C. Labbé, A. Magazinov, arXiv:2107.06751 and arXiv:2210.04895).
# Licence: CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). Changed: only half of
# the PPS list (the phrases whose sha256 is even), reformatted to TSV, and {dropped} entries
# dropped whose tortured phrase the list itself gives as a correct term.
# Built by scripts/build_tortured_list.py from a file with sha256 {sha}.
tortured\tcorrect
"""


def build(source: Path) -> tuple[bytes, int, int]:
    """The gzipped list, the number of entries kept and dropped."""
    from despin.papers.bundled import drop_correct_terms
    from despin.papers.lists import parse_list_text

    raw = source.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if sha != EXPECTED_SHA256:
        print(f"warning: {source} has sha256 {sha}, not the documented {EXPECTED_SHA256}", file=sys.stderr)
    text = raw.decode("utf-8")
    parse_list_text(text, str(source))  # a bad line stops the build with FILE:LINE
    rows = [(t, c) for t, _, c in (line.partition("\t") for line in text.splitlines())
            if t.strip() and not t.startswith("#")]
    kept = drop_correct_terms(rows)
    dropped = len(rows) - len(kept)
    body = HEADER.format(dropped=dropped, sha=sha) + "".join(f"{t}\t{c}\n" for t, c in kept)
    return gzip.compress(body.encode("utf-8"), compresslevel=9, mtime=0), len(kept), dropped


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", type=Path, default=SOURCE)
    ap.add_argument("--output", type=Path, default=OUTPUT)
    args = ap.parse_args()
    if not args.source.exists():
        print(f"error: {args.source} not found (the list is built from ../shared/data)", file=sys.stderr)
        return 1
    data, kept, dropped = build(args.source)
    args.output.write_bytes(data)
    print(f"{args.output}: {kept} entries ({dropped} dropped), {len(data)} bytes, "
          f"sha256 {hashlib.sha256(data).hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
