"""`check` and `restore`: text in, a `Report` out. Pure: no I/O beyond loading shipped data."""
from __future__ import annotations

import math
from typing import Any, Sequence

from .calibration import logistic
from .config import DEFAULT, Config, SubstitutionSource
from .detect import Analysis, Unit, analyse, suggestion_context
from .report import Report, Span, Suggestion, apply, empty_report

# Document score: a logistic function of the per-token log-likelihood ratio of "spun at
# rate ρ" against "not spun" (see detect.py); 0.5 is the decision threshold.
_SCORE_SCALE = 60.0
_SCORE_SHIFT = 0.08


def preload(config: Config = DEFAULT, *, batch: bool = True) -> None:
    """Load everything :func:`check` loads lazily, now rather than on the first text.

    Servers call it at start-up and scan workers before their first record, so no request
    or batch pays the ~1–2 s of loading (language model, lexicons, lemminflect's tables,
    the precomputed candidate and screen tables, calibration). ``batch`` also loads the
    batch language model (`despin.lm_trie`, ~1.2 s, ~75 MB), which makes each new document's
    check ~2× faster with the same results; the score-only screen does not use it.

    Then it collects garbage and freezes what is left (`gc.freeze`): the millions of
    objects of those tables stay alive anyway, and the garbage collector would otherwise
    walk them again and again (freezing them makes a check ~7% faster).

    >>> preload()
    """
    import gc

    from . import candidates, lexicon, lm, screen
    from .calibration import (
        doc_weights,
        screen_weights,
        suggestion_weights,
        unit_weights,
    )

    lm.in_vocabulary("the")
    lm.unigram("the")
    if batch:
        lm.load_batch_model()
    for source in config.resources:
        lexicon.synonyms("the", source)
        lexicon.inverse_entries("the", source)
    candidates.compute_candidates("said", ("wordnet",))  # lemminflect's lemma and inflection tables
    candidates._table()
    candidates.listed_phrases(tuple(config.resources))
    screen.screen_features("the", tuple(config.resources))
    unit_weights(), doc_weights(), screen_weights(), suggestion_weights()
    gc.collect()
    gc.freeze()


def check(
    text: str,
    *,
    profile: SubstitutionSource | Sequence[SubstitutionSource] | None = None,
    index: Any = None,
    config: Config = DEFAULT,
) -> Report:
    """Is ``text`` spun, where, and what did it say?

    >>> r = check("The Top Priest informed journalists on Tuesday that the inventory "
    ...           "marketplace would recuperate swiftly.")
    >>> r.verdict, "told reporters" in r.restored, "stock market" in r.restored
    ('spun', True, True)
    >>> check("   ").verdict
    'clean'
    """
    if not text.strip():
        return empty_report(text)
    if index is not None:
        from .trace import report_from_index

        found = report_from_index(text, index, config)
        if found is not None:
            return found
    profiles: tuple[SubstitutionSource, ...]
    if profile is None:
        profiles = ()
    elif isinstance(profile, (list, tuple)):
        profiles = tuple(profile)
    else:
        profiles = (profile,)  # type: ignore[assignment]
    if not config.explain and not profiles:
        # The corpus fast path: unigram channel evidence only (despin/screen.py).
        from .screen import screen_score

        score = screen_score(text, tuple(config.resources))
        return Report(score=score, verdict="spun" if score >= 0.5 else "clean", spans=(), restored=text)
    if len(text) <= config.segment_chars:
        report = _report(text, analyse(text, config, profiles), config)
    else:
        report = _check_long(text, config, profiles)
    if profiles and config.explain:
        report = _merge_profile_spans(text, report, profiles)
    return report


def _merge_profile_spans(text: str, report: Report, profiles: tuple[SubstitutionSource, ...]) -> Report:
    """Spans a learned table is sure of come first; the detector fills in the rest.

    `despin.profile.restore_with_profile` applies a profile only when the text looks like
    that spinner's output (its match score), so clean text is left alone. Detector spans on
    words the profile saw the spinner leave unchanged are dropped.
    """
    from .profile import Profile, restore_with_profile

    learned = [p for p in profiles if isinstance(p, Profile)]
    if not learned:
        return report
    found = restore_with_profile(text, learned)
    spans = list(found.spans)
    taken = [(s.start, s.end) for s in spans]

    def kept_by_spinner(s: Span) -> bool:
        return any(p.evidence(s.text)[0] == 0 and p.evidence(s.text)[1] >= 3 for p in learned)

    for s in report.spans:
        if not any(a < s.end and s.start < b for a, b in taken) and not (found.spans and kept_by_spinner(s)):
            spans.append(s)
    spans.sort(key=lambda s: s.start)
    score = max(report.score, found.score) if found.spans else report.score
    return Report(
        score=score,
        verdict="spun" if score >= 0.5 else "clean",
        spans=tuple(spans),
        restored=apply(text, spans),
        source=report.source,
    )


def restore(text: str, **kwargs: Any) -> str:
    """The most likely original wording; only flagged spans change.

    >>> restore("")
    ''
    """
    return check(text, **kwargs).restored


def document_score(a: Analysis) -> float:
    """Calibrated P(spun) of the document (see scripts/calibrate.py); 0.5 decides."""
    from .calibration import doc_weights

    w = doc_weights()
    if w is None:
        z = _SCORE_SCALE * (a.llr / max(1, a.n_eligible) - _SCORE_SHIFT)
    else:
        z = w[0] + sum(wi * x for wi, x in zip(w[1:], a.doc_features()))
    return logistic(z)


