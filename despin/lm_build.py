"""The language model despin uses: two registry trigram models mixed into one, built once.

PyPI ``pocketsphinx`` ships an English trigram model (``en-us.lm.bin``) and PyPI
``SpeechRecognition`` ships another (its pocketsphinx ``en-US`` model, CMU, BSD licence),
estimated on other text. Two estimates disagree most where either is thin, and their
mixture ``P = ½·P_first + ½·P_second`` chose a real spinner's originals more often than
either model alone (issue 14; ``benchmarks/quality.py``). Mixing at every look-up would
double the language model's cost, so this module computes the mixture once, as one back-off
model of the same form (static interpolation, as SRILM's ``ngram -mix-lm`` does):

- every bigram and trigram either model lists is listed, with the mixed probability;
- each history's back-off weight is set so that its probabilities sum to one again;
- the vocabulary is the first model's (words only the second knows are left out, so what
  counts as a known word does not change), and where the second model lacks a word the
  first model's probability stands.

The result is written as an ARPA file, read by pocketsphinx and saved in its binary trie
format (what `despin.lm` and `despin.lm_trie` read), in the cache folder
(``$DESPIN_CACHE``, else ``~/.cache/despin``): ~1–2 minutes once per installation
(``python -m despin.lm_build``; `despin.lm` builds it on first use otherwise). Without
``SpeechRecognition`` installed, despin uses the first model alone.
"""
from __future__ import annotations

import hashlib
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from .lm_trie import TrieLM

# The share of the first model in the mixture.
MIX = 0.5
_LN_BASE = math.log(1.0001)
_LN10 = math.log(10.0)
# A history whose listed words take (nearly) all the probability still backs off a little.
_MIN_LEFT = 1e-6
FORMAT = "despin-mixed-lm-2"  # bump with any change to what build() writes


def first_model_path() -> str:
    """The trigram model file pocketsphinx ships."""
    try:
        import pocketsphinx
    except ImportError as e:  # pragma: no cover - a core dependency
        from .errors import DataError

        raise DataError(f"the language model needs pocketsphinx: pip install pocketsphinx ({e})") from None
    return os.path.join(pocketsphinx.get_model_path(), "en-us", "en-us.lm.bin")


def second_model_path() -> str | None:
    """The trigram model file PyPI ``SpeechRecognition`` ships for its pocketsphinx
    recogniser, found without importing that package; None when it is not installed."""
    from importlib.util import find_spec

    try:
        spec = find_spec("speech_recognition")
    except (ImportError, ValueError):
        return None
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(root, "pocketsphinx-data", "en-US", "language-model.lm.bin")
        if os.path.exists(path):
            return path
    return None


def cache_dir() -> Path:
    root = os.environ.get("DESPIN_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "despin"


def mixed_model_path(first: str, second: str) -> Path:
    """Where the mixture of these two model files is (or will be) kept: named by the files'
    sizes and modification times and this module's format, so a new version of either
    package gets a new model."""
    h = hashlib.sha256(FORMAT.encode())
    for p in (first, second):
        st = os.stat(p)
        h.update(f"{os.path.basename(p)}:{st.st_size}:{int(st.st_mtime)}".encode())
    h.update(repr(MIX).encode())
    return cache_dir() / f"mixed-{h.hexdigest()[:16]}.lm.bin"


def ensure(first: str, second: str, out: Path, log=print) -> Path:  # type: ignore[no-untyped-def]
    """``out``, built unless it exists; one process builds at a time (a lock file beside it),
    so scan workers or servers started together on a fresh machine wait for one build
    (~1.6 GB at its peak) instead of each running their own."""
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / (out.name + ".lock"), "w") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - not POSIX: build without the lock
            pass
        if not out.exists():
            build(first, second, out, log)
    return out


def _asker(ps, words: list[str], w: np.ndarray, h1: np.ndarray, h2: np.ndarray):  # type: ignore[no-untyped-def]
    """``ask(k)``: pocketsphinx model ``ps``'s integer log-probability of entry k of the
    first-model id arrays (a history stops at its first -1, as in the batch reader)."""
    def ask(k: int) -> int:
        parts = [words[int(w[k])]]
        if h1[k] >= 0:
            parts.append(words[int(h1[k])])
            if h2[k] >= 0:
                parts.append(words[int(h2[k])])
        return int(ps.prob(tuple(parts)))
    return ask


