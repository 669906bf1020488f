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
from typing import Any

from . import lm
from .calibration import logistic
from .detector.candidates import candidates, is_possessive
from .lexicon import DEFAULT_SOURCES
from .tokenize import TOKEN_RE

_CLIP = 10.0


@lru_cache(maxsize=500_000)
def type_evidence(word: str, sources: tuple[str, ...]) -> float | None:
    """Unigram channel log-odds that ``word`` is a spinner's substitute; None if ineligible."""
    from .detector.units import eligible_word, is_function_word

    if not eligible_word(word) or is_function_word(word):
        return None  # the detector's own eligibility, so screen and check judge the same words
    # A possessive has its stem's candidates in the detector; the screen's table holds no
    # possessives, so the screen reads them as words without candidates, computed or not.
    cands = candidates(word, sources) if not is_possessive(word) else ()
    if not cands:
        return -_CLIP
    own = lm.unigram(word)
    best = max(math.log(c.q) + sum(lm.unigram(x) for x in c.text.split(" ")) for c in cands)
    return max(-_CLIP, min(_CLIP, best - own))


_TYPE_CACHES: dict[tuple[str, ...], dict[str, float | None]] = {}
_TABLE_SOURCES = DEFAULT_SOURCES


def table_header() -> str:
    """The header a current screen table carries: its sources and the candidate limit."""
    from .detector.candidates import LOOSE_EXTRA, MAX_CANDIDATES

    return f"# despin screen-evidence v2 sources={','.join(_TABLE_SOURCES)} max={MAX_CANDIDATES} loose={LOOSE_EXTRA}"


# The precomputed table as read (word -> value as written), for _TABLE_SOURCES.
_RAW_TABLE: dict[str, str] | None = None


def _raw_table() -> dict[str, str]:
    """``word -> value`` as written by scripts/build_screen_table.py (empty if absent).

    Values stay strings until a word is first seen: converting all ~200k up front was
    most of the ~0.4 s a screen spent loading; a document sees a few hundred types.
    """
    global _RAW_TABLE
    if _RAW_TABLE is None:
        import gzip
        from importlib import resources

        try:
            data = resources.files("despin").joinpath("data", "screen-evidence.tsv.gz").read_bytes()
        except FileNotFoundError:
            data = b""
        text = gzip.decompress(data).decode("utf-8") if data else ""
        header, _, body = text.partition("\n")
        if header == table_header():  # else built for other lexicons or limits: compute
            fields = iter(body.replace("\t", "\n").split("\n"))
            _RAW_TABLE = dict(zip(fields, fields))  # word, value, word, value, ...
            _RAW_TABLE.pop("", None)  # the empty field after the last newline
        else:
            _RAW_TABLE = {}
    return _RAW_TABLE


def _parse(value: str) -> float | None:
    return None if value == "-" else float(value)


def _precomputed() -> dict[str, float | None]:
    """The evidence of ~200k words, built by scripts/build_screen_table.py (empty if absent).

    Without it every new word type costs candidate generation (~2.5 ms) on first sight;
    with it a corpus screen is a dict look-up per token from the first document on.
    """
    return {word: _parse(value) for word, value in _raw_table().items()}


def table_only_evidence(low: str) -> float | None:
    """`type_evidence` of a word the complete table lacks, without the lexicons or the LM.

    The table holds every word with candidates and every frequent word (the function
    words among them), so a word outside it is ineligible (None) or has no candidates
    (−10): the same value the live computation gives (checked on the 6,293 such types of
    the shared dev data: 0 differ; tests/test_scan.py checks words written for it).
    """
    from .detector.units import eligible_word

    return -_CLIP if eligible_word(low) else None


def _first_sight(low: str, sources: tuple[str, ...]) -> float | None:
    """The evidence of a word type not yet in this process's cache."""
    if sources == _TABLE_SOURCES:
        table = _raw_table()
        if table:
            value = table.get(low)
            return table_only_evidence(low) if value is None else _parse(value)
    return type_evidence(low, sources)


def preload_screen(sources: tuple[str, ...] = _TABLE_SOURCES) -> bool:
    """Load what the score-only screen needs, and nothing else: the precomputed table and
    the calibration (~0.2 s; no language model, lexicon or candidate table, which a full
    `despin.preload` spends ~3.5 s loading). True when the screen will never need more:
    the table covers ``sources``.
    """
    import gc

    from .calibration import screen_weights

    complete = sources == _TABLE_SOURCES and bool(_raw_table())
    screen_weights()
    gc.collect()
    gc.freeze()  # as despin.preload: the table's objects stay alive; the collector need not walk them
    return complete


class _TokenEvidence(dict[str, "float | None"]):
    """``token -> evidence`` as written (None: ineligible, or an acronym), filled on first sight.

    Keyed by the token itself, so the hot loop is one C-level ``map`` over the tokens
    with no ``lower()`` or acronym test per token (~1.7x faster on news articles);
    the evidence of the lower-case type is shared by its spellings through ``types``.
    """

    def __init__(self, sources: tuple[str, ...]) -> None:
        super().__init__()
        self.sources = sources
        self.types: dict[str, float | None] = _TYPE_CACHES.setdefault(sources, {})

    def __missing__(self, tok: str) -> float | None:
        low = tok.lower()
        e = self.types.get(low, _UNSEEN)
        if e is _UNSEEN:
            e = self.types[low] = _first_sight(low, self.sources)
        value = None if len(tok) > 1 and tok.isupper() else e  # an acronym is not a substitute
        self[tok] = value
        return value


_UNSEEN: Any = object()  # "not looked up yet" (None means ineligible)
_TOKEN_CACHES: dict[tuple[str, ...], _TokenEvidence] = {}


def screen_features(text: str, sources: tuple[str, ...]) -> list[float]:
    # The hot loop of a corpus screen: one dict look-up per token, in C.
    cache = _TOKEN_CACHES.get(sources)
    if cache is None:
        cache = _TOKEN_CACHES[sources] = _TokenEvidence(sources)
    values = [e for e in map(cache.__getitem__, TOKEN_RE.findall(text)) if e is not None]
    n = len(values)
    if n == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [
        sum(values) / n / _CLIP,
        len([v for v in values if v > 0]) / n,
        len([v for v in values if v > 3]) / n,
        math.log(n),
    ]


def screen_score(text: str, sources: tuple[str, ...] = DEFAULT_SOURCES) -> float:
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
