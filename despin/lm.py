"""An English n-gram language model from registry packages, loaded once per process.

Trigram probabilities come from the mixture (`despin.lm_build`, built once into the cache
folder) of the model PyPI ``pocketsphinx`` ships (72k words, 2.05M bigrams, 1.67M
trigrams) and the one PyPI ``SpeechRecognition`` ships (2.33M bigrams, 1.58M trigrams,
estimated on other text): 72k words, 3.27M bigrams, 2.54M trigrams, memory-mapped by
pocketsphinx (loading takes ~20 ms). Without ``SpeechRecognition``, the first model alone.
Words outside the vocabulary fall back to ``wordfreq`` unigram frequencies with a
penalty, so rare and unknown words are scored rather than crashing the comparison.

>>> logprob("market", ("the", "stock")) > logprob("marketplace", ("the", "inventory"))
True
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache
from struct import error as struct_error
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from .lm_trie import TrieLM

# pocketsphinx's log base is 1.0001; this turns its integers into natural logs.
_LN_BASE = math.log(1.0001)
# pocketsphinx gives a word outside its vocabulary about -53,687 nats (its log zero);
# anything below this cut-off is that, not a probability.
_OOV_CUTOFF = -1000.0
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
    import pocketsphinx

    config = pocketsphinx.Config(loglevel="FATAL")
    return pocketsphinx.NGramModel(config, pocketsphinx.LogMath(1.0001, 0, 0), model_path())


@lru_cache(maxsize=1)
def model_path() -> str:
    """The model despin reads (by `_model`, and by `despin.lm_trie` when `load_batch_model`
    passes it): the mixture of the two registry models (`despin.lm_build`), built into the
    cache folder on first use; the first model alone when the second is not installed or
    the mixture cannot be written."""
    from . import lm_build

    first, second = lm_build.first_model_path(), lm_build.second_model_path()
    if second is None:
        return first
    path = lm_build.mixed_model_path(first, second)
    if not path.exists():
        import sys

        try:
            lm_build.ensure(first, second, path, log=lambda m: print(m, file=sys.stderr))
        except (OSError, ValueError) as e:
            import warnings

            warnings.warn(f"despin: the mixed language model could not be built ({e}); using {first}", stacklevel=2)
            return first
    return str(path)


@lru_cache(maxsize=500_000)
def unigram(word: str) -> float:
    """Natural-log unigram probability of a lower-case word (wordfreq, floored).

    >>> unigram("the") > unigram("weekly") > unigram("qzxjvv") == FLOOR
    True
    """
    if word.isascii() and word.isalpha() and word.islower():
        f = _plain_word_frequency(word)
    else:
        from wordfreq import word_frequency

        f = word_frequency(word, "en")
    return math.log(f) if f > 0 else FLOOR


def _plain_word_frequency(word: str) -> float:
    """``wordfreq.word_frequency(word, "en")`` for a lower-case ASCII word, without its
    tokeniser (a third of the detector's cost on new words): the same table, the same
    arithmetic and rounding, so the same float (a test compares them over the vocabulary)."""
    freqs = _frequency_dict()
    freq = freqs.get(word)
    if freq is None:
        return 0.0
    freq = 1.0 / (0.0 + 1.0 / freq)
    if freq == 0.0:
        return 0.0
    return round(freq, math.floor(-math.log(freq, 10)) + 3)


@lru_cache(maxsize=1)
def _frequency_dict() -> dict[str, float]:
    from wordfreq import get_frequency_dict

    return get_frequency_dict("en", "best")


@lru_cache(maxsize=500_000)
def in_vocabulary(word: str) -> bool:
    return _model().prob([word]) * _LN_BASE > _OOV_CUTOFF


# British spellings and the American ones the trigram model (US news) knows: suffix rules
# of English orthography, applied only where the result is in the model's vocabulary.
_SPELLING_RULES = (
    ("isation", "ization"), ("isations", "izations"), ("ise", "ize"), ("ised", "ized"),
    ("ises", "izes"), ("ising", "izing"), ("yse", "yze"), ("ysed", "yzed"), ("ysing", "yzing"),
    ("our", "or"), ("ours", "ors"), ("oured", "ored"), ("ouring", "oring"),
    ("ourable", "orable"), ("ourite", "orite"), ("ourites", "orites"),
    ("tre", "ter"), ("tres", "ters"), ("ence", "ense"), ("ium", "um"), ("ramme", "ram"),
    ("rammes", "rams"),
)
# Below this many letters, a rule finds other words ("four" -> "for", "tour" -> "tor").
_SPELLING_MIN = 6


@lru_cache(maxsize=200_000)
def spelled_for_model(word: str) -> str:
    """``word`` as the trigram model knows it: a British spelling ("finalised", "colour",
    "aluminium") becomes the American one ("finalized", "color", "aluminum") where the model
    has that form and the British one is outside its vocabulary or less likely by more than
    a factor of 1.6 ("glamour" stays: the model knows it well); any other word is itself.

    Why: the model was estimated on US text, so a British spelling looks rare in any
    context, and the detector read "materialise" and "favourable" as a spinner's choices.

    >>> spelled_for_model("finalised"), spelled_for_model("colour"), spelled_for_model("four")
    ('finalized', 'color', 'four')
    """
    if len(word) < _SPELLING_MIN or not word.isalpha():
        return word
    for british, american in _SPELLING_RULES:
        if word.endswith(british):
            us = word[: len(word) - len(british)] + american
            if in_vocabulary(us) and (not in_vocabulary(word) or logprob(us) > logprob(word) + 0.5):
                return us
    return word


@lru_cache(maxsize=200_000)
def observed_unigram(word: str) -> float:
    """`unigram` of an observed word as the model reads it (`spelled_for_model`): a British
    spelling is as common in British text as the American form is in American text, and
    wordfreq's English, mostly American, made "favourable" and "finalise" look like rare
    spinner choices beside their candidates.

    >>> observed_unigram("favourable") == unigram("favorable") > unigram("favourable")
    True
    """
    return unigram(spelled_for_model(word))


def observed_in_vocabulary(word: str) -> bool:
    """`in_vocabulary` of an observed word as the model reads it: "finalise" is known as
    "finalize".

    >>> observed_in_vocabulary("finalise"), in_vocabulary("finalise")
    (True, False)
    """
    return in_vocabulary(spelled_for_model(word))


# The project's own tables whose one-word expansion the model may know where it does not
# know the word ("pct" -> "percent", "mln" -> "million", "19" -> "nineteen"): `read_for_model`.
_EXPANSION_SOURCES = ("numbers", "abbreviations")


@lru_cache(maxsize=200_000)
def read_for_model(word: str) -> str:
    """``word`` as the language model reads it in a window: `spelled_for_model`, and a word
    outside the model's vocabulary that the numbers or abbreviations table expands into one
    word the model knows is read as that word.

    Why: the model was estimated on transcribed speech, which spells out numbers and
    abbreviations; news writes "19 pct" and "5 mln dlrs". A word the model does not know
    cuts the trigrams around it to their unigrams, so a candidate beside a number or an
    abbreviation was judged with no context on that side (reading them expanded chose a
    real spinner's originals 1-2 points more often on the real-engine dev spins). The
    tables are read whatever lexicons a check uses: this is how the text reads, not a
    source of candidates.

    >>> read_for_model("pct"), read_for_model("19"), read_for_model("colour"), read_for_model("market")
    ('percent', 'nineteen', 'color', 'market')
    """
    spelled = spelled_for_model(word)
    if in_vocabulary(spelled):
        return spelled
    from . import lexicon

    for source in _EXPANSION_SOURCES:
        for expansion in lexicon.synonyms(spelled, source):
            if " " not in expansion and in_vocabulary(expansion):
                return expansion
    return spelled


def spelled_words_for_model(words: Sequence[str]) -> list[str]:
    """`spelled_for_model` of each word of a phrase (a unit's observed words)."""
    return [spelled_for_model(w) for w in words]


def words_read_for_model(words: Sequence[str]) -> list[str]:
    """`read_for_model` of each word of a text: the context the windows are scored in."""
    return [read_for_model(w) for w in words]


def logprob(word: str, history: Sequence[str] = ()) -> float:
    """Natural log P(word | history); ``history`` in reading order, the last word nearest.

    Words are expected lower-case; ``<s>``/``</s>`` mark sentence boundaries.
    """
    history = tuple(history[-2:])
    return window_logprob((*history, word), len(history), len(history) + 1)


# Trigram log-probabilities seen in this process. Corpora repeat their trigrams, so a
# plain dict (≈0.2 µs a hit) saves most pocketsphinx calls (≈2 µs each, with string
# conversion); it is cleared when it grows past a bound to keep memory flat.
_CACHE: dict[tuple[str, str, str], float] = {}
_CACHE_MAX = 1_000_000


def context_logprob(left: Sequence[str], words: Sequence[str], right: Sequence[str]) -> float:
    """``window_logprob(left + words + right, len(left), len(all))``, the detector's inner loop.

    The same sum (same cache, same keys), without building index arithmetic per word: it
    runs for every candidate of every unit.

    >>> a = context_logprob(["the", "stock"], ["market"], ["fell", "</s>"])
    >>> a == window_logprob(["the", "stock", "market", "fell", "</s>"], 2, 5)
    True
    """
    cache = _CACHE
    h2, h1 = ("", "", *left)[-2:]
    total = 0.0
    for seq in (words, right):
        for w in seq:
            key = (w, h1, h2)
            p = cache.get(key)
            if p is None:
                p = _lookup(key)
            total += p
            h2, h1 = h1, w
    return total


def _pocketsphinx_prob(key: tuple[str, str, str]) -> int:
    """pocketsphinx's integer log-probability for a (word, history, history) key; "" = no history word."""
    w, h1, h2 = key
    return _model().prob(key if h2 else (w, h1) if h1 else (w,))


def _lookup(key: tuple[str, str, str]) -> float:
    p = _pocketsphinx_prob(key) * _LN_BASE
    if p <= _OOV_CUTOFF:
        p = oov_logprob(key[0])
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[key] = p
    return p


def oov_logprob(word: str) -> float:
    """What `_lookup` gives a word outside the trigram vocabulary, whatever its history:
    pocketsphinx answers such a word with its log zero before it looks at the history, so
    the wordfreq fall-back is a function of the word alone (the batch path uses this)."""
    return unigram(word) - _OOV_PENALTY


# The numpy reading of the same model (`despin.lm_trie`), once something loaded it: long
# jobs score a document's candidate windows through it in batches. Same numbers.
_BATCH: dict[str, TrieLM] = {}
# Loading it costs ~2.7 s (the mixed model; ~1.7 s for pocketsphinx's alone) and saves ~14 ms on each new news article (27.7 -> 13.6 ms CPU on
# one core): streams of documents (check --jsonl, eval) load it once they have seen this many.
BATCH_PAYS_AFTER = 100


def batch_model() -> TrieLM | None:
    """The loaded `despin.lm_trie.TrieLM`, or None when nothing asked for it (then batches are not used)."""
    return _BATCH.get("trie")


def load_batch_model_after(done: int) -> None:
    """For streams of documents: load the batch model once ``done`` (documents checked so far)
    reaches `BATCH_PAYS_AFTER`."""
    if done == BATCH_PAYS_AFTER:
        load_batch_model()


def load_batch_model() -> TrieLM | None:
    """Load the batch model (~2.7 s, ~290 MB resident); `despin.preload` calls this for long-running jobs.

    It is used only if it answers a fixed sample of trigrams exactly as pocketsphinx does;
    otherwise (another pocketsphinx file format, a damaged file) it warns once and the
    detector keeps calling pocketsphinx: slower, the same results.
    """
    if "trie" not in _BATCH and not _BATCH_REFUSED:
        try:
            from .lm_trie import load

            trie = load(model_path())
            why = _disagreement(trie)
        except (OSError, ValueError, IndexError, struct_error) as e:
            why = f"cannot read it ({e})"
        if why:
            import warnings

            _BATCH_REFUSED.append(why)
            warnings.warn(f"despin: batch language model not used, {why}; using pocketsphinx calls", stacklevel=2)
        else:
            _BATCH["trie"] = trie
    return _BATCH.get("trie")


_BATCH_REFUSED: list[str] = []
_SELF_CHECK = (
    "the prime minister told reporters on tuesday that the stock market would recover quickly "
    "after exports to the region grew by four per cent and analysts expected interest rates to stay "
    "unchanged while output at the plant was lower than forecast in the first quarter of the year"
).split()


def _disagreement(trie: TrieLM) -> str:
    """"" when ``trie`` answers a fixed sample (running text, shuffled histories, short and
    unknown histories) as pocketsphinx does; else what differed."""
    words = ["<s>", *_SELF_CHECK, "</s>", "qzxjvv"]
    keys = [(words[i], words[i - 1], words[i - 2]) for i in range(2, len(words))]
    keys += [(a, b, c) for a, b, c in zip(words, reversed(words), words[3:] + words[:3])]
    keys += [(a, b, "") for a, b in zip(words, words[5:])] + [(a, "", "") for a in words]
    keys = [k for k in keys if k[0] in trie.vocab]
    want = [_pocketsphinx_prob(k) for k in keys]
    # A history word outside the vocabulary ("" included) ends the history, in both.
    got = trie.score(*(trie.ids([k[i] for k in keys]) for i in range(3)))
    bad = [k for k, a, b in zip(keys, got.tolist(), want) if a != b]
    return f"it differs from pocketsphinx on {len(bad)} of {len(keys)} sample trigrams, e.g. {bad[0]}" if bad else ""


def batch_logprob(words: Sequence[str], h1: Sequence[str], h2: Sequence[str]) -> np.ndarray:
    """``[_lookup((w, a, b)) for w, a, b in zip(words, h1, h2)]`` as a float64 array, the same
    floats, from the batch model (which must be loaded); "" is no history word.

    >>> _ = load_batch_model()
    >>> batch_logprob(["market", "qzxjvv", "market"], ["stock", "the", "<s>"], ["the", "of", ""]).tolist() == [
    ...     _lookup(("market", "stock", "the")), _lookup(("qzxjvv", "the", "of")), _lookup(("market", "<s>", ""))]
    True
    """
    import numpy as np

    m = _BATCH["trie"]
    w = m.ids(words)
    oov = np.array([oov_logprob(x) if k < 0 else 0.0 for x, k in zip(words, w.tolist())])
    return batch_logprob_ids(w, m.ids(h1), m.ids(h2), oov, lambda k: (words[k], h1[k], h2[k]))


def batch_logprob_ids(w: np.ndarray, h1: np.ndarray, h2: np.ndarray, oov: np.ndarray,
                      key_of: Callable[[int], tuple[str, str, str]]) -> np.ndarray:
    """`batch_logprob` on word-id arrays (`lm_trie.TrieLM.ids`, -1 for no word or an unknown one).
    ``oov[k]`` is `oov_logprob` of entry k's word where that word is outside the vocabulary
    (w < 0; ignored elsewhere); ``key_of(k)`` gives the words of the rare entries the batch
    model leaves to pocketsphinx, which go through `_lookup` one by one."""
    import numpy as np

    known = w >= 0
    p = np.where(known, 0.0, oov)
    if known.all():
        p = _BATCH["trie"].score(w, h1, h2) * _LN_BASE
    elif known.any():
        p[known] = _BATCH["trie"].score(w[known], h1[known], h2[known]) * _LN_BASE
    for k in np.nonzero(known & (p <= _OOV_CUTOFF))[0].tolist():
        key = key_of(k)
        cached = _CACHE.get(key)
        p[k] = cached if cached is not None else _lookup(key)
    return p


def window_logprob(words: Sequence[str], start: int, stop: int) -> float:
    """Sum of log P(words[k] | two previous words) for k in [start, stop)."""
    return context_logprob(words[max(0, start - 2):start], words[start:stop], ())