def _report(text: str, a: Analysis, config: Config) -> Report:
    score = document_score(a)
    verdict = "spun" if score >= 0.5 else "clean"
    if not config.explain:
        return Report(score=score, verdict=verdict, spans=(), restored=text)
    chosen: list[Unit] = []
    taken: set[int] = set()
    for u in sorted(a.units, key=lambda u: -u.posterior):
        if u.posterior < config.threshold:
            break
        # A unit kept only for a profile's "left unchanged" evidence has nothing to suggest.
        if not u.cands or any(k in taken for k in range(u.i, u.j)):
            continue
        chosen.append(u)
        taken.update(range(u.i, u.j))
    counts = _type_counts(a)
    context = suggestion_context(a)
    spans = tuple(sorted((_span(text, a, u, config, counts, context) for u in chosen), key=lambda s: s.start))
    return Report(score=score, verdict=verdict, spans=spans, restored=apply(text, spans))


def _span(
    text: str, a: Analysis, u: Unit, config: Config, counts: dict[str, int], context: tuple[float, float, float]
) -> Span:
    start, end = a.tokens[u.i].start, a.tokens[u.j - 1].end
    observed = text[start:end]
    total = sum(u.ranking)
    ranked = sorted(zip(u.cands, u.ranking), key=lambda x: -x[1])[: config.max_suggestions]
    shares = [odd / total for _, odd in ranked] if total > 0 else []
    if shares:
        shares = _calibrated_shares(u, shares, counts.get(u.observed, 1), context)
    suggestions = tuple(
        Suggestion(match_case(c.text, observed), u.posterior * share) for (c, _), share in zip(ranked, shares)
    )
    top = ranked[0][0]
    k = u.cands.index(top)
    gain = math.log(max(u.odds[k] / top.q, 1e-300))
    if top.relation == "inflection":
        reason = f"inflection: '{u.observed}' may be a spinner's re-inflection of '{top.text}'"
    elif top.relation.startswith("profile:"):
        reason = f"{top.relation}: this spinner wrote '{u.observed}' for '{top.text}' when learned"
    else:
        reason = f"{top.relation}: '{top.text}' lists '{u.observed}' as a synonym"
    if gain > 0:
        reason += f"; the language model prefers '{top.text}' here by {gain:+.1f} nats"
    else:
        reason += f"; the context is neutral or favours the text as written ({gain:+.1f} nats)"
    if u.rank and u.rank[k] > u.odds[k]:
        reason += f"; the text also uses '{top.text}' elsewhere"
    if counts.get(u.observed, 1) > 1:
        reason += "; the same word is flagged elsewhere in this text"
    return Span(start, end, observed, u.posterior, suggestions, reason)


def _calibrated_shares(
    u: Unit, shares: list[float], count: int, context: tuple[float, float, float]
) -> list[float]:
    """P(each suggestion is the original | span spun): the best one's from the calibrated
    suggestion model, the others' scaled so that order is kept and the sum stays ≤ 1."""
    from .calibration import suggestion_weights
    from .detect import suggestion_features

    w = suggestion_weights()
    if w is None:
        return shares
    z = w[0] + sum(a * b for a, b in zip(w[1:], suggestion_features(u, count, context)))
    p = logistic(z)
    top = shares[0]
    rest = (1.0 - p) / (1.0 - top) if top < 1.0 else 0.0
    return [p] + [s * min(p / top, rest) for s in shares[1:]]


def _type_counts(a: Analysis) -> dict[str, int]:
    """How many units each observed word type has in the text."""
    seen: dict[str, int] = {}
    for u in a.units:
        seen[u.observed] = seen.get(u.observed, 0) + 1
    return seen


def match_case(candidate: str, observed: str) -> str:
    """Give ``candidate`` the casing pattern of ``observed``.

    >>> match_case("prime minister", "Top Priest"), match_case("cocoa", "DRINKING CHOCOLATE")
    ('Prime Minister', 'COCOA')
    """
    letters = [c for c in observed if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return candidate.upper()
    words = observed.split()
    if words and all(w[:1].isupper() for w in words) and len(words) > 1:
        return " ".join(w[:1].upper() + w[1:] for w in candidate.split(" "))
    if observed[:1].isupper():
        return candidate[:1].upper() + candidate[1:]
    return candidate


def _check_long(text: str, config: Config, profiles: tuple[SubstitutionSource, ...]) -> Report:
    """Bounded memory: check paragraph-aligned segments and stitch the spans back."""
    spans: list[Span] = []
    weighted = 0.0
    total = 0
    for start, end in _segments(text, config.segment_chars):
        seg = text[start:end]
        if not seg.strip():
            continue
        a = analyse(seg, config, profiles)
        r = _report(seg, a, config)
        weighted += r.score * max(1, a.n_eligible)
        total += max(1, a.n_eligible)
        spans.extend(
            Span(s.start + start, s.end + start, s.text, s.score, s.suggestions, s.reason) for s in r.spans
        )
    score = weighted / max(1, total)
    verdict = "spun" if score >= 0.5 else "clean"
    restored = apply(text, spans) if config.explain else text
    return Report(score=score, verdict=verdict, spans=tuple(spans), restored=restored)


def _segments(text: str, size: int) -> list[tuple[int, int]]:
    out = []
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + size)
        if end < len(text):
            cut = text.rfind("\n", pos + size // 2, end)
            if cut < 0:
                cut = text.rfind(" ", pos + size // 2, end)
            end = cut + 1 if cut >= 0 else end
        out.append((pos, end))
        pos = end
    return out
