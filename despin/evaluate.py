"""The evaluator: one set of definitions for every quality figure despin reports.

Definitions (docs/eval.md; the README quotes them):

- tokens: `despin.tokenize` (regex ``\\w+(?:['’]\\w+)*``) with char offsets;
- gold: ``difflib.SequenceMatcher(None, spun_tokens, original_tokens, autojunk=False)``
  on the exact token strings; a spun token outside every ``equal`` block is *changed*;
- predicted: a spun token that any reported span overlaps; localisation precision,
  recall and F1 are pooled over all documents' tokens;
- WER: word-level Levenshtein distance / number of original tokens, pooled;
  ``wer_before`` = WER(spun, original), ``wer_after`` = WER(check(spun).restored, original),
  ``wer_reduction`` = 1 - after/before, ``false_change`` = WER(check(original).restored, original);
- detection: ROC AUC and TPR at FPR <= 1% of ``Report.score``, originals negative, spun positive;
- speed: checked texts (two per pair) per second of checker time;
- word-for-word substitutions (``substitution_stats``, when a candidate generator is given):
  the tokens of an equal-length diff block, zipped (adjacent swaps share a block; a block of
  unequal lengths is a phrase operation); ``coverage`` = the original
  (lower case) among the candidates of the spun word; ``flagged`` = a span overlaps it;
  ``top1`` / ``top5`` = of the flagged ones, the span's best / one of its first five
  suggestions restores the original (the span's other words as the original has them).

Pure: the checker is a parameter, so tests inject a fake one and check exact numbers.

>>> from despin.report import Report, Span, Suggestion
>>> def fake(text):  # flags "large" and restores it to "big"
...     i = text.find("large")
...     if i < 0:
...         return Report(0.1, "clean", (), text)
...     span = Span(i, i + 5, "large", 0.9, (Suggestion("big", 0.9),))
...     return Report(0.9, "spun", (span,), text[:i] + "big" + text[i + 5:])
>>> doc = evaluate_pair(Pair("1", "a big red dog", "a large red hound"), fake)
>>> (doc.tp, doc.fp, doc.fn, doc.edits_before, doc.edits_after)
(1, 0, 1, 2, 1)
>>> m = summarize([doc])
>>> (m.loc_p, m.loc_r, m.wer_before, m.wer_after, m.wer_reduction)
(1.0, 0.5, 0.5, 0.25, 0.5)
"""
from __future__ import annotations

import difflib
import math
import resource
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple, dataclass, field
from typing import Any

import numpy as np

from .report import Report, Span
from .tokenize import Token, tokenize

Checker = Callable[[str], Report]
# The candidate originals a detector considers for a lower-case spun word.
CandidateSource = Callable[[str], Iterable[str]]

# `--json` keys, in order; the issue fixes the first eleven.
KEYS = (
    "n",
    "auc",
    "tpr_at_fpr1",
    "loc_p",
    "loc_r",
    "loc_f1",
    "wer_before",
    "wer_after",
    "wer_reduction",
    "false_change",
    "docs_per_s",
)


@dataclass(frozen=True)
class Pair:
    """One evaluation pair (a line of a pairs JSONL file)."""

    id: str
    original: str
    spun: str
    spinner: Any = None


@dataclass(frozen=True)
class DocResult:
    """Per-document counts; `summarize` pools them."""

    id: str
    n_orig: int  # original word tokens
    n_gold: int  # changed spun tokens
    tp: int
    fp: int
    fn: int
    edits_before: int  # Levenshtein(spun, original), in words
    edits_after: int  # Levenshtein(restored spun, original)
    edits_false: int  # Levenshtein(restored original, original)
    score_spun: float
    score_orig: float
    seconds: float  # checker time, both calls
    spans: tuple[Span, ...] = ()
    # (changed spun words no span touched, original words of their diff block), for error analysis.
    missed: tuple[tuple[str, str], ...] = ()
    # Word-for-word substitution counts; None when no candidate generator was given.
    subs: SubstitutionStats | None = None


