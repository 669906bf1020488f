"""The score-only fast path for corpora: no language model, only per-type evidence.

A thesaurus spinner leaves words that are rarer than the word they replaced, and whose
inverse synonyms include a frequent, plausible original. For each word type that evidence
is ``max_c log q(w|c) + log P(c) − log P(w)`` (unigram channel odds), computed once per
type per process and cached, so a scan pays mostly for tokenising. A logistic model over a
few document statistics of it (fitted by ``scripts/calibrate.py``) gives the score.

>>> 0.0 <= screen_score("The committee aforementioned the hebdomadary figures.") <= 1.0
True
"""
from __future__ import annotations

import math
from functools import lru_cache

from . import lm
from .lexicon import DEFAULT_SOURCES
from .calibration import logistic
from .detector.candidates import candidates
from .tokenize import TOKEN_RE

_CLIP = 10.0


@lru_cache(maxsize=500_000)
def type_evidence(word: str, sources: tuple[str, ...]) -> float | None:
    """Unigram channel log-odds that ``word`` is a spinner's substitute; None if ineligible."""
    from .detector.units import eligible_word, is_function_word

    if not eligible_word(word) or is_function_word(word):
        return None  # the detector's own eligibility, so screen and check judge the same words
    cands = candidates(word, sources)
    if not cands:
        return -_CLIP
    own = lm.unigram(word)
    best = max(math.log(c.q) + sum(lm.unigram(x) for x in c.text.split(" ")) for c in cands)
    return max(-_CLIP, min(_CLIP, best - own))


_TYPE_CACHES: dict[tuple[str, ...], dict[str, float | None]] = {}
_TABLE_SOURCES = DEFAULT_SOURCES


def table_header() -> str:
    """The header a current screen table carries: its sources and the candidate limit."""
    from .detector.candidates import MAX_CANDIDATES

    return f"# despin screen-evidence v2 sources={','.join(_TABLE_SOURCES)} max={MAX_CANDIDATES}"


def _precomputed() -> dict[str, float | None]:
    """The evidence of ~200k words, built by scripts/build_screen_table.py (empty if absent).

    Without it every new word type costs candidate generation (~2.5 ms) on first sight;
    with it a corpus screen is a dict look-up per token from the first document on.
    """
    import gzip
    from importlib import resources

    try:
        data = resources.files("despin").joinpath("data", "screen-evidence.tsv.gz").read_bytes()
    except FileNotFoundError:
        return {}
    lines = gzip.decompress(data).decode("utf-8").split("\n")
    if not lines or lines[0] != table_header():
        return {}  # built for other lexicons or limits: computing gives the right values
    out: dict[str, float | None] = {}
    for line in lines[1:]:
        word, sep, value = line.partition("\t")
        if sep:
            out[word] = None if value == "-" else float(value)
    return out


def screen_features(text: str, sources: tuple[str, ...]) -> list[float]:
    # The hot loop of a corpus screen: plain dict look-ups per token, no per-call overhead.
    cache = _TYPE_CACHES.get(sources)
    if cache is None:
        cache = _TYPE_CACHES[sources] = _precomputed() if sources == _TABLE_SOURCES else {}
    values: list[float] = []
    for tok in TOKEN_RE.findall(text):
        low = tok.lower()
        if low in cache:
            e = cache[low]
        else:
            e = cache[low] = type_evidence(low, sources)
        if e is None or (len(tok) > 1 and tok.isupper()):
            continue  # ineligible, or an acronym
        values.append(e)
    n = len(values)
    if n == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [
        sum(values) / n / _CLIP,
        sum(v > 0 for v in values) / n,
        sum(v > 3 for v in values) / n,
        math.log(n),
    ]


def screen_score(text: str, sources: tuple[str, ...] = ("wordnet", "moby")) -> float:
    """Calibrated P(spun) from the fast path alone."""
    from .calibration import screen_weights

    if not text.strip():
        return 0.0
    f = screen_features(text, sources)
    w = screen_weights()
    if w is None:
        z = 10.0 * (f[1] - 0.3)
    else:
        z = w[0] + sum(wi * x for wi, x in zip(w[1:], f))
    return logistic(z)
