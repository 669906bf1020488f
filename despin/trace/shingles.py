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

Phrase substitutions can bring function words in or take them out ("in the course
of" for "during"), which breaks skeleton n-grams. So a second family rides along:
3-grams over the *anchors* -- numbers and capitalised words not at a sentence start
(names), which a synonym table leaves alone. Both families go into one set.

>>> skeleton_symbols(tokenize_lower("The dry period means the crop will be late this year."))
[1, 0, 1, 0, 16, 0]
>>> len(skeleton_shingles("The cat sat on the mat, and then the dog sat in the hall of the house.", n=4))
12
"""
from __future__ import annotations

import re
import zlib
from itertools import repeat
from typing import NamedTuple, Sequence

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


# Anchors: a capitalised word after a plain space that follows no sentence end, or
# any token that starts with a digit (``\b(?:(?<=[^.!?\s] )[A-Z]\w*(?:['’]\w+)*|\d\w*)``).
# A regex (one C pass) rather than a Python loop per word, which made indexing 3x
# slower. Written to start with a character class, so that the regex engine skips
# straight to the next capital or digit, with the context checked by look-behinds
# after it: the same matches (checked on the dev articles) in half the time.
_ANCHOR = re.compile(r"[A-Z0-9](?:(?<=[^.!?\s] [A-Z])\w*(?:['’]\w+)*|(?<=[0-9])(?<!\w[0-9])\w*)")


class Words(NamedTuple):
    """Lower-cased words of a paragraph and its anchors (numbers, mid-sentence capitals)."""

    words: list[str]
    anchors: list[str]


def text_words(text: str) -> Words:
    """`Words` of a text (one paragraph's worth).

    >>> text_words("Rain fell in Kells on 4 May. Then it stopped.").anchors
    ['kells', '4', 'may']
    """
    return Words(TOKEN_RE.findall(text.lower()), [a.lower() for a in _ANCHOR.findall(text)])


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
    the index of the word that ends it: chunks of a document are slices of this.

    Vectorised (``map`` over the symbol table, numpy shifts): this runs for every
    document indexed and every candidate re-ranked.
    """
    if not words:
        return np.zeros(0, dtype=np.uint32), []
    sym = np.fromiter(map(_SYMBOL.get, words, repeat(GAP)), dtype=np.uint64, count=len(words))
    # One gap per run of other words, whatever its length (a spinner may change it).
    keep = np.ones(len(sym), dtype=bool)
    keep[1:] = (sym[1:] != GAP) | (sym[:-1] != GAP)
    ends = np.flatnonzero(keep)
    seq = sym[keep]
    if len(seq) < n:
        if len(seq) < 4:
            return np.zeros(0, dtype=np.uint32), []
        ids = np.array([len(seq) << 58 | _pack(seq.tolist())], dtype=np.uint64)  # apart from n-grams
        pos = [int(ends[-1])]
    else:
        # 6 bits a symbol: an n-gram id is exact (no collisions) up to n = 10.
        m = len(seq) - n + 1
        ids = np.zeros(m, dtype=np.uint64)
        for k in range(n):
            ids |= seq[k : k + m] << np.uint64(6 * (n - 1 - k))
        pos = ends[n - 1 :].tolist()
    return ((ids * _MIX) >> np.uint64(32)).astype(np.uint32), pos


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


def anchor_shingle_seq(pars: Sequence[Words], n: int = 3) -> tuple[np.ndarray, list[int]]:
    """Ids of ``n``-grams over the anchors, in order; each positioned at the last word of
    the paragraph holding its last anchor (chunks are whole paragraphs, so that is enough)."""
    anchors: list[str] = []
    where: list[int] = []
    end = -1
    for p in pars:
        end += len(p.words)
        anchors.extend(p.anchors)
        where.extend([max(end, 0)] * len(p.anchors))
    if len(anchors) < n:
        return np.zeros(0, dtype=np.uint32), []
    # Hash each anchor once (C-level maps), then mix n neighbours with numpy: a third
    # of the cost of hashing every joined n-gram string.
    h = np.fromiter(map(zlib.crc32, map(str.encode, anchors)), dtype=np.uint64, count=len(anchors))
    m = len(anchors) - n + 1
    mixed = np.zeros(m, dtype=np.uint64)
    for k in range(n):
        mixed = (mixed ^ h[k : k + m]) * _MIX
    ids = (mixed >> np.uint64(32)).astype(np.uint32)
    return ids, where[n - 1 :]


def skeleton_anchor_seq(pars: Sequence[Words], n: int = 9) -> tuple[np.ndarray, list[int]]:
    """Skeleton ``n``-grams and anchor 3-grams of a text, merged in text order."""
    ids1, pos1 = skeleton_shingle_seq([w for p in pars for w in p.words], n)
    ids2, pos2 = anchor_shingle_seq(pars, 3)
    if not len(ids2):
        return ids1, pos1
    pos = np.asarray(pos1 + pos2)
    order = np.argsort(pos, kind="stable")
    return np.concatenate([ids1, ids2])[order], pos[order].tolist()


def skeleton_anchor_batch(docs: Sequence[Sequence[Words]], n: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`skeleton_anchor_seq` of several documents in one numpy pass.

    Returns shingle ids, the position of each one's last word counted across all
    documents (document ``d``'s words follow those of ``d - 1``), and the index of its
    document; ordered by that position. Per document, the same ids at the same
    positions as `skeleton_anchor_seq`: a test checks it. Building an index spends
    more on the overhead of numpy calls on a few hundred shingles than on the work,
    so the index signs documents in batches.
    """
    words: list[str] = []
    counts: list[int] = []
    anchors: list[str] = []
    where: list[int] = []
    adoc: list[int] = []
    for d, pars in enumerate(docs):
        start = len(words)
        for p in pars:
            words += p.words
            if p.anchors:
                # Positioned at the paragraph's last word, as in `anchor_shingle_seq`.
                anchors += p.anchors
                where += [max(len(words) - 1, start)] * len(p.anchors)
                adoc += [d] * len(p.anchors)
        counts.append(len(words) - start)
    empty = np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    if not words:
        return empty
    ndocs = len(docs)
    word_doc = np.repeat(np.arange(ndocs, dtype=np.intp), counts)
    sym = np.fromiter(map(_SYMBOL.get, words, repeat(GAP)), dtype=np.uint64, count=len(words))
    # One gap per run of other words, never across a document boundary.
    keep = np.ones(len(sym), dtype=bool)
    keep[1:] = (sym[1:] != GAP) | (sym[:-1] != GAP) | (word_doc[1:] != word_doc[:-1])
    ends = np.flatnonzero(keep)
    seq, sdoc = sym[keep], word_doc[keep]
    id_parts: list[np.ndarray] = []
    pos_parts: list[np.ndarray] = []
    doc_parts: list[np.ndarray] = []
    if len(seq) >= n:
        m = len(seq) - n + 1
        ids = np.zeros(m, dtype=np.uint64)
        for k in range(n):
            ids |= seq[k : k + m] << np.uint64(6 * (n - 1 - k))
        ok = sdoc[: m] == sdoc[n - 1 :]  # the n-gram lies in one document
        id_parts.append(((ids[ok] * _MIX) >> np.uint64(32)).astype(np.uint32))
        pos_parts.append(ends[n - 1 :][ok])
        doc_parts.append(sdoc[: m][ok])
    # A document with 4..n-1 skeleton symbols gets one shingle for its whole skeleton.
    lengths = np.bincount(sdoc, minlength=ndocs)
    for d in np.flatnonzero((lengths >= 4) & (lengths < n)).tolist():
        one = seq[sdoc == d]
        v = np.array([len(one) << 58 | _pack(one.tolist())], dtype=np.uint64)
        id_parts.append(((v * _MIX) >> np.uint64(32)).astype(np.uint32))
        pos_parts.append(ends[sdoc == d][-1:])
        doc_parts.append(np.array([d], dtype=np.intp))
    if len(anchors) >= 3:
        h = np.fromiter(map(zlib.crc32, map(str.encode, anchors)), dtype=np.uint64, count=len(anchors))
        ad = np.asarray(adoc, dtype=np.intp)
        m = len(anchors) - 2
        mixed = np.zeros(m, dtype=np.uint64)
        for k in range(3):
            mixed = (mixed ^ h[k : k + m]) * _MIX
        ok = ad[:m] == ad[2:]
        id_parts.append((mixed[ok] >> np.uint64(32)).astype(np.uint32))
        pos_parts.append(np.asarray(where, dtype=np.intp)[2:][ok])
        doc_parts.append(ad[2:][ok])
    if not id_parts:
        return empty
    ids_all, pos_all, doc_all = np.concatenate(id_parts), np.concatenate(pos_parts), np.concatenate(doc_parts)
    order = np.argsort(pos_all, kind="stable")
    return ids_all[order], pos_all[order].astype(np.intp), doc_all[order].astype(np.intp)


# Skeleton n-gram length of the second stage. Shorter than the first stage's 9: its
# copies have lost their name anchors, and phrase expansions that bring in function
# words break skeleton n-grams, so a short copy can keep a 9-gram Jaccard of only 0.02
# with its source (0.6 expected misses in 1,500 casefold copies with 64 one-row bands,
# 1 seen); 7-grams keep >= 0.07 on those copies (0.01 expected misses) while unrelated
# articles stay below 0.02 (p99).
CASE_BLIND_N = 7


def case_blind(pars: Sequence[Words]) -> list[Words]:
    """The same paragraphs with only the anchors that casing cannot change: numbers.

    Names are anchors only while capitalised; a copy that lower-cases them loses them,
    so the second stage of a trace query (`despin.trace.index`) shingles the skeleton
    and the number 3-grams alone, which a synonym table and a change of case both
    leave as they were ("acme corp" or "Acme Corporation", 40 mln in 1998 stays 40 1998).
    """
    return [Words(p.words, [a for a in p.anchors if a[:1].isdigit()]) for p in pars]


def case_blind_set(text: str) -> np.ndarray:
    """Distinct ids of the skeleton `CASE_BLIND_N`-grams and number 3-grams of ``text``
    (see `case_blind`)."""
    return _unique(skeleton_anchor_seq(case_blind(paragraph_words(text)), CASE_BLIND_N))


def _unique(seq: tuple[np.ndarray, list[int]]) -> np.ndarray:
    return np.unique(seq[0])


# name -> function from paragraphs' `Words` to (ids in text order, index of each one's last word)
# (each family may also have a batch form in BATCH_SHINGLERS: see `skeleton_anchor_batch`)
SHINGLERS = {
    "skeleton9+anchor3": skeleton_anchor_seq,
    "plain5": lambda pars: plain_shingle_seq([w for p in pars for w in p.words], 5),
}


BATCH_SHINGLERS = {"skeleton9+anchor3": skeleton_anchor_batch}


def shingle_set(name: str, text: str) -> np.ndarray:
    """Distinct shingle ids of ``text`` for shingle family ``name`` (sorted uint32).

    >>> len(shingle_set("skeleton9+anchor3", "Rain fell in Kells on 4 May, the day of the fair."))
    3
    """
    return _unique(SHINGLERS[name](paragraph_words(text)))

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


def paragraph_words(text: str) -> list[Words]:
    """`Words` of each paragraph (one tokenisation serves document and chunks)."""
    return [text_words(text[s:e]) for s, e in paragraphs(text)]


def chunk_bounds(par_words: Sequence[Sequence[object]], min_tokens: int = 200, max_chunks: int = 16) -> list[int]:
    """Word indices where chunks end: consecutive paragraphs grouped to >= ``min_tokens``.

    Indexing chunks as well as whole documents lets an excerpt of a long source find it:
    an excerpt's Jaccard similarity to the whole document is at most its share of it.

    >>> chunk_bounds([["w"] * 150, ["w"] * 100, ["w"] * 30], min_tokens=200)
    [280]
    >>> chunk_bounds([["w"] * 250, ["w"] * 100, ["w"] * 180], min_tokens=200)
    [250, 530]

    (Each item's ``len`` is its word count: pass word lists or `Words.words`.)
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
