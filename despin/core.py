"""`check` and `restore`: text in, a `Report` out. Pure: no I/O beyond loading shipped data.

`analyse` runs the detector's stages (`despin.detector`) in order; `check` adds what lies
around them: a source found in a trace index, the score-only screen, long texts cut into
segments, and a learned profile's spans.
"""
from __future__ import annotations

from typing import Any, Sequence

from . import lm
from .calibration import logistic, logit, neural_margin_weights, neural_weight, rerank_weights
from .config import DEFAULT, Config, SubstitutionSource
from .detector import candidates, context, posterior, ranking, refine, units
from .detector.decide import build_report, merge_profile_spans
from .detector.records import Analysis, Unit
from .report import Report, Span, apply, empty_report


def preload(config: Config = DEFAULT, *, batch: bool = True) -> None:
    """Load everything :func:`check` loads lazily, now rather than on the first text.

    Servers call it at start-up and scan workers before their first record, so no request
    or batch pays the ~1–2 s of loading (language model, lexicons, lemminflect's tables,
    the precomputed candidate and screen tables, word vectors, calibration, the neural model
    where one is built). ``batch`` also loads the
    batch language model (`despin.lm_trie`, ~2.7 s, ~290 MB resident), which makes each new document's
    check ~2× faster with the same results; the score-only screen does not use it.

    Then it collects garbage and freezes what is left (`gc.freeze`): the millions of
    objects of those tables stay alive anyway, and the garbage collector would otherwise
    walk them again and again (freezing them makes a check ~7% faster).

    >>> preload()
    """
    import gc

    from . import lexicon, lm, screen, vectors
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
    lexicon.capitalised_names()  # the names WordNet writes in capitals (the report's case rules)
    screen.screen_features("the", tuple(config.resources))
    vectors.unit_rows([0])  # the word vectors of the re-ranker (~0.1 s)
    unit_weights(), doc_weights(), screen_weights(), suggestion_weights()
    if config.explain and config.neural and neural_weight() is not None:
        from . import neural

        neural.model()  # stage 5c's model where one is built (memory-mapped, ~0.1 s)
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
    # A profile of corpus anchors alone holds no table for the detector to read; its anchors
    # are followed once the report is made (`merge_profile_spans`).
    tables = tuple(p for p in profiles if not getattr(p, "anchors_only", False))
    if not config.explain and not tables:
        # The corpus fast path: unigram channel evidence only (despin/screen.py).
        from .screen import screen_score

        score = screen_score(text, tuple(config.resources))
        return Report(score=score, verdict="spun" if score >= 0.5 else "clean", spans=(), restored=text)
    if len(text) <= config.segment_chars:
        report = build_report(text, analyse(text, config, tables), config, same_way=not tables)
    else:
        report = _check_long(text, config, tables)
    if profiles and config.explain:
        report = merge_profile_spans(text, report, profiles)
    return report


def restore(text: str, **kwargs: Any) -> str:
    """The most likely original wording; only flagged spans change.

    >>> restore("")
    ''
    """
    return check(text, **kwargs).restored


def analyse(text: str, config: Config = DEFAULT, profiles: Sequence[SubstitutionSource] = ()) -> Analysis:
    """The detector's stages in order (`despin.detector`): each unit's odds, posterior and
    ranking, and the document's spin rate; `despin.detector.decide` makes the report."""
    doc = units.read_document(text)  # 1. tokens, sentences, the words that may be substitutes, compounds
    found, n_eligible = candidates.find_units(doc, config, profiles)  # 2. candidate originals
    words = lm.words_read_for_model(doc.low)  # (as the model reads them: "colour" color, "pct" percent)
    context.score_units(found, words, doc.sid)  # 3. odds in context (language model)
    units.mark_names_and_headlines(found, doc)
    rho, llr, rho_closed = posterior.fit_spin_rate(found, n_eligible)  # 4. spin rates by EM
    if config.explain:
        context.rescore_with_neighbours(found, words, doc.sid)  # 3 again, neighbours restored
        context.rescore_with_mixed_neighbours(found, words, doc.sid, rho)  # ... and as mixtures
        context.pool_type_odds(found)
    posterior.calibrated_posteriors(found, rho, rho_closed)  # 4. calibrated P(substituted)
    if config.explain:
        ranking.document_fits(found, doc.low)  # 5. how well each candidate fits the topic
        weights = rerank_weights()
        _rank(found, doc.low, weights, config)  # 5. the suggestions ranked
        if rho >= context.MIX_FROM_RATE:
            # 3 once more, each likely neighbour read by its ranking; then 5 again on those odds
            # (the posteriors and topic fits stay: the ranking is what this round is for; stage
            # 6 reads the new odds).
            context.rescore_with_mixed_neighbours(found, words, doc.sid, rho, rounds=1, ranked=True)
            for u in found:
                u.rank = []
            context.pool_type_odds(found)
            _rank(found, doc.low, weights, config)
    a = Analysis(doc.tokens, found, rho, llr, n_eligible, rho_closed, upper_line=doc.upper_line)
    if config.explain and config.neural:
        read_with_neural_model(text, a)  # 5c. a neural model reads the likely units' context
    if config.explain:
        refine.refine(a)  # 6. a second look with the neighbours and the document
    if config.explain and config.neural:
        weigh_neural_margins(a, neural_margin_weights())  # 6c. ... and the words as written
    if profiles:
        posterior.apply_profile_evidence(a)  # a learned table's rates, gated by P(spun)
    return a


