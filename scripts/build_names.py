#!/usr/bin/env python3
"""Build ``despin/data/names-wordnet.txt.gz``: the names WordNet writes in capitals.

Every lemma of WordNet 3.0 (Debian's ``wordnet-base``: ``apt-get install wordnet-base``)
of two to four alphabetic words with a capital letter ("World Bank", "Federal Reserve",
"New York Stock Exchange"), one a line, as WordNet writes it, sorted. `despin.detector.decide`
gives a lower-case word its capital back where the text writes the rest of such a name in
capitals ("the World bank"): some spinners match their dictionary case-insensitively and
write the entry's lower-case spelling into names (the ProThemes dev engine lowers ~6% of
its changed tokens that way).

Usage: python scripts/build_names.py [--wordnet-dir /usr/share/wordnet]
"""
from __future__ import annotations

import argparse
import gzip
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wordnet_names(wn_dir: Path) -> list[str]:
    names: set[str] = set()
    for pos in ("noun", "verb", "adj", "adv"):
        for line in open(wn_dir / f"data.{pos}", encoding="latin-1"):
            if line.startswith("  "):
                continue  # the licence header
            f = line.split()
            for k in range(int(f[3], 16)):
                lemma = re.sub(r"\(.*\)$", "", f[4 + 2 * k]).replace("_", " ")
                words = lemma.split(" ")
                if 2 <= len(words) <= 4 and all(w.isalpha() for w in words) and any(w[:1].isupper() for w in words):
                    names.add(lemma)
    return sorted(names)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wordnet-dir", type=Path, default=Path("/usr/share/wordnet"))
    ap.add_argument("--out", type=Path, default=ROOT / "despin" / "data" / "names-wordnet.txt.gz")
    args = ap.parse_args()
    names = wordnet_names(args.wordnet_dir)
    with gzip.GzipFile(args.out, "wb", mtime=0) as f:  # (mtime 0: the same bytes every build)
        f.write(("\n".join(names) + "\n").encode("utf-8"))
    print(f"wrote {args.out}: {len(names)} names")


if __name__ == "__main__":
    main()
