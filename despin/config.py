"""One frozen configuration for the core, with keyword overrides.

>>> Config().replace(threshold=0.7).threshold
0.7
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol, Sequence

from .lexicon import DEFAULT_SOURCES


class SubstitutionSource(Protocol):
    """Anything that says which originals a spun word or phrase may stand for.

    Implemented by learned spinner profiles (`despin.profile.Profile`). Keys are
    lower-cased phrases of word tokens joined by single spaces.
    """

    name: str
    max_ngram: int

    def originals(self, spun: str) -> Sequence[tuple[str, float]]:
        """Candidate originals of ``spun`` with probabilities P(original | spun), best first."""
        ...


@dataclass(frozen=True)
class Config:
    # Span threshold on the posterior that a unit was substituted (0.45: with the calibration
    # of issue 14, localisation F1 on 30 dev docs each of nlpaug / WP engine / ProThemes engine
    # was .637/.722/.635 at 0.35, .662/.711/.617 at 0.45, .668/.668/.546 at 0.55: the same mean
    # as 0.35 with surer spans, and short texts with one spun type no longer flag their other
    # words. Replacement in `restored` has its own rule, see report.replaces).
    threshold: float = 0.45
    # Lexicon resources used for candidate originals (`despin.lexicon.SOURCES`).
    resources: tuple[str, ...] = DEFAULT_SOURCES
    # Longest spun phrase (in tokens) looked up in the phrase table.
    max_ngram: int = 3
    # Up to this many suggestions per span.
    max_suggestions: int = 5
    # Texts longer than this (characters) are checked segment by segment.
    segment_chars: int = 20_000
    # Score only (no suggestions, no restored text): the fast path for corpora.
    explain: bool = True

    def replace(self, **changes: object) -> "Config":
        return replace(self, **changes)  # type: ignore[arg-type]


DEFAULT = Config()
