#!/usr/bin/env python3
"""How fast could trigram look-ups be? pocketsphinx's own call against a numpy reading of its file.

The detector spends about a third of its time on new text in `lm._lookup` (one pocketsphinx
call per trigram it has not seen). This script reads pocketsphinx's binary trie
(`en-us.lm.bin`: unigram table, bit-packed bigram/trigram levels, 16-bit quantised
probabilities and back-offs) into numpy arrays, indexes the n-grams in open-addressing hash
tables, and scores trigrams in batches with pocketsphinx's own back-off arithmetic
(float32 sums, truncated to its integer log scale). It then checks, key by key, that the
batch answers equal ``NGramModel.prob`` (trigrams from news text, random histories,
unknown and missing histories, sentence marks) and times both. (Two bigrams of the shipped
file have trigram children out of order, where pocketsphinx's interpolation search could
miss an entry that a hash finds; no tested key touches them.) Nothing in despin uses the
numpy path yet: it pays only once the detector scores a document's candidate windows in
batches (see README, "Left open").

    python benchmarks/lm_lookup.py --keys 100000
"""
from __future__ import annotations

import argparse
import json
import os
import random
import struct
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NEWS = ROOT.parent / "shared" / "data" / "news-dev" / "articles.jsonl"
_MUL = np.uint64(0x9E3779B97F4A7C15)


