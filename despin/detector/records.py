"""The records the detector's stages pass along, in the order they appear.

`Document` (stage 1, `units`) → `Candidate`s of each `Unit` (stage 2, `candidates`) → the
unit's odds in context (stage 3, `context`) → its posterior and the document's spin rate in
an `Analysis` (stage 4, `posterior`) → ranked suggestions (stage 5, `ranking`) → refined
posteriors (stage 6, `refine`) → spans (stage 7, `decide`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..tokenize import Token


@dataclass(frozen=True)
class Candidate:
    """A candidate original of an observed word or phrase (`despin.detector.candidates`)."""

    text: str  # lower-case, words joined by single spaces
    q: float  # channel probability q(observed | candidate)
    relation: str  # where it came from: "wordnet", "moby", "inflection", "profile:NAME"
    # How many category-thesaurus entries list both it and the observed word, plus 3 for each
    # that lists the other (`candidates.shared_categories`; 0 without that thesaurus).
    shared: int = 0

    # The words of ``text`` as the tokenizer reads them (a hyphen splits: "stock-take" is two
    # words, as in the text it would stand in), split once: the detector's inner loop reads
    # them per window.
    words: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        text = self.text
        if "-" in text:
            words = tuple(w for part in text.split(" ") for w in part.split("-") if w)
            object.__setattr__(self, "words", words or (text,))
        else:
            object.__setattr__(self, "words", tuple(text.split(" ")))


@dataclass
class Document:
    """The text as the stages read it: per token, its lower-case form, its sentence, whether
    it stands on a line in capitals, and whether it may be a substitute."""

    tokens: list[Token]
    low: list[str]
    sid: list[int]  # sentence number
    upper_line: list[bool]
    ok: list[bool]  # may be (part of) a substitute
    compound: list[str] = field(default_factory=list)  # the hyphenated compound it is part of, or ""


@dataclass
class Unit:
    """A run of tokens [i, j) that may be one substitution; the stages fill it in."""

    i: int
    j: int
    observed: str  # lower-case phrase
    cands: tuple[Candidate, ...]
    odds: list[float] = field(default_factory=list)  # q(w|c)·P(c,ctx)/P(w,ctx) per candidate
    A: float = 0.0
    log_odds: float = 0.0  # log posterior odds of "substituted"
    posterior: float = 0.0
    name: bool = False  # capitalised inside a sentence
    case_break: bool = False  # lower-case inside an upper-case headline
    closed: bool = False  # a closed-class word (at, would, these), with grammar-table candidates only
    # What learned profiles say: P(substituted) and how many observations back it.
    profile_prob: float = 0.0
    profile_support: float = 0.0
    # The odds that rank suggestions (odds with the document's own words as evidence,
    # see `despin.detector.ranking`); empty: rank by ``odds``. Never used for the posterior.
    rank: list[float] = field(default_factory=list)
    # P(the best suggestion is exactly the original | substituted), from stage 6 (`refine`);
    # below 0: not refined, the suggestion model of stage 5 answers.
    best_prob: float = -1.0
    # How well each candidate, and the observed words, fit the document's topic (cosines of
    # word vectors, `despin.detector.ranking.document_fits`); empty: below its floor.
    fits: list[float] = field(default_factory=list)
    own_fit: float = 0.0
    # ... and with the words within `despin.detector.ranking.WINDOW` of the unit.
    wfits: list[float] = field(default_factory=list)
    # log P(candidate, then the next words | the text before) from the neural model
    # (`despin.neural.score_units`), NaN for candidates it did not score; empty: not scored.
    neural: list[float] = field(default_factory=list)
    # How much likelier the neural model reads the best scored candidate than the words as
    # written (nats; `despin.neural.score_units`), NaN: not read.
    neural_margin: float = float("nan")

    @property
    def ranking(self) -> list[float]:
        return self.rank or self.odds


@dataclass
class Analysis:
    """A document's units after the detector's stages, with its fitted spin rate."""

    tokens: list[Token]
    units: list[Unit]
    rho: float
    llr: float  # log-likelihood ratio of the fitted mixture against "nothing spun"
    n_eligible: int
    rho_closed: float = 0.02  # the spin rate of closed-class words (at/on, would/could)
    # The document-score features as stage 4 left them (stage 6 refines the unit
    # posteriors; the document score is fitted and measured on the stage-4 ones).
    document: list[float] = field(default_factory=list)
    neural: bool = False  # stage 5c (the neural model) re-ranked this document's units
    # Per token: on a line written mostly in capitals (`Document.upper_line`).
    upper_line: list[bool] = field(default_factory=list)

    def doc_features(self) -> list[float]:
        """Document-level features for the calibrated document score."""
        if self.document:
            return self.document
        # (content words only: closed-class units came later, and the document score was
        # fitted and measured without them)
        singles = [u for u in self.units if u.j - u.i == 1 and not u.closed]
        n = max(1, self.n_eligible)
        flagged = sum(u.posterior >= 0.5 for u in self.units if not u.closed)
        top = sorted((u.posterior for u in singles), reverse=True)[: max(1, n // 10)]
        return [
            self.rho,
            self.llr / n,
            flagged / n,
            sum(top) / max(1, len(top)),
            math.log(n),
        ]

    def final_features(self) -> list[float]:
        """The report's document-score features: stage 4's (`doc_features`), then the 90th
        percentile of the content words' posteriors and the mean posterior of every unit as
        the last stage left them (stage 6 refines them). A spinner whose originals despin
        seldom lists leaves many words at middling posteriors and few high."""
        singles = sorted(u.posterior for u in self.units if u.j - u.i == 1 and not u.closed)
        return [
            *self.doc_features(),
            _percentile(singles, 0.9),
            sum(u.posterior for u in self.units) / max(1, len(self.units)),
        ]


def _percentile(ascending: list[float], q: float) -> float:
    """The ``q`` quantile of sorted values, linearly interpolated (numpy's default); 0 when empty."""
    if not ascending:
        return 0.0
    pos = q * (len(ascending) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ascending) - 1)
    return ascending[lo] + (ascending[hi] - ascending[lo]) * (pos - lo)
