"""Spinner-proof shingles: n-grams over the function-word *skeleton* of a text.

A thesaurus spinner swaps content words (nouns, verbs, adjectives, adverbs, and any
word with a dictionary sense, even "it", "he", "said" or "1"), and sometimes one word
for several. It does not touch closed-class words that have no synonyms: articles,
most prepositions, conjunctions, some pronouns. So we keep those words and collapse
every run of other tokens into one gap symbol::

    "The dry period means the crop will be late this year."
    -> the _ the _ this _

A 9-gram over that sequence survives any synonym swap, of any length, inside the gaps.
On the 400 dev pairs (nlpaug WordNet, 22.7% of tokens changed) the Jaccard similarity
of spun and source skeleton sets is ~0.6 where plain word 5-grams keep ~0.14, while
unrelated news articles stay near 0.01 (figures: docs/trace.md).

>>> skeleton_symbols(tokenize_lower("The dry period means the crop will be late this year."))
[1, 0, 1, 0, 16, 0]
>>> len(skeleton_shingles("The cat sat on the mat, and then the dog sat in the hall of the house.", n=4))
12
"""
from __future__ import annotations

import re
import zlib
from typing import Sequence

import numpy as np

from ..tokenize import TOKEN_RE

# Closed-class words that thesaurus spinners leave alone. Chosen by measurement, not
# by grammar: on the dev pairs each of these changed in < 2.5% of its occurrences,
# whereas "it", "he", "is", "said", "also", "over", "but" changed 30-40% of the time
# (WordNet lists them: IT, helium, ...), so they are gaps like any content word.
SKELETON_WORDS: tuple[str, ...] = (
    "the", "a", "an", "of", "and", "to", "in", "for", "from", "by", "with", "at", "on",
    "that", "which", "this", "these", "those", "their", "they", "them", "we", "our",
    "his", "her", "she", "if", "than", "into", "after", "against", "any", "because",
    "between", "both", "could", "should", "would", "during", "no", "some", "such",
    "until", "what", "when", "while", "each", "whose", "whom", "where", "why", "how",
    "then", "there", "you", "your", "my", "whether", "among", "within", "without",
)  # fmt: skip
assert len(SKELETON_WORDS) < 63  # symbols fit in 6 bits, a 9-gram in 54 bits

_SYMBOL = {w: i + 1 for i, w in enumerate(SKELETON_WORDS)}
GAP = 0
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads 54-bit ids over 32 bits


def tokenize_lower(text: str) -> list[str]:
    """Lower-cased word tokens, same definition as `despin.tokenize` (no offsets: fast)."""
    return TOKEN_RE.findall(text.lower())


def skeleton_symbols(words: Sequence[str]) -> list[int]:
    """Map lower-cased words to skeleton symbols; runs of other words become one `GAP`."""
    seq: list[int] = []
    for w in words:
        s = _SYMBOL.get(w, GAP)
        if s == GAP and seq and seq[-1] == GAP:
            continue
        seq.append(s)
    return seq


def skeleton_shingles(text_or_words: str | Sequence[str], n: int = 9) -> np.ndarray:
    """Distinct 32-bit ids of the skeleton ``n``-grams of a text (sorted, uint32).

    A text with fewer than ``n`` symbols (but at least 4) gives one shingle for its
    whole skeleton, so short texts can still match an identical short skeleton.
    """
    words = tokenize_lower(text_or_words) if isinstance(text_or_words, str) else text_or_words
    return np.unique(skeleton_shingle_seq(words, n)[0])