def _scores(model: TrieLM, w: np.ndarray, h1: np.ndarray, h2: np.ndarray, ask) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Natural-log probabilities from ``model.score``; the few entries it leaves to
    pocketsphinx are asked of ``ask(k)``."""
    import numpy as np

    from .lm_trie import UNANSWERED

    out = np.empty(len(w), np.float64)
    step = 1 << 20
    for a in range(0, len(w), step):
        raw = model.score(w[a:a + step], h1[a:a + step], h2[a:a + step])
        odd = np.nonzero(raw == UNANSWERED)[0]
        vals = raw.astype(np.float64) * _LN_BASE
        for k in odd.tolist():
            vals[k] = ask(a + k) * _LN_BASE
        out[a:a + step] = vals
    return out


def _mixed(first: TrieLM, second: TrieLM, ps1, ps2, words: list[str], to2: np.ndarray,  # type: ignore[no-untyped-def]
           w: np.ndarray, h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    """ln(MIX·P_first + (1 − MIX)·P_second) of each (w | h2 h1), first-model ids (-1: none);
    ``ps1``/``ps2`` are the same models through pocketsphinx, for what the tries leave to it."""
    import numpy as np

    p1 = _scores(first, w, h1, h2, _asker(ps1, words, w, h1, h2))
    w2 = to2[w]
    m2 = lambda x: np.where(x >= 0, to2[np.maximum(x, 0)], -1)  # noqa: E731
    known = np.nonzero(w2 >= 0)[0]
    p2 = p1.copy()
    if len(known):
        ask2 = _asker(ps2, words, w, h1, h2)
        p2[known] = _scores(second, w2[known], m2(h1[known]), m2(h2[known]), lambda k: ask2(int(known[k])))
    return np.logaddexp(p1 + math.log(MIX), p2 + math.log(1.0 - MIX))


def _unique_rows(*cols: np.ndarray) -> tuple[np.ndarray, ...]:
    import numpy as np

    stacked = np.stack(cols, axis=1)
    u = np.unique(stacked, axis=0)
    return tuple(u[:, k].copy() for k in range(u.shape[1]))


def _left(p: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """1 − the sum of probabilities ``exp(p)`` per group id, floored."""
    import numpy as np

    s = np.bincount(group, weights=np.exp(p), minlength=n)
    return np.maximum(1.0 - s, _MIN_LEFT)


def build(first_path: str, second_path: str, out: Path, log=print) -> Path:  # type: ignore[no-untyped-def]
    """Write the mixture of the two pocketsphinx models to ``out`` (see the module doc)."""
    import numpy as np
    import pocketsphinx

    from .lm_trie import TrieLM

    log(f"despin: mixing {first_path} and {second_path} into {out} (once; ~1-2 min)")
    a = TrieLM(first_path, ngrams=True)
    b = TrieLM(second_path, ngrams=True)
    config = pocketsphinx.Config(loglevel="FATAL")
    logmath = pocketsphinx.LogMath(1.0001, 0, 0)
    ps1 = pocketsphinx.NGramModel(config, logmath, first_path)
    ps2 = pocketsphinx.NGramModel(config, logmath, second_path)
    words = sorted(a.vocab, key=a.vocab.__getitem__)
    v = len(words)
    to2 = b.ids(words)
    b_words = sorted(b.vocab, key=b.vocab.__getitem__)
    to1 = a.ids(b_words)

    # Unigrams: every first-model word.
    uw = np.arange(v, dtype=np.int64)
    none = np.full(v, -1, np.int64)
    p_uni = _mixed(a, b, ps1, ps2, words, to2, uw, none, none)
    # Words only the second model knows are left out: the rest share their probability.
    p_uni -= np.logaddexp.reduce(p_uni)
    # Bigrams (w, h): both models' lists, in first-model ids.
    bw1, bh1 = a.bigram_ids
    bw2, bh2 = (to1[x] for x in b.bigram_ids)
    keep = (bw2 >= 0) & (bh2 >= 0)
    bw, bh = _unique_rows(np.concatenate([bw1, bw2[keep]]), np.concatenate([bh1, bh2[keep]]))
    no = np.full(len(bw), -1, np.int64)
    p_bi = _mixed(a, b, ps1, ps2, words, to2, bw, bh, no)
    # The bigram level's back-off weights, per history h.
    bo_uni = np.log(_left(p_bi, bh, v)) - np.log(_left(p_uni[bw], bh, v))
    # Trigrams (w, h1, h2).
    tw1, th11, th21 = a.trigram_ids
    tw2, th12, th22 = (to1[x] for x in b.trigram_ids)
    keep = (tw2 >= 0) & (th12 >= 0) & (th22 >= 0)
    tw, th1, th2 = _unique_rows(np.concatenate([tw1, tw2[keep]]), np.concatenate([th11, th12[keep]]),
                                np.concatenate([th21, th22[keep]]))
    p_tri = _mixed(a, b, ps1, ps2, words, to2, tw, th1, th2)
    # The trigram level's back-off weights, per history bigram (h1 | h2): what its listed
    # words take at the bigram level, listed or backed off.
    bkey = bw * v + bh
    order = np.argsort(bkey)
    sorted_keys = bkey[order]

    def bigram_index(w: np.ndarray, h: np.ndarray) -> np.ndarray:
        k = w * v + h
        pos = np.searchsorted(sorted_keys, k)
        pos = np.minimum(pos, len(sorted_keys) - 1)
        return np.where(sorted_keys[pos] == k, order[pos], -1)

    hist = bigram_index(th1, th2)
    if (hist < 0).any():
        raise ValueError(f"{int((hist < 0).sum())} trigrams whose history is not a listed bigram")
    low = bigram_index(tw, th1)
    p_low = np.where(low >= 0, p_bi[np.maximum(low, 0)], bo_uni[th1] + p_uni[tw])
    bo_bi = np.log(_left(p_tri, hist, len(bw))) - np.log(_left(p_low, hist, len(bw)))
    has_tri = np.bincount(hist, minlength=len(bw)) > 0
    has_bi = np.bincount(bh, minlength=v) > 0

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        arpa = Path(tmp) / "mixed.arpa"
        _write_arpa(arpa, words, p_uni, np.where(has_bi, bo_uni, 0.0), bw, bh, p_bi,
                    np.where(has_tri, bo_bi, 0.0), has_tri, tw, th1, th2, p_tri)
        model = pocketsphinx.NGramModel(config, logmath, str(arpa))
        part = Path(tmp) / "mixed.lm.bin"
        model.write(str(part), 2)  # pocketsphinx's binary trie
        os.replace(part, out)
    log(f"despin: wrote {out} ({out.stat().st_size / 1e6:.0f} MB)")
    return out


def _write_arpa(path: Path, words: list[str], p_uni: np.ndarray, bo_uni: np.ndarray, bw: np.ndarray,
                bh: np.ndarray, p_bi: np.ndarray, bo_bi: np.ndarray, has_tri: np.ndarray, tw: np.ndarray,
                th1: np.ndarray, th2: np.ndarray, p_tri: np.ndarray) -> None:
    to10 = 1.0 / _LN10
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"\\data\\\nngram 1={len(words)}\nngram 2={len(bw)}\nngram 3={len(tw)}\n\n\\1-grams:\n")
        pu, bu = (p_uni * to10).tolist(), (bo_uni * to10).tolist()
        f.writelines(f"{p:.6f} {w} {b:.6f}\n" for w, p, b in zip(words, pu, bu))
        f.write("\n\\2-grams:\n")
        pb, bb, ht = (p_bi * to10).tolist(), (bo_bi * to10).tolist(), has_tri.tolist()
        f.writelines(
            f"{p:.6f} {words[h]} {words[w]} {b:.6f}\n" if t else f"{p:.6f} {words[h]} {words[w]}\n"
            for w, h, p, b, t in zip(bw.tolist(), bh.tolist(), pb, bb, ht)
        )
        f.write("\n\\3-grams:\n")
        pt = (p_tri * to10).tolist()
        f.writelines(
            f"{p:.6f} {words[z]} {words[y]} {words[x]}\n"
            for x, y, z, p in zip(tw.tolist(), th1.tolist(), th2.tolist(), pt)
        )
        f.write("\n\\end\\\n")


def main() -> None:
    """``python -m despin.lm_build [--force]``: build the mixture now (else the first check does)."""
    second = second_model_path()
    if second is None:
        sys.exit("despin: SpeechRecognition is not installed: nothing to mix (pip install SpeechRecognition)")
    first = first_model_path()
    out = mixed_model_path(first, second)
    if "--force" in sys.argv:
        build(first, second, out)
    elif out.exists():
        print(f"despin: {out} is already built")
    else:
        ensure(first, second, out)


if __name__ == "__main__":
    main()
