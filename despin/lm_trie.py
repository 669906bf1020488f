"""pocketsphinx's trigram file read into numpy: the same log-probabilities, a batch at a time.

`despin.lm` asks pocketsphinx for one trigram per call (~1.5 µs with string conversion);
the detector needs thousands per document, most of them new. This module reads the same
binary trie (``en-us.lm.bin``: unigram table, bit-packed bigram and trigram levels,
16-bit quantised probabilities and back-offs), indexes the bigrams and trigrams in
open-addressing hash tables, and answers whole arrays of (word, history) ids with
pocketsphinx's own back-off arithmetic (float32 sums, truncated to its integer log-1.0001
scale). The answers are pocketsphinx's, integer for integer: ``benchmarks/lm_lookup.py``
and the tests compare them key by key. Loading takes ~2 s and ~210 MB, so only
long-running jobs load it (`despin.preload`); everything works without it.

>>> import numpy as np
>>> m = load()
>>> ids = m.ids(["the", "stock", "market", "qzxjvv"])
>>> int(ids[3])
-1
>>> int(m.score(ids[2:3], ids[1:2], ids[0:1])[0]) == __import__("despin").lm._model().prob(("market", "stock", "the"))
True
"""
from __future__ import annotations

import itertools
import struct
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .lm import model_path

_MUL = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing
_HEADER = b"Trie Language Model"


