"""Restore a spun copy through its traced source: exact spans, exact original wording.

>>> import tempfile, pathlib
>>> from despin.trace.index import Index
>>> src = "The company said on Monday that profits rose steeply in March and April."
>>> ix = Index.build(pathlib.Path(tempfile.mkdtemp()) / "i", [("s1", src)])
>>> r = report_from_index("The firm said on Monday that profits rose sharply in March and April.", ix)
>>> r.restored == src, r.source["id"], [s.text for s in r.spans]
(True, 's1', ['firm', 'sharply'])
"""
from __future__ import annotations

from typing import Any

from ..config import DEFAULT, Config
from ..report import Report, Span, Suggestion, apply
from ..tokenize import tokenize
from .align import AlignedSpan, align

# A source is trusted when its weighted aligned share (`despin.trace.align.similarity`)
# reaches this. Measured on news-dev (docs/trace.md): true sources of copies spun at
# 50% with phrase expansion or name damage score >= 0.40 in 95-99% of cases; spun
# copies of articles absent from the index score at most 0.33 against any document.
MIN_SIMILARITY = 0.40


def spans_from_alignment(spun: str, source: str, aligned: list[AlignedSpan]) -> tuple[Span, ...]:
    """One `Span` per ``replace`` stretch, suggesting the source's exact wording."""
    return tuple(
        Span(
            a.spun_start,
            a.spun_end,
            spun[a.spun_start : a.spun_end],
            1.0,
            (Suggestion(source[a.source_start : a.source_end], 1.0),),
            "source",
        )
        for a in aligned
        if a.op == "replace"
    )


def report_from_index(text: str, index: Any, config: Config = DEFAULT) -> Report | None:
    """A `Report` built from the best source in ``index``, or None without a confident one.

    Spans are the substitutions found by aligning ``text`` to the source; ``restored``
    replaces exactly those (everything else is byte-identical); ``source`` names it.
    """
    if not text.strip():
        return None
    threshold = float(getattr(config, "trace_min_similarity", MIN_SIMILARITY))
    matches = index.query(text, top=1)
    if not matches or matches[0].similarity < threshold:
        return None
    best = matches[0]
    aligned = align(text, best.source_text)
    spans = spans_from_alignment(text, best.source_text, aligned)
    changed = sum(len(tokenize(s.text)) for s in spans)
    n = max(1, len(tokenize(text)))
    # With a source in hand the evidence is direct: any substitution means "spun";
    # one or two changed words in a long text may be an edit, so the score grows
    # with the changed share and reaches 1.0 at 5% of the words.
    score = 0.0 if not spans else min(1.0, 0.5 + 10.0 * changed / n)
    return Report(
        score=score,
        verdict="spun" if spans else "clean",
        spans=spans,
        restored=apply(text, spans),
        source={"id": best.id, "similarity": round(best.similarity, 4)},
    )


def source_excerpt(spun: str, source: str, aligned: list[AlignedSpan] | None = None) -> str:
    """The part of ``source`` the copy covers: whole paragraphs from the first to the
    last aligned one (the whole source when the copy covers all of it)."""
    from .shingles import paragraphs

    aligned = align(spun, source) if aligned is None else aligned
    if not aligned:
        return source
    lo = min(a.source_start for a in aligned)
    hi = max(a.source_end for a in aligned)
    pars = paragraphs(source)
    start = max((s for s, e in pars if s <= lo), default=0)
    end = min((e for s, e in pars if e >= hi), default=len(source))
    if start == min((s for s, _ in pars), default=0) and end == max((e for _, e in pars), default=len(source)):
        return source
    return source[start:end]
