"""pocketsphinx's trigram file read into numpy: the same log-probabilities, a batch at a time.

`despin.lm` asks pocketsphinx for one trigram per call (~1.5 µs with string conversion);
the detector needs thousands per document, most of them new. This module reads the same
binary trie (``en-us.lm.bin``: unigram table, bit-packed bigram and trigram levels,
16-bit quantised probabilities and back-offs), indexes the bigrams and trigrams in
open-addressing hash tables, and answers whole arrays of (word, history) ids with
pocketsphinx's own back-off arithmetic (float32 sums, truncated to its integer log-1.0001
scale). The answers are pocketsphinx's, integer for integer: ``benchmarks/lm_lookup.py``
and the tests compare them key by key. Loading takes ~2.7 s and ~290 MB resident
(the mixed model of `despin.lm_build`; ~1.7 s and ~250 MB for pocketsphinx's alone), so only
long-running jobs load it (`despin.preload`); everything works without it.

>>> import numpy as np
>>> from despin.lm import model_path
>>> m = load(model_path())
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


_MUL = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing
# What `TrieLM.score` answers where pocketsphinx's own search could differ: ask pocketsphinx.
UNANSWERED = int(np.iinfo(np.int64).min)
_HEADER = b"Trie Language Model"


class HashIndex:
    """The value of each key of a unique non-negative int64 array (by default its position), by
    linear probing; -1 when absent.

    The table is laid out in the order of the keys' home slots (what Robin Hood insertion
    gives, built here in one pass), and each slot packs value, key and the distance from the
    key's home into one int64: a probe step reads one word, and a missing key's search ends
    at the first resident nearer its own home than the step is from the key's. A round of
    numpy operations per step is the cost, and the longest run is a few steps.

    >>> h = HashIndex(np.array([5, 17, 2**40], dtype=np.int64))
    >>> h.find(np.array([17, 4, 2**40], dtype=np.int64)).tolist()
    [1, -1, 2]
    """

    def __init__(self, keys: np.ndarray, values: np.ndarray | None = None) -> None:
        n = len(keys)
        values = np.arange(n, dtype=np.int64) if values is None else values.astype(np.int64)
        self.bits = max(4, int(np.ceil(np.log2(max(2, n) * 2))))  # load factor <= 0.5
        self._shift = np.uint64(64 - self.bits)
        home = self._slot(keys)
        order = np.lexsort((keys, home))
        home, keys, values = home[order], keys[order], values[order]
        # Sorted by home, each key takes the first free slot at or after it.
        k = np.arange(n)
        slot = k + np.maximum.accumulate(home - k) if n else k
        distance = slot - home
        self._kbits = max(1, int(keys.max(initial=0)).bit_length())
        self._dbits = max(1, int(distance.max(initial=0)).bit_length())
        if self._kbits + self._dbits + max(1, int(values.max(initial=0)).bit_length()) > 63:
            raise ValueError("keys and values too wide for the packed hash table")
        # Empty slots are -1; one more stays empty past the last key, so probes never run off the end.
        self.table = np.full((1 << self.bits) + int(distance.max(initial=0)) + 1, -1, np.int64)
        self.table[slot] = (((values << self._kbits) | keys) << self._dbits) | distance

    def _slot(self, keys: np.ndarray) -> np.ndarray:
        # Fibonacci hashing; uint64 array arithmetic wraps silently.
        return ((keys.astype(np.uint64) * _MUL) >> self._shift).astype(np.int64)

    def find(self, keys: np.ndarray) -> np.ndarray:
        out = np.full(len(keys), -1, np.int64)
        kbits, dbits = self._kbits, self._dbits
        kmask, dmask, vshift = (1 << kbits) - 1, (1 << dbits) - 1, kbits + dbits
        s = self._slot(keys)
        e = self.table[s]
        # An empty slot (-1) never matches a key below 2**kbits and would decode to -1 anyway.
        hit = ((e >> dbits) & kmask) == keys
        out[hit] = e[hit] >> vshift
        active = np.nonzero(~hit & (e >= 0))[0]
        s = s[active]
        step = 1
        while active.size:
            if active.size <= 16:
                self._find_one_by_one(keys, out, active.tolist(), s.tolist(), step)
                break
            s = s + 1
            e = self.table[s]
            hit = ((e >> dbits) & kmask) == keys[active]
            out[active[hit]] = e[hit] >> vshift
            # Homes are in order: a resident nearer its home than we are to ours ends the run of ours.
            go_on = ~hit & (e >= 0) & ((e & dmask) >= step)
            active, s = active[go_on], s[go_on]
            step += 1
        return out

    def _find_one_by_one(self, keys: np.ndarray, out: np.ndarray, active: list[int], slots: list[int],
                         step: int) -> None:
        """`find`'s last few keys in long runs: a numpy round a step costs more than these loops."""
        table, kbits, dbits = self.table, self._kbits, self._dbits
        kmask, dmask = (1 << kbits) - 1, (1 << dbits) - 1
        for a, slot in zip(active, slots):
            key, distance = int(keys[a]), step
            while True:
                slot += 1
                e = int(table[slot])
                if e < 0 or (e & dmask) < distance:
                    break
                if (e >> dbits) & kmask == key:
                    out[a] = e >> (kbits + dbits)
                    break
                distance += 1


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

    def __init__(self, path: str, ngrams: bool = False) -> None:
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
        l_prob = _fields(lon, lon_total, wbits, 16, n3 + 1).astype(np.uint16)
        # Bigram "h w" is stored among w's children, trigram "h2 h1 w" among those of bigram
        # "h1 w": key each by (parent position << word bits) | word.
        parent = np.repeat(np.arange(n1, dtype=np.int64), np.diff(u_next))
        self._bigrams = HashIndex((parent << wbits) | m_word[:len(parent)])
        bparent = np.repeat(np.arange(len(parent), dtype=np.int64), np.diff(m_next[:len(parent) + 1]))
        tri = (bparent << wbits) | l_word[:len(bparent)]
        # A trigram is only ever read for its probability: the table holds that, not its position.
        self._trigrams = HashIndex(tri, l_prob[:len(tri)])
        # pocketsphinx finds children by interpolation search over a sorted run; where a run is
        # out of order it may miss what a hash finds. Such bigrams are answered by pocketsphinx.
        self._odd_bigrams = np.unique(bparent[np.nonzero(np.diff(tri) <= 0)[0]])  # 2 in en-us.lm.bin
        if ngrams:  # for `despin.lm_build`: every listed bigram (w, h) and trigram (w, h1, h2), as ids
            self.bigram_ids = (parent, m_word[:len(parent)])
            self.trigram_ids = (parent[bparent], m_word[bparent], l_word[:len(bparent)])

    def ids(self, words: Sequence[str]) -> np.ndarray:
        """Word ids; -1 for a word outside the vocabulary (and for "", no word)."""
        return np.fromiter(map(self.vocab.get, words, itertools.repeat(-1)), np.int64, len(words))

    def score(self, w: np.ndarray, h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
        """pocketsphinx's integer log-probabilities of ``w`` after ``h2 h1`` (ids; -1 = no history word).

        ``w`` must be in the vocabulary. A history stops at its first unknown word, as in
        pocketsphinx. Entries where pocketsphinx's own search could differ come back as
        `UNANSWERED`: ask pocketsphinx for those.
        """
        f32 = np.float32
        up = self._u_prob[w]
        h1v = h1 >= 0
        h2v = h1v & (h2 >= 0)
        h1c, h2c = np.maximum(h1, 0), np.maximum(h2, 0)
        # Only the look-ups an entry's answer can depend on: the bigram where there is a history
        # word, the trigram where that bigram exists and there are two, the history's back-off
        # where there are two and no trigram.
        b = np.full(len(w), -1, np.int64)
        b[h1v] = self._bigrams.find((w[h1v] << self._wbits) | h1c[h1v])
        has_b = b >= 0
        bc = np.maximum(b, 0)
        bprob = self._bi_prob_bins[self._m_prob[bc]]
        backed_off = (up + self._u_bo[h1c]).astype(f32)  # the unigram after the history's back-off
        one = np.where(has_b, bprob, backed_off)
        t = np.full(len(w), -1, np.int64)
        ask = h2v & has_b
        t[ask] = self._trigrams.find((b[ask] << self._wbits) | h2c[ask])
        c = np.full(len(w), -1, np.int64)
        ask = h2v & (t < 0)
        c[ask] = self._bigrams.find((h1c[ask] << self._wbits) | h2c[ask])
        bc1 = np.where(c >= 0, self._bi_bo_bins[self._m_bo[np.maximum(c, 0)]], f32(0)).astype(f32)
        tprob = self._tri_prob_bins[np.maximum(t, 0)]
        two = np.where(~has_b, (backed_off + bc1).astype(f32),
                       np.where(t >= 0, tprob, (bprob + bc1).astype(f32)))
        out = np.trunc(np.where(h2v, two, np.where(h1v, one, up)).astype(f32)).astype(np.int64)
        if self._odd_bigrams.size:
            out[h2v & self._odd(b)] = UNANSWERED
        return out

    def _odd(self, b: np.ndarray) -> np.ndarray:
        """Which of bigram positions ``b`` are odd ones: a comparison each for the few there are
        (cheaper than isin's sort)."""
        if self._odd_bigrams.size > 16:
            return np.isin(b, self._odd_bigrams)
        odd = np.zeros(len(b), bool)
        for k in self._odd_bigrams.tolist():
            odd |= b == k
        return odd


@lru_cache(maxsize=1)
def load(path: str) -> TrieLM:
    """The trie of the model file at ``path``, read once per process (`despin.lm` passes the
    file it uses: this module does not import the module that loads it)."""
    return TrieLM(path)