def skeleton_shingle_seq(words: Sequence[str], n: int = 9) -> tuple[np.ndarray, list[int]]:
    """Skeleton shingle ids in text order (uint32, repeats kept) and, for each shingle,
    the index of the word that ends it: chunks of a document are slices of this."""
    seq: list[int] = []
    ends: list[int] = []
    for k, w in enumerate(words):
        s = _SYMBOL.get(w, GAP)
        if s == GAP and seq and seq[-1] == GAP:
            continue  # one word or five: a spinner may change the length of a gap
        seq.append(s)
        ends.append(k)
    if len(seq) < n:
        if len(seq) < 4:
            return np.zeros(0, dtype=np.uint32), []
        ids = [len(seq) << 58 | _pack(seq)]  # keep short ones apart from n-grams
        pos = [ends[-1]]
    else:
        # Rolling 6-bit packing: an n-gram id is exact (no collisions) up to n = 10.
        mask = (1 << (6 * n)) - 1
        v = _pack(seq[: n - 1])
        ids = []
        for s in seq[n - 1 :]:
            v = ((v << 6) | s) & mask
            ids.append(v)
        pos = ends[n - 1 :]
    arr = np.fromiter(ids, dtype=np.uint64, count=len(ids))
    return ((arr * _MIX) >> np.uint64(32)).astype(np.uint32), pos


def _pack(symbols: Sequence[int]) -> int:
    v = 0
    for s in symbols:
        v = (v << 6) | s
    return v


def plain_shingles(text_or_words: str | Sequence[str], n: int = 5) -> np.ndarray:
    """Distinct 32-bit ids of ordinary lower-cased word ``n``-grams: the baseline.

    >>> len(plain_shingles("one two three four five six"))
    2
    """
    words = tokenize_lower(text_or_words) if isinstance(text_or_words, str) else text_or_words
    return np.unique(plain_shingle_seq(words, n)[0])


def plain_shingle_seq(words: Sequence[str], n: int = 5) -> tuple[np.ndarray, list[int]]:
    """Word ``n``-gram ids in text order with the index of each one's last word."""
    if len(words) < n:
        grams = [" ".join(words)] if words else []
        pos = [len(words) - 1] if words else []
    else:
        grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
        pos = list(range(n - 1, len(words)))
    ids = np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint32, count=len(grams))
    return ids, pos


# name -> (distinct ids of a word list, ids in order with end positions)
SHINGLERS = {
    "skeleton9": (lambda w: skeleton_shingles(w, 9), lambda w: skeleton_shingle_seq(w, 9)),
    "plain5": (lambda w: plain_shingles(w, 5), lambda w: plain_shingle_seq(w, 5)),
}

_PARA_RE = re.compile(r"\n[ \t\r]*\n")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Character ranges of the paragraphs of ``text`` (blank-line separated; else lines).

    >>> paragraphs("one\\n\\ntwo")
    [(0, 3), (5, 8)]
    """
    splitter = _PARA_RE if _PARA_RE.search(text) else re.compile(r"\n")
    out: list[tuple[int, int]] = []
    pos = 0
    for m in splitter.finditer(text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return [(s, e) for s, e in out if text[s:e].strip()]


def paragraph_words(text: str) -> list[list[str]]:
    """Lower-cased words of each paragraph (one tokenisation serves document and chunks)."""
    return [tokenize_lower(text[s:e]) for s, e in paragraphs(text)]


def chunk_bounds(par_words: list[list[str]], min_tokens: int = 200, max_chunks: int = 16) -> list[int]:
    """Word indices where chunks end: consecutive paragraphs grouped to >= ``min_tokens``.

    Indexing chunks as well as whole documents lets an excerpt of a long source find it:
    an excerpt's Jaccard similarity to the whole document is at most its share of it.

    >>> chunk_bounds([["w"] * 150, ["w"] * 100, ["w"] * 30], min_tokens=200)
    [280]
    >>> chunk_bounds([["w"] * 250, ["w"] * 100, ["w"] * 180], min_tokens=200)
    [250, 530]
    """
    bounds: list[int] = []
    total = cur = 0
    for words in par_words:
        total += len(words)
        cur += len(words)
        if cur >= min_tokens:
            bounds.append(total)
            cur = 0
    if cur:
        if bounds and cur < min_tokens // 2:
            bounds[-1] = total  # a short tail joins the last chunk
        else:
            bounds.append(total)
    if len(bounds) > max_chunks:  # bound the rows a very long document costs
        per = -(-len(bounds) // max_chunks)
        bounds = bounds[per - 1 :: per] if bounds[-1] in bounds[per - 1 :: per] else bounds[per - 1 :: per] + [bounds[-1]]
    return bounds