class HashIndex:
    """Position of each key of a unique non-negative int64 array, by linear probing; -1 when absent.

    >>> h = HashIndex(np.array([5, 17, 2**40], dtype=np.int64))
    >>> h.find(np.array([17, 4, 2**40], dtype=np.int64)).tolist()
    [1, -1, 2]
    """

    def __init__(self, keys: np.ndarray) -> None:
        n = len(keys)
        self.bits = max(4, int(np.ceil(np.log2(max(2, n) * 2))))  # load factor <= 0.5
        self.mask = (1 << self.bits) - 1
        self.keys = np.full(1 << self.bits, -1, np.int64)
        self.pos = np.full(1 << self.bits, -1, np.int32)
        slot = self._slot(keys)
        pending = np.arange(n)
        while pending.size:  # a round: each pending key takes its slot if free (the first one wins)
            s = slot[pending]
            free = self.keys[s] == -1
            candidates = pending[free]
            _, first = np.unique(s[free], return_index=True)
            won = candidates[first]
            self.keys[slot[won]] = keys[won]
            self.pos[slot[won]] = won
            placed = np.zeros(n, bool)
            placed[won] = True
            pending = pending[~placed[pending]]
            taken = self.keys[slot[pending]] != -1
            slot[pending[taken]] = (slot[pending[taken]] + 1) & self.mask

    def _slot(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((keys.astype(np.uint64) * _MUL) >> np.uint64(64 - self.bits)).astype(np.int64)

    def find(self, keys: np.ndarray) -> np.ndarray:
        out = np.full(len(keys), -1, np.int64)
        s = self._slot(keys)
        active = np.arange(len(keys))
        rounds = 0
        while active.size:
            if rounds >= 4 and active.size <= 32:
                # The few keys in long probe runs: one by one, not a numpy round for each step.
                table, pos, mask = self.keys, self.pos, self.mask
                for a, slot in zip(active.tolist(), s.tolist()):
                    key = int(keys[a])
                    while (found := int(table[slot])) != -1:
                        if found == key:
                            out[a] = pos[slot]
                            break
                        slot = (slot + 1) & mask
                break
            found = self.keys[s]
            hit = found == keys[active]
            out[active[hit]] = self.pos[s[hit]]
            go_on = ~hit & (found != -1)
            active, s = active[go_on], (s[go_on] + 1) & self.mask
            rounds += 1
        return out


def _fields(mem: np.ndarray, total: int, start: int, length: int, n: int) -> np.ndarray:
    """n little-endian bit fields of ``length`` bits, the k-th at bit k*total + start (pocketsphinx's bitarr)."""
    off = np.arange(n, dtype=np.int64) * total + start
    byte, shift = off >> 3, (off & 7).astype(np.uint64)
    padded = np.concatenate([mem, np.zeros(8, np.uint8)])
    v = np.zeros(n, np.uint64)
    for b in range(5):  # a field is at most 25 bits, shifted by at most 7
        v |= padded[byte + b].astype(np.uint64) << np.uint64(8 * b)
    return ((v >> shift) & np.uint64((1 << length) - 1)).astype(np.int64)


class TrieLM:
    """A 3-gram pocketsphinx trie file in numpy arrays. ``score`` is ``NGramModel.prob`` for id arrays."""

    def __init__(self, path: str) -> None:
        raw = np.fromfile(path, dtype=np.uint8)
        pos = len(_HEADER)
        if raw[:pos].tobytes() != _HEADER or len(raw) < 100 or raw[pos] != 3:
            raise ValueError(f"{path}: not a 3-gram pocketsphinx trie file")
        pos += 1
        n1, n2, n3 = (int(c) for c in np.frombuffer(raw[pos:pos + 12].tobytes(), "<u4"))
        pos += 12 + 4  # the counts, then a field that used to name the quantisation
        bins = 1 << 16
        q = np.frombuffer(raw[pos:pos + 12 * bins].tobytes(), "<f4")
        pos += 12 * bins
        self._bi_prob_bins, self._bi_bo_bins, self._tri_prob_bins = q[:bins], q[bins:2 * bins], q[2 * bins:]
        unigrams = np.frombuffer(raw[pos:pos + 12 * (n1 + 1)].tobytes(),
                                 np.dtype([("p", "<f4"), ("b", "<f4"), ("n", "<u4")]))
        pos += 12 * (n1 + 1)
        self._u_prob, self._u_bo = unigrams["p"].copy(), unigrams["b"].copy()
        u_next = unigrams["n"].astype(np.int64)
        self._wbits = wbits = n1.bit_length()
        nbits = n3.bit_length()
        mid_total, lon_total = wbits + 32 + nbits, wbits + 16
        mid_size = ((1 + n2) * mid_total + 7) // 8 + 8
        lon_size = ((1 + n3) * lon_total + 7) // 8 + 8
        mid, lon = raw[pos:pos + mid_size], raw[pos + mid_size:pos + mid_size + lon_size]
        pos += mid_size + lon_size
        (size,) = struct.unpack("<i", raw[pos:pos + 4].tobytes())
        words = raw[pos + 4:pos + 4 + size].tobytes().split(b"\0")[:-1]
        if len(words) != n1:
            raise ValueError(f"{path}: {len(words)} words for {n1} unigrams")
        self.vocab = {w.decode("utf-8", "replace"): i for i, w in enumerate(words)}
        m_word = _fields(mid, mid_total, 0, wbits, n2 + 1)
        self._m_bo = _fields(mid, mid_total, wbits, 16, n2 + 1).astype(np.uint16)
        self._m_prob = _fields(mid, mid_total, wbits + 16, 16, n2 + 1).astype(np.uint16)
        m_next = _fields(mid, mid_total, wbits + 32, nbits, n2 + 1)
        l_word = _fields(lon, lon_total, 0, wbits, n3 + 1)
        self._l_prob = _fields(lon, lon_total, wbits, 16, n3 + 1).astype(np.uint16)
        # Bigram "h w" is stored among w's children, trigram "h2 h1 w" among those of bigram
        # "h1 w": key each by (parent position << word bits) | word.
        parent = np.repeat(np.arange(n1, dtype=np.int64), np.diff(u_next))
        self._bigrams = HashIndex((parent << wbits) | m_word[:len(parent)])
        bparent = np.repeat(np.arange(len(parent), dtype=np.int64), np.diff(m_next[:len(parent) + 1]))
        tri = (bparent << wbits) | l_word[:len(bparent)]
        self._trigrams = HashIndex(tri)
        # pocketsphinx finds children by interpolation search over a sorted run; where a run is
        # out of order it may miss what a hash finds. Such bigrams are answered by pocketsphinx.
        self._odd_bigrams = np.unique(bparent[np.nonzero(np.diff(tri) <= 0)[0]])

    def ids(self, words: Sequence[str]) -> np.ndarray:
        """Word ids; -1 for a word outside the vocabulary (and for "", no word)."""
        return np.fromiter(map(self.vocab.get, words, itertools.repeat(-1)), np.int64, len(words))

    def score(self, w: np.ndarray, h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
        """pocketsphinx's integer log-probabilities of ``w`` after ``h2 h1`` (ids; -1 = no history word).

        ``w`` must be in the vocabulary. A history stops at its first unknown word, as in
        pocketsphinx. Entries where pocketsphinx's own search could differ come back as
        ``np.iinfo(np.int64).min``: ask pocketsphinx for those.
        """
        f32 = np.float32
        up = self._u_prob[w]
        h1v = h1 >= 0
        h2v = h1v & (h2 >= 0)
        h1c, h2c = np.maximum(h1, 0), np.maximum(h2, 0)
        b = np.where(h1v, self._bigrams.find((w << self._wbits) | h1c), -1)
        has_b = b >= 0
        bc = np.maximum(b, 0)
        bprob = self._bi_prob_bins[self._m_prob[bc]]
        bo1 = self._u_bo[h1c]
        one = np.where(has_b, bprob, (up + bo1).astype(f32))
        c = self._bigrams.find((h1c << self._wbits) | h2c)
        bc1 = np.where(c >= 0, self._bi_bo_bins[self._m_bo[np.maximum(c, 0)]], f32(0)).astype(f32)
        t = np.where(has_b, self._trigrams.find((bc << self._wbits) | h2c), -1)
        tprob = self._tri_prob_bins[self._l_prob[np.maximum(t, 0)]]
        two = np.where(~has_b, ((up + bo1).astype(f32) + bc1).astype(f32),
                       np.where(t >= 0, tprob, (bprob + bc1).astype(f32)))
        out = np.trunc(np.where(h2v, two, np.where(h1v, one, up)).astype(f32)).astype(np.int64)
        if self._odd_bigrams.size:
            out[h2v & has_b & np.isin(b, self._odd_bigrams)] = np.iinfo(np.int64).min
        return out


@lru_cache(maxsize=1)
def load() -> TrieLM:
    """The trie of the model `despin.lm` uses, read once per process."""
    return TrieLM(model_path())