def _rank(found: list[Unit], low: list[str], weights: tuple[float, ...] | None, config: Config) -> None:
    """Stage 5's ranking of each unit's candidates (after `ranking.document_fits`): the
    document's own words, then the learned re-ranker where it is calibrated."""
    ranking.rank_by_document_words(found, low)
    if weights is not None:
        ranking.rerank(found, low, weights, tuple(config.resources))


# Stage 5c (off by default: ``Config(neural=True)``, ``--neural``) runs on documents at least
# this likely spun (the verdict's threshold): its cost, 2-7 s a spun 400-word document on
# one core, is spent where there is something to restore.
NEURAL_FROM = 0.5


def units_for_neural_model(a: Analysis) -> list[Unit]:
    """The units stage 5c reads (`despin.detector.ranking.neural_units`), in a document at
    least ``NEURAL_FROM`` likely spun; none elsewhere."""
    chosen = ranking.neural_units(a.units)
    return chosen if chosen and posterior.document_score(a) >= NEURAL_FROM else []


def units_read_as_written(a: Analysis) -> list[Unit]:
    """The units whose words as written stage 5c also reads (for `weigh_neural_margins`):
    every unit at least ``NEURAL_FLOOR`` likely with a candidate, in a document at least
    ``NEURAL_FROM`` likely spun (where the margins are fitted)."""
    if neural_margin_weights() is None or posterior.document_score(a) < NEURAL_FROM:
        return []
    return [u for u in a.units if u.posterior >= ranking.NEURAL_FLOOR and u.cands and u.odds]


def read_with_neural_model(text: str, a: Analysis) -> None:
    """Stage 5c (`despin.neural`): where a neural model is built and calibrated, and the
    document is likely spun, it scores the best candidates of the likely units in their
    whole left context and the next words, and the re-ranker's order is revised by it; it
    also scores the words as written, for `weigh_neural_margins` after stage 6."""
    weight = neural_weight()
    if weight is None:
        return
    chosen = units_for_neural_model(a)
    as_written = units_read_as_written(a)
    if not chosen and not as_written:
        return
    from . import neural

    model = neural.model()
    if model is None:
        return
    neural.score_units(model, text, a.tokens, chosen, top=ranking.NEURAL_TOP, observed=as_written)
    if chosen:
        ranking.neural_rerank(chosen, weight)
        a.neural = True


def weigh_neural_margins(a: Analysis, weights: tuple[float, float, float] | None) -> None:
    """Stage 6c: the posterior of each unit stage 5c read as written (``u.neural_margin``),
    revised by how much likelier the neural model reads its best candidate than the words
    themselves: σ(a · logit(posterior) + b · margin + c), with (a, b, c) fitted by
    ``scripts/calibrate_neural.py --margins`` on the calibration recipe (a spun word reads
    worse than its original in the model's whole left context; the author's own word as
    well as or better than its synonyms). None: nothing changes.

    >>> from despin.detector.records import Unit
    >>> u = Unit(0, 1, "sizable", (), posterior=0.6, neural_margin=8.0)
    >>> a = Analysis([], [u], 0.3, 0.0, 10, 0.0)
    >>> weigh_neural_margins(a, (1.0, 0.1, 0.0)); round(u.posterior, 3)
    0.769
    """
    if weights is None:
        return
    wa, wb, wc = weights
    for u in a.units:
        m = u.neural_margin
        if m == m:
            u.posterior = logistic(wa * logit(u.posterior) + wb * m + wc)


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
        r = build_report(seg, a, config, same_way=not profiles)
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
