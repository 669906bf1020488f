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

from ..tokenize import tokenize

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
    """Lower-cased word tokens (see `despin.tokenize`)."""
    return [t.text.lower() for t in tokenize(text)]


def skeleton_symbols(words: Sequence[str]) -> list[int]:
    """Map lower-cased words to skeleton symbols; runs of other words become one `GAP`."""
    seq: list[int] = []
    for w in words:
        s = _SYMBOL.get(w, GAP)
        if s == GAP and seq and seq[-1] == GAP:
            continue  # one word or five: a spinner may change the length of a gap
        seq.append(s)
    return seq


def skeleton_shingles(text_or_words: str | Sequence[str], n: int = 9) -> np.ndarray:
    """Distinct 32-bit ids of the skeleton ``n``-grams of a text (sorted, uint32).

    A text with fewer than ``n`` symbols (but at least 4) gives one shingle for its
    whole skeleton, so short texts can still match an identical short skeleton.
    """
    words = tokenize_lower(text_or_words) if isinstance(text_or_words, str) else text_or_words
    seq = np.asarray(skeleton_symbols(words), dtype=np.uint64)
    if len(seq) < n:
        if len(seq) < 4:
            return np.zeros(0, dtype=np.uint32)
        ids = np.zeros(1, dtype=np.uint64)
        for k, s in enumerate(seq):
            ids |= s << np.uint64(6 * k)
        ids |= np.uint64(len(seq)) << np.uint64(58)  # keep short ones apart from 9-grams
    else:
        m = len(seq) - n + 1
        ids = np.zeros(m, dtype=np.uint64)
        for k in range(n):
            ids |= seq[k : k + m] << np.uint64(6 * k)
    return np.unique(((ids * _MIX) >> np.uint64(32)).astype(np.uint32))


def plain_shingles(text_or_words: str | Sequence[str], n: int = 5) -> np.ndarray:
    """Distinct 32-bit ids of ordinary lower-cased word ``n``-grams: the baseline.

    >>> len(plain_shingles("one two three four five six"))
    2
    """
    words = tokenize_lower(text_or_words) if isinstance(text_or_words, str) else text_or_words
    if len(words) < n:
        grams = [" ".join(words)] if words else []
    else:
        grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    return np.unique(np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint32, count=len(grams)))


SHINGLERS = {"skeleton9": lambda w: skeleton_shingles(w, 9), "plain5": lambda w: plain_shingles(w, 5)}

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


def chunks(text: str, min_tokens: int = 200, max_chunks: int = 16) -> list[list[str]]:
    """Lower-cased token lists of consecutive paragraph groups of >= ``min_tokens`` tokens.

    Indexing chunks as well as whole documents lets an excerpt of a long source find it:
    an excerpt's Jaccard similarity to the whole document is at most its share of it.
    """
    groups: list[list[str]] = []
    cur: list[str] = []
    for s, e in paragraphs(text):
        cur.extend(tokenize_lower(text[s:e]))
        if len(cur) >= min_tokens:
            groups.append(cur)
            cur = []
    if cur:
        if groups and len(cur) < min_tokens // 2:
            groups[-1].extend(cur)
        else:
            groups.append(cur)
    if len(groups) > max_chunks:  # bound the rows a very long document costs
        per = -(-len(groups) // max_chunks)
        groups = [sum(groups[i : i + per], []) for i in range(0, len(groups), per)]
    return groups
