#!/usr/bin/env python3
"""Trigram look-ups: pocketsphinx's own call against `despin.lm_trie`'s numpy reading of its file.

Checks, key by key, that the batch answers equal ``NGramModel.prob`` (trigrams from news
text, random histories, unknown and missing histories, sentence marks) and times both.
The detector uses the batch path once `despin.preload` has loaded it.

    python benchmarks/lm_lookup.py --keys 100000
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NEWS = ROOT.parent / "shared" / "data" / "news-dev" / "articles.jsonl"

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
    from despin import lm
    from despin.lm_trie import TrieLM

    path = lm.model_path()
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
