"""The result types: a `Report` of `Span`s, each with ranked `Suggestion`s.

The JSON form is a contract other tools rely on (see DESIGN.md):
``{"score", "verdict", "spans": [{"start", "end", "text", "score", "suggestions":
[{"text", "score"}], "reason"}], "restored"}`` plus ``"source"`` when a source
document was used. Offsets are Python ``str`` indices into the input.

>>> r = Report(score=0.9, verdict="spun", restored="the stock market",
...            spans=(Span(4, 19, "inventory marketplace", 0.8,
...                        (Suggestion("stock market", 0.7),), "wordnet"),))
>>> Report.from_json(r.to_json()) == r
True
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping

from .tokenize import tokenize


@dataclass(frozen=True)
class Suggestion:
    """A candidate original. In a `Report`'s spans ``score`` estimates P(this is exactly
    what the text said), so it is at most the span's own score (P(the span is a
    substitution)); a span's suggestions are ranked by it and their scores sum to at most
    the span's. (``despin.papers``' phrase detector ranks its own suggestions by a log-odds
    margin instead; those never enter a Report.)"""

    text: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "score": round(float(self.score), 4)}


@dataclass(frozen=True)
class Span:
    """A suspected substitution: ``text == input[start:end]``."""

    start: int
    end: int
    text: str
    score: float
    suggestions: tuple[Suggestion, ...] = ()
    reason: str = ""

    @property
    def best(self) -> str | None:
        return self.suggestions[0].text if self.suggestions else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "score": round(float(self.score), 4),
            "suggestions": [s.to_dict() for s in self.suggestions],
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Span":
        return cls(
            start=int(d["start"]),
            end=int(d["end"]),
            text=str(d["text"]),
            score=float(d["score"]),
            suggestions=tuple(Suggestion(str(s["text"]), float(s["score"])) for s in d.get("suggestions", ())),
            reason=str(d.get("reason", "")),
        )


VERDICTS = ("clean", "spun")


@dataclass(frozen=True)
class Report:
    """What `despin.check` says about one text."""

    score: float
    verdict: str
    spans: tuple[Span, ...]
    restored: str
    source: Mapping[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "score": round(float(self.score), 4),
            "verdict": self.verdict,
            "spans": [s.to_dict() for s in self.spans],
            "restored": self.restored,
        }
        if self.source is not None:
            d["source"] = dict(self.source)
        return d

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Report":
        return cls(
            score=float(d["score"]),
            verdict=str(d["verdict"]),
            spans=tuple(Span.from_dict(s) for s in d.get("spans", ())),
            restored=str(d["restored"]),
            source=d.get("source"),
        )

    @classmethod
    def from_json(cls, s: str) -> "Report":
        return cls.from_dict(json.loads(s))


# What replacing a spun phrase by a shorter suggestion that is not its original still saves,
# per word of length it removes (the original is most often as short as the suggestion: a
# spinner expanded one word into "get well"). Measured by scripts/calibrate.py
# (`phrase_length_share`, recorded in calibration.json) on its training spins: 0.953 over
# 658 spans (simulator 0.978, leave-one-resource-out dictionaries 0.876).
SHORTER_SAVES = 0.95


# Spans whose reason is evidence of their own, not a thesaurus's list: the source document,
# a learned profile, and the detector's case and format rules (`despin.detector.decide`).
_OWN_EVIDENCE = ("source", "profile:", "case:", "format:")


def anchor_key(text: str) -> str:
    """A span's or suggestion's text as corpus anchors (`despin.profile.Anchor`) are keyed
    and stored: lower case, single spaces ("Get  well" -> "get well"; "ready-made" stays
    whole, as `check`'s unit does).

    >>> anchor_key(" Get  Well"), anchor_key("Ready-made")
    ('get well', 'ready-made')
    """
    return " ".join(text.lower().split())


def in_capitals(text: str) -> bool:
    """Is ``text`` written in capitals (two letters or more, none lower-case)?

    A dictionary spinner writes its dictionary's spelling: the WP engine matches a head as
    written or capitalised, so it leaves a capitals headline alone; ProThemes writes the
    words it touches in lower case. Of the words in capitals that `check` replaced on 100
    documents of each dev proxy, none was a swap on the two real engines (WP 31 unchanged
    words, ProThemes 12) and on nlpaug (20), and 20–22 swaps against 33–48 unchanged words
    on the leave-one-resource-out dictionaries, which do write capitals (scratch scripts,
    twenty-seventh session; the WER cuts in the README's "Real spinners").

    >>> in_capitals("NYMEX"), in_capitals("U.S."), in_capitals("I"), in_capitals("Reuters")
    (True, True, False, False)
    """
    return text.isupper() and sum(ch.isalpha() for ch in text) >= 2


@lru_cache(maxsize=50_000)
def is_plural_noun(word: str) -> bool:
    """Is lower-case ``word`` a noun's plural form (its noun lemma, by lemminflect, differs)?

    >>> is_plural_noun("cargoes"), is_plural_noun("cargo"), is_plural_noun("news"), is_plural_noun("says")
    (True, False, False, False)
    """
    from lemminflect import getAllLemmas

    lemma = getAllLemmas(word).get("NOUN")
    return bool(lemma) and lemma[0] != word


def drops_the_plural(span: Span) -> bool:
    """Is ``span`` one content word, a plural noun, whose best suggestion is one word and no
    plural ("shortfalls" → "deficit")?

    A dictionary lists word forms, and a spinner replaces a plural by a plural: the WP engine
    matches its heads as whole words, thesaurus spinners re-inflect what they write. So a
    plural whose best suggestion is singular was most often the author's own word, or the
    plural of the suggestion's original. Held back, WER cut on 100 documents of each dev
    proxy (twenty-seventh session, after the capitals rule): WP 28.15 → 28.86%, ProThemes
    24.60 → 24.94%, nlpaug 37.18 → 37.51%, leave-WordNet-out 26.53 → 26.62%, leave-Moby-out
    14.89 → 15.15%, texthumanize 14.36 → 14.91%; on documents 100–199 of the engines, WP
    26.13 → 27.09%, ProThemes 21.42 → 22.14%.
    """
    if not span.suggestions or span.reason.startswith("function:"):
        return False
    word, best = span.text.lower(), span.suggestions[0].text.lower()
    if " " in word or " " in best:
        return False
    return is_plural_noun(word) and not best.endswith("s") and not is_plural_noun(best)


def replaces(span: Span) -> bool:
    """Does `apply` replace this span? Where that is expected to bring the text closer to
    what it said, in words: with ``p = span.score`` (P(substituted)) and ``b =
    best.score`` (P(substituted and the best suggestion is the original)), a suggestion of
    as many words or more is applied when ``b > 1 − p`` (it is likelier right than the text
    as written); one of m words for a span of k > m gains k when right, still
    ``SHORTER_SAVES`` · (k − m) when the span was substituted but the original is another
    word, and loses k when the span was never changed: applied when ``k·b + SHORTER_SAVES ·
    (k − m)·(p − b) > k·(1 − p)``. A flagged span whose suggestions are all unsure stays
    as it is, flagged for a person to decide.

    >>> replaces(Span(0, 5, "quick", 0.6, (Suggestion("fast", 0.3),)))
    False
    >>> replaces(Span(0, 8, "get well", 0.6, (Suggestion("recover", 0.3),)))
    True

    A word written in capitals (a headline's, an acronym), and a plural noun whose best
    suggestion is no plural, are flagged but never replaced on a thesaurus's word alone
    (`in_capitals`, `drops_the_plural`); a source, a learned profile, or the case and format
    rules still replace them:

    >>> replaces(Span(0, 5, "QUICK", 0.9, (Suggestion("FAST", 0.8),), "moby: 'fast' lists 'quick'"))
    False
    >>> replaces(Span(0, 5, "QUICK", 0.9, (Suggestion("FAST", 0.8),), "source"))
    True
    >>> replaces(Span(0, 10, "shortfalls", 0.9, (Suggestion("deficit", 0.8),), "wordnet: ..."))
    False
    >>> replaces(Span(0, 10, "shortfalls", 0.9, (Suggestion("deficits", 0.8),), "wordnet: ..."))
    True
    """
    if not span.suggestions:
        return False
    if (in_capitals(span.text) or drops_the_plural(span)) and not span.reason.startswith(_OWN_EVIDENCE):
        return False
    p, b = span.score, span.suggestions[0].score
    k, m = len(tokenize(span.text)), len(tokenize(span.suggestions[0].text))
    if m < k:
        return k * b + SHORTER_SAVES * (k - m) * (p - b) > k * (1.0 - p)
    return b > 1.0 - p


def apply(text: str, spans: Iterable[Span]) -> str:
    """Replace each span by its best suggestion where `replaces` says so; all else byte-identical.

    >>> apply("a quick fox", [Span(2, 7, "quick", 0.9, (Suggestion("fast", 0.8),))])
    'a fast fox'
    >>> apply("a quick fox", [Span(2, 7, "quick", 0.6, (Suggestion("fast", 0.3),))])
    'a quick fox'
    """
    out: list[str] = []
    pos = 0
    for s in sorted(spans, key=lambda s: s.start):
        if s.start < pos or not replaces(s):
            continue
        out.append(text[pos:s.start])
        out.append(s.suggestions[0].text)
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


def empty_report(text: str) -> Report:
    return Report(score=0.0, verdict="clean", spans=(), restored=text)