class HashIndex:
    """Position of each int64 key in ``keys`` (unique, >= 0), by linear probing; -1 when absent."""

    def __init__(self, keys: np.ndarray) -> None:
        n = len(keys)
        self.bits = max(4, int(np.ceil(np.log2(max(2, n) * 2))))
        self.mask = (1 << self.bits) - 1
        self.keys = np.full(1 << self.bits, -1, np.int64)
        self.pos = np.full(1 << self.bits, -1, np.int64)
        slot = self._slot(keys)
        pending = np.arange(n)
        while pending.size:  # each round: every pending key takes its slot if free (first one wins)
            s = slot[pending]
            free = self.keys[s] == -1
            cand = pending[free]
            _, first = np.unique(s[free], return_index=True)
            win = cand[first]
            self.keys[slot[win]] = keys[win]
            self.pos[slot[win]] = win
            placed = np.zeros(n, bool)
            placed[win] = True
            pending = pending[~placed[pending]]
            occupied = self.keys[slot[pending]] != -1
            slot[pending[occupied]] = (slot[pending[occupied]] + 1) & self.mask

    def _slot(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((keys.astype(np.uint64) * _MUL) >> np.uint64(64 - self.bits)).astype(np.int64)

    def find(self, keys: np.ndarray) -> np.ndarray:
        out = np.full(len(keys), -1, np.int64)
        s = self._slot(keys)
        act = np.arange(len(keys))
        while act.size:
            t = self.keys[s]
            hit = t == keys[act]
            out[act[hit]] = self.pos[s[hit]]
            go = ~hit & (t != -1)
            act, s = act[go], (s[go] + 1) & self.mask
        return out


def _field(mem: np.ndarray, total: int, start: int, length: int, n: int) -> np.ndarray:
    """n little-endian bit fields of ``length`` bits, the k-th at bit k*total+start (pocketsphinx's bitarr)."""
    off = np.arange(n, dtype=np.int64) * total + start
    byte, shift = off >> 3, (off & 7).astype(np.uint64)
    padded = np.concatenate([mem, np.zeros(8, np.uint8)])
    v = np.zeros(n, np.uint64)
    for b in range(5):  # length + shift <= 25 + 7 bits
        v |= padded[byte + b].astype(np.uint64) << np.uint64(8 * b)
    return ((v >> shift) & np.uint64((1 << length) - 1)).astype(np.int64)


class TrieLM:
    """pocketsphinx's trigram trie file, read into numpy (3-gram files only)."""

    HEADER = b"Trie Language Model"

    def __init__(self, path: str) -> None:
        raw = np.fromfile(path, dtype=np.uint8)
        pos = len(self.HEADER)
        if raw[:pos].tobytes() != self.HEADER or raw[pos] != 3:
            raise ValueError(f"{path}: not a 3-gram pocketsphinx trie file")
        pos += 1
        counts = [int(c) for c in np.frombuffer(raw[pos:pos + 12].tobytes(), "<u4")]
        pos += 12 + 4  # counts, then a former quantisation-type field
        nb = 1 << 16
        q = np.frombuffer(raw[pos:pos + 12 * nb].tobytes(), "<f4")
        pos += 12 * nb
        self.bi_prob_bins, self.bi_bo_bins, self.tri_prob_bins = q[:nb], q[nb:2 * nb], q[2 * nb:]
        n1 = counts[0]
        ug = np.frombuffer(raw[pos:pos + 12 * (n1 + 1)].tobytes(), np.dtype([("p", "<f4"), ("b", "<f4"), ("n", "<u4")]))
        pos += 12 * (n1 + 1)
        self.u_prob, self.u_bo, u_next = ug["p"].copy(), ug["b"].copy(), ug["n"].astype(np.int64)
        wbits, nbits = n1.bit_length(), counts[2].bit_length()
        mid_total, lon_total = wbits + 32 + nbits, wbits + 16
        mid_size = ((1 + counts[1]) * mid_total + 7) // 8 + 8
        lon_size = ((1 + counts[2]) * lon_total + 7) // 8 + 8
        mid, lon = raw[pos:pos + mid_size], raw[pos + mid_size:pos + mid_size + lon_size]
        pos += mid_size + lon_size
        k = struct.unpack("<i", raw[pos:pos + 4].tobytes())[0]
        words = raw[pos + 4:pos + 4 + k].tobytes().split(b"\0")[:-1]
        self.vocab = {w.decode("utf-8", "replace"): i for i, w in enumerate(words)}
        nm = counts[1] + 1
        m_word = _field(mid, mid_total, 0, wbits, nm)
        self.m_bo = _field(mid, mid_total, wbits, 16, nm)
        self.m_prob = _field(mid, mid_total, wbits + 16, 16, nm)
        m_next = _field(mid, mid_total, wbits + 32, nbits, nm)
        nl = counts[2] + 1
        l_word = _field(lon, lon_total, 0, wbits, nl)
        self.l_prob = _field(lon, lon_total, wbits, 16, nl)
        # Bigram "h w" is stored under w, trigram "h2 h1 w" under bigram "h1 w": index both
        # by (parent position << word bits | word).
        self.wbits = wbits
        parent = np.repeat(np.arange(n1, dtype=np.int64), np.diff(u_next))
        self.bigrams = HashIndex((parent << wbits) | m_word[:len(parent)])
        bparent = np.repeat(np.arange(len(parent), dtype=np.int64), np.diff(m_next[:len(parent) + 1]))
        self.trigrams = HashIndex((bparent << wbits) | l_word[:len(bparent)])

    def score(self, w: np.ndarray, h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
        """pocketsphinx's integer log-probabilities of w after (h2, h1); -1 ids = no such history word."""
        f32 = np.float32
        up = self.u_prob[w]
        h1v, h2v = h1 >= 0, (h1 >= 0) & (h2 >= 0)
        h1c, h2c = np.maximum(h1, 0), np.maximum(h2, 0)
        b = np.where(h1v, self.bigrams.find((w << self.wbits) | h1c), -1)
        has_b = b >= 0
        bprob = self.bi_prob_bins[self.m_prob[np.maximum(b, 0)]]
        bo1 = self.u_bo[h1c]
        one = np.where(has_b, bprob, (up + bo1).astype(f32))
        c = self.bigrams.find((h1c << self.wbits) | h2c)
        bc1 = np.where(c >= 0, self.bi_bo_bins[self.m_bo[np.maximum(c, 0)]], f32(0)).astype(f32)
        t = np.where(has_b, self.trigrams.find((np.maximum(b, 0) << self.wbits) | h2c), -1)
        tprob = self.tri_prob_bins[self.l_prob[np.maximum(t, 0)]]
        two = np.where(~has_b, ((up + bo1).astype(f32) + bc1).astype(f32),
                       np.where(t >= 0, tprob, (bprob + bc1).astype(f32)))
        out = np.where(h2v, two, np.where(h1v, one, up))
        return np.trunc(out.astype(f32)).astype(np.int64)


def test_keys(n: int, vocab: list[str]) -> list[tuple[str, str, str]]:
    rng = random.Random(0)
    if NEWS.exists():
        with open(NEWS, encoding="utf-8") as fh:
            texts = [json.loads(line)["text"] for line in fh][:300]
    else:
        texts = [(ROOT / "examples" / "spun-news.txt").read_text(encoding="utf-8")]
    toks = [w.lower() for t in texts for w in t.split() if w.isalpha()] + ["<s>", "</s>", "qzxv", "Paris"]
    keys = [(toks[i], toks[i - 1], toks[i - 2]) for i in range(2, len(toks))][: n // 2]
    while len(keys) < n:
        r = rng.random()
        if r < 0.6:
            keys.append((rng.choice(toks), rng.choice(toks), rng.choice(vocab)))
        elif r < 0.9:
            keys.append((rng.choice(toks), rng.choice(toks + ["", ""]), ""))
        else:
            keys.append((rng.choice(toks), "", ""))
    return keys


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", type=int, default=100_000)
    args = ap.parse_args()
    import pocketsphinx

    from despin import lm

    path = os.path.join(pocketsphinx.get_model_path(), "en-us", "en-us.lm.bin")
    t0 = time.perf_counter()
    model = TrieLM(path)
    load = time.perf_counter() - t0
    ps = lm._model()
    keys = [k for k in test_keys(args.keys, list(model.vocab)) if k[0] in model.vocab]
    v = model.vocab
    w = np.array([v[k[0]] for k in keys])
    h1 = np.array([v.get(k[1], -1) if k[1] else -1 for k in keys])
    h2 = np.array([v.get(k[2], -1) if k[2] and k[1] in v else -1 for k in keys])

    t0 = time.perf_counter()
    ref = np.array([ps.prob(k if k[2] else (k[0], k[1]) if k[1] else (k[0],)) for k in keys])
    t_ps = time.perf_counter() - t0
    t0 = time.perf_counter()
    got = np.concatenate([model.score(w[i:i + 5000], h1[i:i + 5000], h2[i:i + 5000]) for i in range(0, len(w), 5000)])
    t_np = time.perf_counter() - t0
    print(f"numpy trie: read and indexed in {load:.2f} s")
    print(f"keys: {len(keys)}; answers differing from pocketsphinx: {int((got != ref).sum())}")
    print(f"pocketsphinx NGramModel.prob, one call a key:  {t_ps / len(keys) * 1e6:.3f} us/key")
    print(f"numpy, batches of 5,000 word-id triples:      {t_np / len(keys) * 1e6:.3f} us/key "
          f"({t_ps / t_np:.1f}x; word-to-id mapping not included)")


if __name__ == "__main__":
    main()
