"""Word vectors: how well a candidate original fits the topic of a document.

A thesaurus spinner's substitute and the original it replaced are synonyms, so a trigram
window often cannot tell the original from its other candidates, the more so where a
neighbour was spun as well. The rest of the document can: "stock" fits an article about
shares and traders better than "list" or "catalogue" do, wherever the neighbours are. The
vectors are GloVe 6B 50d (Wikipedia and Gigaword newswire; PDDL 1.0), its 100,000 most
frequent lower-case words, shipped as int8 and built by ``scripts/build_vectors.py``.

>>> sims = topic_fit([["stock"], ["list"]], centroid([["shares", "traders", "prices", "exchange"]]))
>>> sims[0] > sims[1]
True
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any, Sequence

from .errors import DataError

FILE = "vectors-glove-6b-50d.npz"
# The most frequent words (function words, "said", "year") carry no topic: not context.
CONTEXT_FROM_RANK = 150


@lru_cache(maxsize=1)
def table() -> tuple[dict[str, int], Any]:
    """``(word -> row, int8 vectors)``, loaded once (~0.1 s). The rows are kept as shipped,
    5 MB, not as floats (four times the memory, and the detector's tables are what the
    processor's caches are for): `unit_rows` scales the rows it is asked for."""
    import io

    import numpy as np

    try:
        data = resources.files("despin").joinpath("data", FILE).read_bytes()
    except FileNotFoundError:
        raise DataError(f"despin/data/{FILE} is missing; rebuild with scripts/build_vectors.py") from None
    with np.load(io.BytesIO(data)) as z:
        words = z["words"].tobytes().decode("utf-8").split("\n")
        vectors = z["vectors"]
    if len(words) != vectors.shape[0] or vectors.dtype != np.int8:
        raise DataError(f"despin/data/{FILE}: words and vectors disagree; rebuild with scripts/build_vectors.py")
    return {w: i for i, w in enumerate(words)}, vectors


@lru_cache(maxsize=1)
def _inverse_norms() -> Any:
    import numpy as np

    v = table()[1].astype(np.float32)
    return (1.0 / np.maximum(np.linalg.norm(v, axis=1), 1e-9)).astype(np.float32)


def unit_rows(rows: Any) -> Any:
    """The vectors of these rows, scaled to unit length (float32, one row each)."""
    return table()[1][rows].astype("float32") * _inverse_norms()[rows][:, None]


def context_row(word: str) -> int:
    """The row of a word that carries topic (in the table, past its most frequent), else -1."""
    r = table()[0].get(word, -1)
    return r if r >= CONTEXT_FROM_RANK else -1


def context_rows(words: Sequence[str]) -> list[int]:
    """The rows of the words that carry topic (`context_row`)."""
    out = []
    for w in words:
        r = context_row(w)
        if r >= 0:
            out.append(r)
    return out


def centroid(texts: Sequence[Sequence[str]]) -> Any:
    """The sum of the context words' vectors over ``texts`` (lists of lower-case words), or
    None when none has one."""
    found = context_rows([w for t in texts for w in t])
    if not found:
        return None
    return unit_rows(found).sum(axis=0)


def topic_fit(candidates: Sequence[Sequence[str]], context: Any) -> list[float]:
    """Cosine of each candidate (its words' mean vector) with ``context`` (a summed vector,
    `centroid`); 0.0 for a candidate with no known word or an empty context."""
    rows, entry = _rows_of(candidates)
    return batch_topic_fit(context, [((), rows, entry, len(candidates))])[0]


def _rows_of(texts: Sequence[Sequence[str]]) -> tuple[Any, Any]:
    """The table rows of the known words of ``texts`` and, for each, its text's number."""
    import numpy as np

    index = table()[0]
    rows: list[int] = []
    entry: list[int] = []
    for k, words in enumerate(texts):
        for w in words:
            r = index.get(w, -1)
            if r >= 0:
                rows.append(r)
                entry.append(k)
    return np.array(rows, dtype=np.int64), np.array(entry, dtype=np.int64)


# (candidates, observed phrase) -> their vector rows: the look-ups cost more than the
# arithmetic, and the candidate generator returns the same tuple object for the same word.
# The tuple is kept in the value, so its id stays its own while cached.
_ROWS: dict[tuple[int, str], tuple[Any, Any, Any]] = {}
_ROWS_MAX = 200_000


def candidate_rows(cands: Sequence[Any], observed: str) -> tuple[Any, Any]:
    """``(rows, entry)``: the vector rows of every known word of ``cands`` (objects with a
    ``words`` tuple), then of the ``observed`` phrase's words, and for each row the number of
    its entry (candidate ``k`` is entry ``k``, the observed phrase entry ``len(cands)``)."""
    key = (id(cands), observed)
    hit = _ROWS.get(key)
    if hit is not None and hit[0] is cands:
        return hit[1], hit[2]
    texts = [c.words for c in cands]
    texts.append(tuple(observed.replace("-", " ").split(" ")))
    out = _rows_of(texts)
    if len(_ROWS) >= _ROWS_MAX:
        _ROWS.clear()
    _ROWS[key] = (cands, *out)
    return out


def batch_topic_fit(total: Any, groups: Sequence[tuple[Sequence[int], Any, Any, int]]) -> list[list[float]]:
    """`topic_fit` for many groups at once against one document: each group is ``(own rows,
    rows, entry, n)``, its context ``total`` less the vectors of its own rows, and ``n``
    entries whose known words are ``rows``, each numbered by ``entry`` in order (the cosine
    of a sum is that of the mean). Entries with no known word get 0.0; so does every entry
    when ``total`` is None.

    With unit vectors v, cos(v, T - o) = (v.T - v.o) / |T - o| for a one-word entry: one
    product of the gathered rows with the document, one per group with its own words, and
    sums per entry (`numpy.bincount`); only entries of several words need their sum's norm."""
    import numpy as np

    if total is None or not groups:
        return [[0.0] * g[3] for g in groups]
    sizes = [g[3] for g in groups]
    lengths = [len(g[1]) for g in groups]
    found = _gathered([g[1] for g in groups], [g[2] for g in groups], sizes)
    if found is None:
        return [[0.0] * n for n in sizes]
    offsets, n_entries, entry_all, gathered = found
    num = gathered @ total
    norm_sq = float(total @ total)
    group_norm = np.full(len(groups), norm_sq)
    row_end = np.cumsum(lengths).tolist()
    for g, (own, _, _, _) in enumerate(groups):
        if own:
            o = unit_rows(list(own)).sum(axis=0)
            group_norm[g] = norm_sq - 2.0 * float(o @ total) + float(o @ o)
            a, b = row_end[g] - lengths[g], row_end[g]
            if b > a:
                num[a:b] -= gathered[a:b] @ o
    entry_num = np.bincount(entry_all, weights=num, minlength=n_entries)
    den = _entry_norms(gathered, entry_all, n_entries) * np.repeat(np.sqrt(np.maximum(group_norm, 0.0)), sizes)
    fits = np.where(den > 1e-9, entry_num / np.maximum(den, 1e-9), 0.0).tolist()
    return [fits[o:o + n] for o, n in zip(offsets.tolist(), sizes)]


def batch_context_fit(contexts: Any, groups: Sequence[tuple[Any, Any, int]]) -> list[list[float]]:
    """Like `batch_topic_fit`, with a context of its own for each group: ``contexts`` holds one
    summed vector a row (a zero row: no context, every entry 0.0), ``groups`` ``(rows, entry,
    n)`` as there. The cosine of each entry's mean vector with its group's context."""
    import numpy as np

    sizes = [g[2] for g in groups]
    if not groups:
        return []
    lengths = [len(g[0]) for g in groups]
    found = _gathered([g[0] for g in groups], [g[1] for g in groups], sizes)
    if found is None:
        return [[0.0] * n for n in sizes]
    offsets, n_entries, entry_all, gathered = found
    row_group = np.repeat(np.arange(len(groups)), lengths)
    num = np.einsum("ij,ij->i", gathered, contexts[row_group])
    entry_num = np.bincount(entry_all, weights=num, minlength=n_entries)
    den = _entry_norms(gathered, entry_all, n_entries) * np.repeat(np.sqrt(np.einsum("ij,ij->i", contexts, contexts)), sizes)
    fits = np.where(den > 1e-9, entry_num / np.maximum(den, 1e-9), 0.0).tolist()
    return [fits[o:o + n] for o, n in zip(offsets.tolist(), sizes)]


def _entry_norms(gathered: Any, entry_all: Any, n_entries: int) -> Any:
    """The norm of each entry's summed unit vectors (``gathered`` rows numbered by
    ``entry_all``, entry by entry): 1 for a one-word entry, 0 for an entry with no row."""
    import numpy as np

    entry_rows = np.bincount(entry_all, minlength=n_entries)
    entry_norm = entry_rows.astype(np.float64)
    multi = np.flatnonzero(entry_rows > 1)
    if len(multi):
        in_multi = np.flatnonzero(entry_rows[entry_all] > 1)  # their rows, entry by entry
        firsts = np.flatnonzero(np.r_[True, entry_all[in_multi][1:] != entry_all[in_multi][:-1]])
        sums = np.add.reduceat(gathered[in_multi], firsts, axis=0)
        entry_norm[multi] = np.sqrt(np.einsum("ij,ij->i", sums, sums))
    return entry_norm


def _gathered(rows: Sequence[Any], entries: Sequence[Any], sizes: list[int]) -> tuple[Any, int, Any, Any] | None:
    """Several groups' rows as one: ``(offsets of the groups' entries, number of entries, the
    entry of each row numbered across groups, the rows' unit vectors)``; None without rows."""
    import numpy as np

    offsets = np.cumsum([0] + sizes[:-1])
    rows_all = np.concatenate(rows)
    if not len(rows_all):
        return None
    entry_all = np.concatenate(entries) + np.repeat(offsets, [len(r) for r in rows])
    return offsets, int(sum(sizes)), entry_all, unit_rows(rows_all)
