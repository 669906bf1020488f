"""An English n-gram language model from registry packages, loaded once per process.

Trigram probabilities come from the model PyPI ``pocketsphinx`` ships (72k words,
2.05M bigrams, 1.67M trigrams, memory-mapped: loading takes ~20 ms). Words outside
its vocabulary fall back to ``wordfreq`` unigram frequencies with a penalty, so rare
and unknown words are scored rather than crashing the comparison.

>>> logprob("market", ("the", "stock")) > logprob("marketplace", ("the", "inventory"))
True
"""
from __future__ import annotations

import math
import os
from functools import lru_cache
from typing import Sequence

# pocketsphinx's log base is 1.0001; this turns its integers into natural logs.
_LN_BASE = math.log(1.0001)
# pocketsphinx returns this-ish for a word outside its vocabulary.
_OOV_CUTOFF = -1e6
# Unknown to both resources: about as likely as a word seen once in a billion.
FLOOR = math.log(1e-9)
# Out-of-vocabulary words are rarer in running text than their wordfreq frequency
# suggests relative to the trigram model's own unigrams; a flat penalty keeps them
# from outscoring in-vocabulary words.
_OOV_PENALTY = 1.0

BOS = "<s>"
EOS = "</s>"


@lru_cache(maxsize=1)
def _model():  # type: ignore[no-untyped-def]
    try:
        import pocketsphinx
    except ImportError as e:  # pragma: no cover - a core dependency
        from .errors import DataError

        raise DataError(f"the language model needs pocketsphinx: pip install pocketsphinx ({e})") from None
    path = os.path.join(pocketsphinx.get_model_path(), "en-us", "en-us.lm.bin")
    config = pocketsphinx.Config(loglevel="FATAL")
    return pocketsphinx.NGramModel(config, pocketsphinx.LogMath(1.0001, 0, 0), path)


@lru_cache(maxsize=500_000)
def unigram(word: str) -> float:
    """Natural-log unigram probability of a lower-case word (wordfreq, floored)."""
    from wordfreq import word_frequency

    f = word_frequency(word, "en")
    return math.log(f) if f > 0 else FLOOR


def in_vocabulary(word: str) -> bool:
    return _model().prob([word]) * _LN_BASE > _OOV_CUTOFF


def logprob(word: str, history: Sequence[str] = ()) -> float:
    """Natural log P(word | history); ``history`` in reading order, the last word nearest.

    Words are expected lower-case; ``<s>``/``</s>`` mark sentence boundaries.
    """
    p = _model().prob([word, *reversed(history[-2:])]) * _LN_BASE
    if p > _OOV_CUTOFF:
        return p
    return unigram(word) - _OOV_PENALTY


def window_logprob(words: Sequence[str], start: int, stop: int) -> float:
    """Sum of log P(words[k] | two previous words) for k in [start, stop)."""
    # The hot loop of the detector: pocketsphinx is called directly (≈1 µs a call);
    # a Python-level cache costs more than the look-up it saves.
    prob = _model().prob
    total = 0.0
    for k in range(start, min(stop, len(words))):
        p = prob([words[k], *reversed(words[max(0, k - 2):k])]) * _LN_BASE
        total += p if p > _OOV_CUTOFF else unigram(words[k]) - _OOV_PENALTY
    return total
