#!/usr/bin/env python3
"""Precompute the score-only screen's per-word evidence, so a corpus screen pays no
first-pass cost for new words (candidate generation is ~2.5 ms a word type).

For every single-word key of the inverted lexicons, its inflections, and every word in
wordfreq's 150,000 most frequent English words, ``despin.screen.type_evidence(word, DEFAULT_SOURCES)`` is written
to ``despin/data/screen-evidence.tsv.gz`` (``word<TAB>value``; ``-`` for ineligible words).
Words outside the table have no candidates, the same as the live computation says.

    python scripts/build_screen_table.py [--jobs 2]
"""
from __future__ import annotations

import argparse
import gzip
import io
import multiprocessing as mp
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from despin.lexicon import DEFAULT_SOURCES as SOURCES  # noqa: E402
T = TypeVar("T")



def _evidence(words: list[str]) -> list[tuple[str, float | None]]:
    from despin.screen import type_evidence

    return [(w, type_evidence(w, SOURCES)) for w in words]


def vocabulary() -> list[str]:
    from wordfreq import top_n_list

    from despin import lexicon

    words = set()
    for source in SOURCES:
        words.update(k for k in lexicon._raw("inverse", source) if " " not in k)
    words.update(w for w in top_n_list("en", 150_000) if w.isascii() and w.replace("'", "").isalpha())
    # Inflected forms reach candidates through their lemma ("alleviating" → "alleviate").
    from lemminflect import getAllInflections

    for w in list(words):
        for forms in getAllInflections(w).values():
            words.update(f.lower() for f in forms if f.isascii() and f.isalpha())
    return sorted(words)


def map_vocabulary(fn: Callable[[list[str]], list[T]], jobs: int) -> list[T]:
    """``fn`` over the vocabulary in chunks of 2,000 words on ``jobs`` processes, in order."""
    words = vocabulary()
    chunks = [words[i:i + 2000] for i in range(0, len(words), 2000)]
    with mp.Pool(jobs) as pool:
        return [r for part in pool.imap(fn, chunks) for r in part]


def write_table(path: Path, header: str, rows: Iterable[tuple[str, str]]) -> None:
    """``header`` then ``word<TAB>value`` lines, gzip with mtime 0 and no file name in the
    header: byte-identical output on every rebuild."""
    with open(path, "wb") as f:
        raw = gzip.GzipFile(filename="", mode="wb", compresslevel=9, mtime=0, fileobj=f)
        with io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as fh:
            fh.write(header + "\n")
            for word, value in rows:
                fh.write(f"{word}\t{value}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "despin" / "data" / "screen-evidence.tsv.gz")
    args = ap.parse_args()
    results = map_vocabulary(_evidence, args.jobs)
    from despin.screen import table_header

    write_table(args.out, table_header(), ((w, "-" if e is None else f"{e:.3f}") for w, e in results))
    print(f"wrote {args.out}: {len(results)} words", file=sys.stderr)


if __name__ == "__main__":
    main()
