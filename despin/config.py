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
    # Span threshold on the posterior that a unit was substituted. For a calibrated
    # probability the threshold that maximises F1 is half the F1 it attains, so ~0.3 for
    # the 0.55-0.70 reached on the dev proxies (issue 14, quality.py --limit 40, loc F1 at
    # 0.45 -> 0.30: WP engine .681 -> .70, ProThemes .568 -> .61, leave-one-resource-out
    # .465 -> .54 (WordNet) and .386 -> .48 (Moby); nlpaug .676 -> .65). Restoration is
    # untouched: a span is replaced only where that is likelier right than wrong, which
    # needs a posterior above 0.5 (see report.replaces).
    threshold: float = 0.30
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
    # Stage 5c: a neural language model re-ranks the suggestions of likely spun documents
    # (`despin.neural`; build it once with `python -m despin.neural_build`). Off by default:
    # it restores 1.5-2.3 points more of a real spinner's damage for ~200x the time of a
    # spun document (docs/neural.md), and 1% of clean news reaches it.
    neural: bool = False

    def replace(self, **changes: object) -> "Config":
        return replace(self, **changes)  # type: ignore[arg-type]


DEFAULT = Config()