@dataclass(frozen=True)
class SubstitutionStats:
    """Counts over the word-for-word substitutions of one or more documents."""

    substitutions: int = 0  # spun tokens of equal-length diff blocks (word for word)
    covered: int = 0  # the original is among the spun word's candidates
    flagged: int = 0  # a span overlaps the spun token
    top1: int = 0  # flagged, and the span's best suggestion restores the original
    top5: int = 0  # flagged, and one of the span's first five suggestions does
    flagged_covered: int = 0  # flagged and covered
    top1_covered: int = 0  # top1 among flagged_covered
    top5_covered: int = 0

    def __add__(self, other: SubstitutionStats) -> SubstitutionStats:
        return SubstitutionStats(*(a + b for a, b in zip(astuple(self), astuple(other))))

    def rates(self) -> dict[str, float]:
        """``coverage``, ``flagged``, ``top1``, ``top5`` (of flagged), and top-1/top-5 of the
        flagged substitutions whose original is a candidate; 0 for an empty denominator."""
        return {
            "coverage": _ratio(self.covered, self.substitutions),
            "flagged": _ratio(self.flagged, self.substitutions),
            "top1": _ratio(self.top1, self.flagged),
            "top5": _ratio(self.top5, self.flagged),
            "top1_covered": _ratio(self.top1_covered, self.flagged_covered),
            "top5_covered": _ratio(self.top5_covered, self.flagged_covered),
        }


# --------------------------------------------------------------------------- building blocks


def token_strings(text: str) -> list[str]:
    """The exact word-token strings of ``text``.

    >>> token_strings("Don't stop—now!")
    ["Don't", 'stop', 'now']
    """
    return [t.text for t in tokenize(text)]


