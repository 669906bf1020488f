"""Group spun copies with their source: verified pairs only, no chaining through weak links.

Every document is queried against an index of the corpus; a pair is an edge only when
the word alignment verifies it (`despin.trace.align.similarity` at or above the
threshold, in either direction, and the copy reaching a quarter of the other's words). Clusters are *stars*: the best-connected document
not yet placed becomes a centre and takes its unplaced verified neighbours. So every
member verified against its centre, and a chain A-B-C where A and C do not verify
never merges A and C through B alone.

>>> docs = ["The company said on Monday that profits rose steeply in March and in April.",
...         "The firm said on Monday that profits rose sharply in March and in April.",
...         "Rain fell on the hills of the north for most of the week, and the rivers rose."]
>>> cluster(docs)
[0, 0, 1]
"""
from __future__ import annotations

import tempfile
from bisect import bisect_right
from pathlib import Path
from typing import Iterable, Sequence

from ..tokenize import tokenize
from .align import MAX_PHRASE, align
from .index import Index

# Same figure as restoration's trust threshold: a verified pair is one we would restore through.
MIN_SIMILARITY = 0.40
# ... and the copy must account for this share of the other document's words: an
# article that quotes one sentence of a two-sentence item "contains" that item, but
# is not a copy of it (spun excerpts of 30% of a source still pass).
MIN_COVERAGE = 0.25


def coverage(copy: str, source: str) -> float:
    """Share of the words of ``source`` that the alignment of ``copy`` to it reaches.

    >>> round(coverage("The firm said profits rose.", "The company said profits rose. Rain fell all day."), 2)
    0.56
    """
    toks = tokenize(source)
    if not toks:
        return 0.0
    # Only the short substitutions count: with long ones a document quoting one sentence
    # of a short item would "reach" the sentences around the quote as well.
    spans = sorted((a.source_start, a.source_end) for a in align(copy, source, long_phrase=MAX_PHRASE))
    starts = [s for s, _ in spans]
    hit = 0
    for t in toks:
        k = bisect_right(starts, t.start) - 1
        hit += k >= 0 and t.end <= spans[k][1]
    return hit / len(toks)


def verified_edges(
    texts: Sequence[str], *, min_similarity: float = MIN_SIMILARITY, top: int = 10
) -> dict[int, dict[int, float]]:
    """``{i: {j: similarity}}`` for every verified pair (symmetric, best of both directions)."""
    edges: dict[int, dict[int, float]] = {i: {} for i in range(len(texts))}
    with tempfile.TemporaryDirectory(prefix="despin-cluster-") as tmp:
        ix = Index.build(Path(tmp) / "index", ((str(i), t) for i, t in enumerate(texts)))
        try:
            for i, text in enumerate(texts):
                for m in ix.query(text, top=top):
                    j = int(m.id)
                    if j != i and m.similarity >= min_similarity and coverage(text, m.source_text) >= MIN_COVERAGE:
                        s = max(m.similarity, edges[i].get(j, 0.0))
                        edges[i][j] = edges[j][i] = s
        finally:
            ix.close()
    return edges


def star_clusters(n: int, edges: dict[int, dict[int, float]]) -> list[int]:
    """Cluster ids (0.., numbered in input order) from verified edges, star by star."""
    order = sorted(range(n), key=lambda i: (-len(edges.get(i, {})), -sum(edges.get(i, {}).values()), i))
    centre_of = [-1] * n
    for c in order:
        if centre_of[c] != -1:
            continue
        centre_of[c] = c
        for j in edges.get(c, {}):
            if centre_of[j] == -1:
                centre_of[j] = c
    renumber: dict[int, int] = {}
    return [renumber.setdefault(c, len(renumber)) for c in centre_of]


def cluster(texts: Iterable[str], *, min_similarity: float = MIN_SIMILARITY) -> list[int]:
    """A cluster id for each text, in input order; spun copies share their source's id."""
    texts = list(texts)
    return star_clusters(len(texts), verified_edges(texts, min_similarity=min_similarity))
