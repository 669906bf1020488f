"""Screen one paper: listed and unlisted tortured phrases, a score and a verdict.

Scoring (documented in docs/papers.md): the *evidence* of a paper is the number of
distinct listed phrases found plus half the summed confidence of distinct unlisted
phrases *above the rate the detector shows on clean text* (unlisted findings are
guesses: at #8's margin it flagged about one window per hundred words of the clean
sentences of benchmarks/tortured.py, so only a density above that counts); ``score = E / (E + 2)``.
A paper is ``suspect`` at ``score >= 0.5`` — two distinct listed phrases, the same
threshold as the default of ``--threshold 2`` — ``review`` below that but above zero,
``clean`` at zero and ``error`` when no text could be read. Two, not one, because a
single odd phrase can be an honest non-native choice; screeners ask for corroboration.

>>> from despin.papers.lists import parse_list_text
>>> from despin.papers.matcher import ListMatcher
>>> m = ListMatcher(parse_list_text("irregular woodland\\trandom forest\\nprofound learning\\tdeep learning"))
>>> r = screen_text("An irregular woodland beats profound learning.", m, name="a.txt")
>>> r.verdict, r.score, [f.expected[0] for f in r.findings]
('suspect', 0.5, ['random forest', 'deep learning'])
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import InputError
from .beyond import Substitution, UnlistedHit
from .extract import extract_text
from .matcher import ListMatcher

UNLISTED_WEIGHT = 0.5
# Unlisted findings per word that clean scientific text also gets, subtracted before unlisted
# findings count as evidence. Measured at #8's flagging margin (5: about one window per
# hundred words); at #17's margin (12) clean sentences get far fewer (docs/papers.md),
# so the subtraction is now conservative: unlisted findings alone rarely make a paper suspect.
UNLISTED_BASE_RATE = 0.01
# evidence at which a paper is "suspect": two distinct listed phrases
DEFAULT_THRESHOLD = 2.0
CONTEXT_CHARS = 60


@dataclass(frozen=True)
class Finding:
    """One tortured phrase in a paper: ``text == paper[start:end]``."""

    start: int
    end: int
    text: str
    kind: str  # "listed" or "unlisted"
    phrase: str  # normalised (lower case, single spaces)
    expected: tuple[str, ...]  # the list's expected text, or ranked suggestions for unlisted ones
    score: float  # 1.0 for listed phrases; the detector's confidence for unlisted ones
    source: str  # "LIST:LINE" or "beyond"
    context: str = ""
    # unlisted findings: the first suggestion's word-level changes, the reasons in words, and
    # how much likelier (natural log) the suggestion reads than the phrase as written
    substitutions: tuple[Substitution, ...] = ()
    evidence: tuple[str, ...] = ()
    log_odds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "kind": self.kind,
            "phrase": self.phrase,
            "expected": list(self.expected),
            "score": round(float(self.score), 4),
            "source": self.source,
            "context": self.context,
            "substitutions": [
                {"observed": x.observed, "original": x.original, "kind": x.kind, "detail": x.detail}
                for x in self.substitutions
            ],
            "evidence": list(self.evidence),
            "log_odds": None if self.log_odds is None else round(float(self.log_odds), 3),
        }


@dataclass(frozen=True)
class PaperResult:
    """The screening row of one paper."""

    path: str
    chars: int = 0
    findings: tuple[Finding, ...] = ()
    score: float = 0.0
    verdict: str = "clean"
    error: str | None = None
    threshold: float = field(default=DEFAULT_THRESHOLD, repr=False)

    def _distinct(self, kind: str) -> dict[str, Finding]:
        out: dict[str, Finding] = {}
        for f in self.findings:
            if f.kind == kind:
                best = out.get(f.phrase)
                if best is None or f.score > best.score:
                    out[f.phrase] = f
        return out

    @property
    def n_listed(self) -> int:
        return sum(f.kind == "listed" for f in self.findings)

    @property
    def n_unlisted(self) -> int:
        return sum(f.kind == "unlisted" for f in self.findings)

    @property
    def distinct_listed(self) -> int:
        return len(self._distinct("listed"))

    @property
    def distinct_unlisted(self) -> int:
        return len(self._distinct("unlisted"))

    def _counts(self) -> dict[str, Any]:
        """The columns both forms share, in their order."""
        return {
            "path": self.path,
            "verdict": self.verdict,
            "score": round(float(self.score), 4),
            "chars": self.chars,
            "n_listed": self.n_listed,
            "n_unlisted": self.n_unlisted,
            "distinct_listed": self.distinct_listed,
            "distinct_unlisted": self.distinct_unlisted,
        }

    def to_dict(self) -> dict[str, Any]:
        """Nested form (JSON, Parquet)."""
        return {
            **self._counts(),
            "findings": [f.to_dict() for f in self.findings],
            "error": self.error,
        }

    def to_row(self) -> dict[str, Any]:
        """Flat form (CSV): phrases as ``found -> expected`` joined by `` | ``."""
        listed = self._distinct("listed").values()
        unlisted = self._distinct("unlisted").values()
        return {
            **self._counts(),
            "listed": " | ".join(f"{f.phrase} -> {f.expected[0] if f.expected else '?'}" for f in listed),
            "unlisted": " | ".join(
                f"{f.phrase} -> {f.expected[0] if f.expected else '?'} ({f.score:.2f})" for f in unlisted
            ),
            "offsets": " ".join(f"{f.start}-{f.end}" for f in self.findings),
            "error": self.error or "",
        }


class UnlistedFinder(Protocol):
    """What `screen_text` needs from the beyond-lists detector (`despin.papers.beyond`)."""

    def find(self, text: str) -> Sequence[UnlistedHit]:
        """Each unlisted tortured phrase, with its suggestions and evidence."""
        ...


def score_evidence(evidence: float, threshold: float = DEFAULT_THRESHOLD) -> float:
    """Map evidence (distinct listed phrases, + weighted unlisted) to 0..1; 0.5 at the threshold.

    >>> score_evidence(0), score_evidence(2), round(score_evidence(6), 2)
    (0.0, 0.5, 0.75)
    """
    return evidence / (evidence + threshold) if evidence > 0 else 0.0


def verdict_for(score: float) -> str:
    return "suspect" if score >= 0.5 else ("review" if score > 0 else "clean")


def _context(text: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> str:
    left = text[max(0, start - chars) : start]
    right = text[end : end + chars]
    return " ".join(f"{left}[{text[start:end]}]{right}".split())


def screen_text(
    text: str,
    matcher: ListMatcher | None,
    *,
    beyond: UnlistedFinder | None = None,
    name: str = "<text>",
    threshold: float = DEFAULT_THRESHOLD,
) -> PaperResult:
    """Screen the text of one paper (pure: no I/O)."""
    findings: list[Finding] = []
    if matcher is not None:
        for h in matcher.find(text):
            findings.append(
                Finding(h.start, h.end, h.text, "listed", h.phrase,
                        (h.expected,) if h.expected else (), 1.0, h.fingerprint.source,
                        _context(text, h.start, h.end))
            )
    if beyond is not None:
        taken = [(f.start, f.end) for f in findings]
        for hit in beyond.find(text):
            if any(hit.start < e and s < hit.end for s, e in taken):
                continue  # a listed phrase already explains it
            findings.append(
                Finding(hit.start, hit.end, hit.text, "unlisted", " ".join(hit.text.lower().split()),
                        tuple(s.text for s in hit.suggestions), float(hit.confidence), "beyond",
                        _context(text, hit.start, hit.end), hit.substitutions, hit.evidence, hit.log_odds)
            )
    findings.sort(key=lambda f: (f.start, f.end))
    result = PaperResult(name, len(text), tuple(findings), threshold=threshold)
    unlisted = sum(f.score for f in result._distinct("unlisted").values())
    words = len(text.split())
    evidence = result.distinct_listed + UNLISTED_WEIGHT * max(0.0, unlisted - UNLISTED_BASE_RATE * words)
    score = score_evidence(evidence, threshold)
    return PaperResult(name, len(text), tuple(findings), score, verdict_for(score), None, threshold)


def screen_file(
    path: str | os.PathLike[str],
    matcher: ListMatcher | None,
    *,
    beyond: UnlistedFinder | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    encoding: str | None = None,
) -> PaperResult:
    """Extract and screen one file; a file that cannot be read gives a row with ``error``."""
    try:
        text = extract_text(path, encoding)
    except InputError as e:
        return PaperResult(str(path), verdict="error", error=str(e), threshold=threshold)
    return screen_text(text, matcher, beyond=beyond, name=str(path), threshold=threshold)