def gold_changes(spun: Sequence[str], original: Sequence[str]) -> tuple[set[int], list[tuple[int, int, int, int]]]:
    """Indices of changed spun tokens, and the non-equal opcodes ``(i1, i2, j1, j2)``.

    >>> gold_changes(["a", "large", "dog"], ["a", "big", "dog"])[0]
    {1}
    """
    sm = difflib.SequenceMatcher(None, list(spun), list(original), autojunk=False)
    changed: set[int] = set()
    ops: list[tuple[int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "equal":
            changed.update(range(i1, i2))
            ops.append((i1, i2, j1, j2))
    return changed, ops


def word_for_word(ops: Iterable[tuple[int, int, int, int]], original: Sequence[str]) -> dict[int, str]:
    """Spun token index -> the original word it replaced, for the word-for-word substitutions
    among `gold_changes`' blocks. Adjacent word swaps merge into one diff block, so a block
    of equal length on both sides is read word for word; a block of unequal lengths is a
    phrase operation and has no entry.

    >>> _, ops = gold_changes(["inventory", "marketplace", "fell"], ["stock", "market", "fell"])
    >>> word_for_word(ops, ["stock", "market", "fell"])
    {0: 'stock', 1: 'market'}
    """
    return {i1 + d: original[j1 + d] for i1, i2, j1, j2 in ops if i2 - i1 == j2 - j1 for d in range(i2 - i1)}


def predicted_tokens(tokens: Sequence[Token], spans: Iterable[Span]) -> set[int]:
    """Indices of tokens that any span overlaps (shares at least one character with).

    >>> toks = tokenize("a large dog")
    >>> sorted(predicted_tokens(toks, [Span(3, 9, "rge do", 0.5)]))
    [1, 2]
    """
    starts = np.fromiter((t.start for t in tokens), dtype=np.int64, count=len(tokens))
    ends = np.fromiter((t.end for t in tokens), dtype=np.int64, count=len(tokens))
    out: set[int] = set()
    for s in spans:
        if s.end <= s.start:
            continue
        # Tokens are sorted and disjoint: the overlapping ones form one contiguous run.
        lo = int(np.searchsorted(ends, s.start, side="right"))
        hi = int(np.searchsorted(starts, s.end, side="left"))
        out.update(range(lo, hi))
    return out


def substitution_stats(
    spun_tokens: Sequence[Token],
    original: Sequence[str],
    spans: Iterable[Span],
    candidates: CandidateSource,
) -> SubstitutionStats:
    """Coverage, flagging and suggestion ranks for the word-for-word substitutions.

    A span's suggestion restores a substitution when it equals, case-insensitively and
    word by word, the span's tokens with every word-for-word substitution inside it put
    back (a span that also covers a phrase operation cannot be judged and counts as not).

    >>> from despin.report import Suggestion
    >>> toks = tokenize("a large red hound")
    >>> spans = [Span(2, 7, "large", 0.9, (Suggestion("big", 0.5),)),
    ...          Span(12, 17, "hound", 0.8, (Suggestion("cat", 0.4), Suggestion("dog", 0.3)))]
    >>> st = substitution_stats(toks, ["a", "big", "red", "dog"], spans, lambda w: {"large": ["big"]}.get(w, []))
    >>> (st.substitutions, st.covered, st.flagged, st.top1, st.top5, st.top1_covered)
    (2, 1, 2, 1, 2, 1)
    """
    spun = [t.text for t in spun_tokens]
    _, ops = gold_changes(spun, original)
    one_to_one = word_for_word(ops, original)
    changed = {i for i1, i2, _, _ in ops for i in range(i1, i2)}
    spans = list(spans)
    covering: dict[int, list[Span]] = {}
    for span in spans:
        for k in predicted_tokens(spun_tokens, [span]):
            covering.setdefault(k, []).append(span)
    out = SubstitutionStats()
    for k, orig in one_to_one.items():
        covered = orig.lower() in {c.lower() for c in candidates(spun[k].lower())}
        hits = covering.get(k, [])
        top1 = top5 = False
        for span in hits:
            inside = sorted(predicted_tokens(spun_tokens, [span]))
            if any(i in changed and i not in one_to_one for i in inside):
                continue
            want = [one_to_one.get(i, spun[i]).lower() for i in inside]
            ranked = [s.text.lower().split() for s in span.suggestions[:5]]
            top1 = top1 or (bool(ranked) and ranked[0] == want)
            top5 = top5 or want in ranked
        out = out + SubstitutionStats(
            1, int(covered), int(bool(hits)), int(top1), int(top5),
            int(bool(hits) and covered), int(top1 and covered), int(top5 and covered),
        )
    return out


def word_edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance between two token sequences (unit costs), via rapidfuzz.

    >>> word_edit_distance(["the", "big", "dog"], ["a", "big", "red", "dog"])
    2
    """
    from rapidfuzz.distance import Levenshtein

    return int(Levenshtein.distance(list(a), list(b)))


def roc_auc(negatives: Sequence[float], positives: Sequence[float]) -> float:
    """Area under the ROC curve: P(score(pos) > score(neg)) + 0.5 P(tie), by average ranks.

    >>> roc_auc([0.1, 0.4], [0.35, 0.8])
    0.75
    >>> roc_auc([0.5], [0.5])
    0.5
    """
    neg = np.asarray(negatives, dtype=np.float64)
    pos = np.asarray(positives, dtype=np.float64)
    if len(neg) == 0 or len(pos) == 0:
        return float("nan")
    allv = np.concatenate([neg, pos])
    order = np.argsort(allv, kind="mergesort")
    sorted_v = allv[order]
    # Average 1-based rank of each run of tied values (the Mann-Whitney U convention).
    bounds = np.flatnonzero(np.diff(sorted_v)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [len(allv)]])
    avg = (starts + stops + 1) / 2.0
    ranks = np.empty(len(allv))
    ranks[order] = np.repeat(avg, stops - starts)
    u = ranks[len(neg):].sum() - len(pos) * (len(pos) + 1) / 2.0
    return float(u / (len(pos) * len(neg)))


def tpr_at_fpr(negatives: Sequence[float], positives: Sequence[float], max_fpr: float = 0.01) -> float:
    """Best true-positive rate of a threshold rule ``score >= t`` whose false-positive rate is <= ``max_fpr``.

    >>> tpr_at_fpr([0.1, 0.2, 0.3], [0.25, 0.5, 0.9], max_fpr=0.0)
    0.6666666666666666
    """
    neg = np.sort(np.asarray(negatives, dtype=np.float64))
    pos = np.sort(np.asarray(positives, dtype=np.float64))
    if len(neg) == 0 or len(pos) == 0:
        return float("nan")
    thresholds = np.unique(np.concatenate([neg, pos]))
    fpr = (len(neg) - np.searchsorted(neg, thresholds, side="left")) / len(neg)
    tpr = (len(pos) - np.searchsorted(pos, thresholds, side="left")) / len(pos)
    ok = fpr <= max_fpr + 1e-12
    return float(tpr[ok].max()) if ok.any() else 0.0  # t = +inf flags nothing: TPR 0


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB, macOS bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


# --------------------------------------------------------------------------- per document and pooled


def evaluate_pair(pair: Pair, checker: Checker, candidates: CandidateSource | None = None) -> DocResult:
    """Check the spun text and the original with ``checker`` and count everything; with
    ``candidates``, also the word-for-word substitution figures (`substitution_stats`)."""
    t0 = time.perf_counter()
    rep_spun = checker(pair.spun)
    rep_orig = checker(pair.original)
    seconds = time.perf_counter() - t0

    spun_toks = tokenize(pair.spun)
    spun_str = [t.text for t in spun_toks]
    orig_str = token_strings(pair.original)
    gold, ops = gold_changes(spun_str, orig_str)
    pred = predicted_tokens(spun_toks, rep_spun.spans)
    # Unflagged changed tokens of each diff block, with the block's original words for context.
    missed = tuple(
        (" ".join(spun_str[i] for i in range(i1, i2) if i not in pred), " ".join(orig_str[j1:j2]))
        for i1, i2, j1, j2 in ops
        if any(i not in pred for i in range(i1, i2))
    )
    return DocResult(
        id=pair.id,
        n_orig=len(orig_str),
        n_gold=len(gold),
        tp=len(gold & pred),
        fp=len(pred - gold),
        fn=len(gold - pred),
        edits_before=word_edit_distance(spun_str, orig_str),
        edits_after=word_edit_distance(token_strings(rep_spun.restored), orig_str),
        edits_false=word_edit_distance(token_strings(rep_orig.restored), orig_str),
        score_spun=float(rep_spun.score),
        score_orig=float(rep_orig.score),
        seconds=seconds,
        spans=tuple(rep_spun.spans),
        missed=missed,
        subs=None if candidates is None else substitution_stats(spun_toks, orig_str, rep_spun.spans, candidates),
    )


def _ratio(a: float, b: float) -> float:
    # An empty denominator (no predictions, no gold) reads as 0, never as a division error.
    return a / b if b else 0.0


@dataclass(frozen=True)
class Metrics:
    n: int
    auc: float
    tpr_at_fpr1: float
    loc_p: float
    loc_r: float
    loc_f1: float
    wer_before: float
    wer_after: float
    wer_reduction: float
    false_change: float
    docs_per_s: float
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, digits: int = 4) -> dict[str, Any]:
        """The ``--json`` object: the issue's keys first, then extras; NaN becomes null."""

        def clean(v: Any) -> Any:
            if isinstance(v, float):
                return None if math.isnan(v) else round(v, digits)
            return v

        d = {k: clean(getattr(self, k)) for k in KEYS}
        d.update({k: clean(v) for k, v in self.extras.items()})
        return d


def summarize(docs: Sequence[DocResult], **extras: Any) -> Metrics:
    """Pool per-document counts into the figures `despin eval` prints."""
    tp = sum(d.tp for d in docs)
    fp = sum(d.fp for d in docs)
    fn = sum(d.fn for d in docs)
    n_orig = sum(d.n_orig for d in docs)
    p = _ratio(tp, tp + fp)
    r = _ratio(tp, tp + fn)
    f1 = _ratio(2 * p * r, p + r)
    before = _ratio(sum(d.edits_before for d in docs), n_orig)
    after = _ratio(sum(d.edits_after for d in docs), n_orig)
    seconds = sum(d.seconds for d in docs)
    with_subs = [d.subs for d in docs if d.subs is not None]
    if with_subs:
        # Pooled over documents, like the localisation figures.
        extras = {**sum(with_subs, SubstitutionStats()).rates(), **extras}
    return Metrics(
        n=len(docs),
        auc=roc_auc([d.score_orig for d in docs], [d.score_spun for d in docs]),
        tpr_at_fpr1=tpr_at_fpr([d.score_orig for d in docs], [d.score_spun for d in docs], 0.01),
        loc_p=p,
        loc_r=r,
        loc_f1=f1,
        wer_before=before,
        wer_after=after,
        wer_reduction=1.0 - after / before if before else 0.0,
        false_change=_ratio(sum(d.edits_false for d in docs), n_orig),
        docs_per_s=_ratio(2 * len(docs), seconds),
        extras=dict(extras),
    )


def evaluate(
    pairs: Iterable[Pair], checker: Checker, candidates: CandidateSource | None = None, **extras: Any
) -> tuple[Metrics, list[DocResult]]:
    """Evaluate ``checker`` on every pair; returns the pooled metrics and per-document results.
    With ``candidates`` the metrics' extras hold the word-for-word substitution rates."""
    docs = [evaluate_pair(p, checker, candidates) for p in pairs]
    return summarize(docs, **extras), docs


def worst(docs: Sequence[DocResult], n: int) -> list[DocResult]:
    """The ``n`` documents with the most residual errors (words still wrong after restoration)."""
    return sorted(docs, key=lambda d: (-d.edits_after, -(d.fp + d.fn), d.id))[:n]


def resource_setting(spinner_resources: Iterable[str], detector_resources: Iterable[str]) -> str:
    """How to read the figures: a simulator and a detector built on the same thesaurus is optimistic.

    >>> resource_setting({"moby"}, ("wordnet",))
    'cross-resource'
    >>> resource_setting({"moby"}, ("wordnet", "moby"))
    'same-resource (optimistic)'
    >>> resource_setting(set(), ("wordnet",))
    'external spinner'
    """
    spin = set(spinner_resources)
    if not spin:
        return "external spinner"
    return "same-resource (optimistic)" if spin & set(detector_resources) else "cross-resource"
