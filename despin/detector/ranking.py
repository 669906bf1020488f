"""Stage 5 — rank each flagged unit's candidates as suggestions, with calibrated scores.

In: the units with their pooled odds and posteriors (stages 3–4). Out: per unit, ``rank``
(the odds with the document's own words as evidence, `rank_by_document_words`, then shared
among the candidates by a learned re-ranker, `rerank`), and the features and calibrated
probabilities that the best suggestion is exactly the original (`suggestion_features`,
`calibrated_shares`), which `despin.detector.decide` turns into suggestion scores.
"""
from __future__ import annotations

import math

from .. import lexicon, lm, vectors
from ..calibration import logistic
from ..errors import DataError
from .candidates import CLOSED_CLASS_SOURCES, FORMAT_SOURCES, _lemmas
from .posterior import floored_log
from .records import Analysis, Candidate, Unit
from .units import is_function_word

# Bounds on how much the document's own use of a word can favour it as an original.
_DOC_WORD_MAX = 16.0


def word_counts(low: list[str]) -> dict[str, int]:
    """How often each lower-case word stands in the document."""
    counts: dict[str, int] = {}
    for w in low:
        counts[w] = counts.get(w, 0) + 1
    return counts


def rank_by_document_words(units: list[Unit], low: list[str]) -> None:
    """Self-learning, for ranking: is an original the document also uses a likelier one?

    A spinner that draws a substitute per occurrence leaves the original word standing
    elsewhere in the text ("market" once as "marketplace", twice as itself); a table
    spinner replaces it everywhere, so there the evidence is void. Which of the two this
    document is, is read off its confident units: how much more often their best
    candidate occurs elsewhere in the text than their other candidates do. That ratio,
    clipped to [1, 16], multiplies the odds of every candidate the text uses elsewhere.
    """
    counts = word_counts(low)
    n1 = e1 = n0 = e0 = 0
    for u in units:
        if u.posterior < 0.8 or not u.odds:
            continue
        best = max(u.odds)
        if best < 0.7 * sum(u.odds):
            continue
        for c, o in zip(u.cands, u.odds):
            if " " in c.text:
                continue
            used = c.text in counts
            if o == best:
                n1, e1 = n1 + 1, e1 + used
            else:
                n0, e0 = n0 + 1, e0 + used
    ratio = ((e1 + 0.5) / (n1 + 1)) / ((e0 + 0.5) / (n0 + 1))
    boost = max(1.0, min(_DOC_WORD_MAX, ratio))
    if boost == 1.0:
        return
    for u in units:
        if u.odds and any(c.text in counts for c in u.cands):
            raw = [o * boost if c.text in counts else o for c, o in zip(u.cands, u.odds)]
            # Typed sums: compiled (mypyc), sum(a) / sum(b) of floats fails, taken for ints.
            before: float = sum(u.odds)
            after: float = sum(raw)
            scale = before / after
            u.rank = [r * scale for r in raw]


# The relations a candidate may come from, each a feature of the re-ranker (a learned
# profile's candidates are one more: "profile:NAME").
RERANK_RELATIONS = (
    "wordnet", "moby", "wordnet-similar", "wordnet-derived", "mythes-related",
    "inflection", "function", "numbers", "abbreviations",
)
# Units below this posterior keep their order: they seldom become spans (stage 6's floor).
RERANK_FLOOR = 0.05
# The names of `candidate_features`' columns, in order (calibration.json's "rerank" weights):
# first those that depend on the document, then those of the candidate and the observed
# words alone (`static_features`, whose weighted sum `rerank` keeps per word type).
RERANK_DYNAMIC = (
    "ranking share", "language model ratio", "used elsewhere", "log place in ranking", "topic fit", "no vector",
    "window fit", "no window", "listed both ways",
)
RERANK_FEATURES = (
    *RERANK_DYNAMIC,
    "channel q", "unigram of first word", "unigram of words", "length change", "shared prefix", "function word",
    *(f"relation {r}" for r in RERANK_RELATIONS), "relation profile", "shared categories",
)
# Words of units at least this likely spun are left out of the document's topic (the
# spinner's synonyms would pull it towards themselves).
TOPIC_LIKELY = 0.45
# Units below this posterior get no topic fits (every candidate 0, "no vector": the re-ranker
# orders them as without vectors). Most units of clean text are down there (73% of those
# above RERANK_FLOOR in news; 9% in a real engine's spins), and the fits cost ~2 ms a
# 400-word document when every re-ranked unit has them.
TOPIC_FLOOR = 0.15
# The words on either side of a unit that make its window (`document_fits`): nearer context
# than the whole document's topic ("shares" and "exchange" beside "stock" in a long article
# about a company's year). Measured on the re-ranker's own fit (calibration recipe, 400
# documents) and read on the real-engine dev spins: top-1 of covered units 58.0 -> 59.1% (WP)
# with 12 words, 58.5% with 3; the document's topic alone leaves it where it was.
WINDOW = 12


def document_fits(units: list[Unit], low: list[str]) -> None:
    """How well each candidate of every unit above ``TOPIC_FLOOR``, and its observed words,
    fit the document's topic: cosines of word vectors (`despin.vectors`) with the sum of the
    document's words outside likely units (the spinner's synonyms would pull it towards
    themselves), less the unit's own words. Sets ``fits`` and ``own_fit``; and ``wfits``, the
    candidates' cosines with the same words within `WINDOW` words of the unit."""
    chosen = [u for u in units if u.posterior >= TOPIC_FLOOR and u.odds]
    if not chosen:
        return
    likely: set[int] = set()
    for u in units:
        if u.posterior >= TOPIC_LIKELY:
            likely.update(range(u.i, u.j))
    used: dict[int, int] = {}
    for k, w in enumerate(low):
        r = vectors.context_row(w)
        if r >= 0 and k not in likely:
            used[k] = r
    import numpy as np

    total = None
    dim = vectors.table()[1].shape[1]
    sums = np.zeros((len(low) + 1, dim), dtype=np.float32)  # running sums of used words
    if used:
        vecs = vectors.unit_rows(list(used.values()))
        total = vecs.sum(axis=0)
        sums[np.array(list(used)) + 1] = vecs
        np.cumsum(sums, axis=0, out=sums)
    groups = []
    windows = np.zeros((len(chosen), dim), dtype=np.float32)
    n = len(low)
    for g, u in enumerate(chosen):
        own = [used[k] for k in range(u.i, u.j) if k in used]
        rows, entry = vectors.candidate_rows(u.cands, u.observed)
        groups.append((own, rows, entry, len(u.cands) + 1))
        lo, hi = max(0, u.i - WINDOW), min(n, u.j + WINDOW)
        windows[g] = sums[hi] - sums[lo] - (sums[u.j] - sums[u.i])
    fits = vectors.batch_topic_fit(total, groups)
    wfits = vectors.batch_context_fit(windows, [(rows, entry, size) for _, rows, entry, size in groups])
    for u, f, near in zip(chosen, fits, wfits):
        u.fits = f[:-1]
        u.own_fit = f[-1]
        u.wfits = near[:-1]


def _shared_prefix(a: str, b: str) -> float:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n / max(1, min(len(a), len(b)))


def dynamic_features(u: Unit, k: int, counts: dict[str, int], place: int, total: float,
                     fit: float, wfit: float, both: float) -> list[float]:
    """The re-ranker's features of candidate ``k`` of unit ``u`` that depend on the document
    (`RERANK_DYNAMIC`): ``counts``, its words (`word_counts`); ``place``, the candidate's place
    in the unit's current ranking (0: best); ``total``, the sum of that ranking; ``fit`` and
    ``wfit``, its cosines with the document's topic and with the unit's window
    (`document_fits`; 0.0 without a vector); ``both``, `listed_both_ways` (0.0 for units under
    `TOPIC_FLOOR`, like the fits: its look-ups would cost most where they matter least)."""
    c = u.cands[k]
    return [
        floored_log(u.ranking[k] / total) / 10.0,  # the ranking so far (odds, the document's words)
        max(-30.0, min(30.0, floored_log(u.odds[k] / c.q))) / 10.0,  # the language model's ratio
        float(c.text in counts),  # the document uses it elsewhere
        math.log(1.0 + place),
        fit,
        float(fit == 0.0),
        wfit,
        float(wfit == 0.0),
        both,
    ]


# The thesauri whose synonym lists can say a candidate and the observed word are close
# (`listed_both_ways`); the grammar, number and abbreviation tables list no synonyms.
CLOSENESS_SOURCES = ("wordnet", "moby", "wordnet-similar", "wordnet-derived", "mythes-related")


def listed_both_ways(observed: str, cands: tuple[Candidate, ...], sources: tuple[str, ...]) -> list[float]:
    """Per candidate, 1.0 where a thesaurus in ``sources`` lists the observed word as a synonym
    of the candidate (its relation) and one also lists the candidate (or its lemma) as a
    synonym of the observed word (or of its lemma): a dictionary spinner's line pairs words
    closer than one thesaurus's long list does. Measured on the re-ranker's fit (calibration
    recipe, 400 documents) and read on the real-engine dev spins: with the window fit, top-1
    of covered units 58.0 -> 59.8% (WP), 62.3 -> 64.1% (ProThemes)."""
    key = (id(cands), observed, sources)
    hit = _BOTH.get(key)
    if hit is not None and hit[0] is cands:
        return hit[1]
    use = tuple(s for s in CLOSENESS_SOURCES if s in sources)
    keys = {observed}
    if " " not in observed:
        keys.update(_lemmas(observed))
    listed = {w for k in keys for s in use for w in lexicon.synonyms(k, s)}
    out = []
    for c in cands:
        if c.relation not in use:
            out.append(0.0)
        elif c.text in listed:
            out.append(1.0)
        else:
            out.append(float(" " not in c.text and any(lemma in listed for lemma in _lemmas(c.text))))
    if len(_BOTH) >= _STATIC_MAX:
        _BOTH.clear()
    _BOTH[key] = (cands, out)
    return out


def static_features(c: Candidate, observed: str) -> list[float]:
    """The re-ranker's features of candidate ``c`` for the observed phrase alone."""
    first = c.words[0]
    relation = c.relation
    row = [
        math.log(c.q),  # the channel
        lm.unigram(first) / 10.0,
        sum(lm.unigram(w) for w in c.words) / 10.0,
        float(len(c.words) - len(observed.split(" "))),
        _shared_prefix(c.text, observed),  # "commercialize" for "commercial": a derivation
        float(len(c.words) == 1 and is_function_word(first)),
    ]
    row += [float(relation == r) for r in RERANK_RELATIONS]
    row.append(float(relation.startswith("profile:")))
    # Category-thesaurus entries the candidate shares with the observed word (last, its
    # weight fitted apart: scripts/calibrate.py, `SHARED_FROM`).
    row.append(math.log1p(c.shared))
    return row


def candidate_features(u: Unit, k: int, counts: dict[str, int], place: int, total: float,
                       fit: float, wfit: float, both: float) -> list[float]:
    """Features of candidate ``k`` of unit ``u`` for the re-ranker (`RERANK_FEATURES`): which
    candidate is the original, given that one is (a conditional logit over the unit's
    candidates, so features that are the same for every candidate of a unit carry nothing
    and are left out). Arguments as `dynamic_features`' and `static_features`'."""
    return (dynamic_features(u, k, counts, place, total, fit, wfit, both)
            + static_features(u.cands[k], u.observed))


# (candidates, observed phrase) -> the weighted sums of their static features, per weights.
_STATIC: dict[tuple[int, str], tuple[tuple[Candidate, ...], tuple[float, ...], list[float]]] = {}
_STATIC_MAX = 100_000
# (candidates, observed phrase, sources) -> `listed_both_ways`, as bounded.
_BOTH: dict[tuple[int, str, tuple[str, ...]], tuple[tuple[Candidate, ...], list[float]]] = {}


def _static_scores(u: Unit, weights: tuple[float, ...]) -> list[float]:
    key = (id(u.cands), u.observed)
    hit = _STATIC.get(key)
    if hit is not None and hit[0] is u.cands and hit[1] is weights:
        return hit[2]
    w = weights[len(RERANK_DYNAMIC):]
    scores = [sum(a * b for a, b in zip(w, static_features(c, u.observed))) for c in u.cands]
    if len(_STATIC) >= _STATIC_MAX:
        _STATIC.clear()
    _STATIC[key] = (u.cands, weights, scores)
    return scores


def unit_features(u: Unit, counts: dict[str, int], sources: tuple[str, ...]) -> list[list[float]]:
    """`candidate_features` of each of ``u``'s candidates, in candidate order (a unit with
    odds whose ranking sums to more than 0; its topic fits from `document_fits`, else 0)."""
    total: float = sum(u.ranking)
    place = _places(u.ranking)
    fits, wfits = _fits(u)
    both = _both_ways(u, sources)
    return [candidate_features(u, k, counts, place[k], total, fits[k], wfits[k], both[k]) for k in range(len(u.cands))]


def _both_ways(u: Unit, sources: tuple[str, ...]) -> list[float]:
    """`listed_both_ways` of each candidate of a unit at or above `TOPIC_FLOOR`, else 0s."""
    if u.posterior < TOPIC_FLOOR:
        return [0.0] * len(u.cands)
    return listed_both_ways(u.observed, u.cands, sources)


def _places(ranking: list[float]) -> list[int]:
    """Each candidate's place in the unit's current ranking (0: best)."""
    place = [0] * len(ranking)
    for pos, k in enumerate(sorted(range(len(ranking)), key=lambda k: -ranking[k])):
        place[k] = pos
    return place


def _fits(u: Unit) -> tuple[list[float], list[float]]:
    """The unit's topic and window fits (`document_fits`), 0 for every candidate where it has
    none."""
    none = [0.0] * len(u.cands)
    return u.fits or none, u.wfits or none


def rerank(units: list[Unit], low: list[str], weights: tuple[float, ...], sources: tuple[str, ...]) -> None:
    """Stage 5b: re-rank each likely unit's candidates by a conditional logit over
    `candidate_features`, fitted by ``scripts/calibrate.py`` on spins whose dictionary despin
    has and has not (which candidate was the original, for units whose original is one).
    The unit's ranking odds become its total odds shared by the fitted probabilities.
    ``sources``: the lexicons the candidates were drawn from (``Config.resources``)."""
    if len(weights) != len(RERANK_FEATURES):
        raise DataError("despin/data/calibration.json: the re-ranker's weights do not fit its "
                        "features; rebuild with scripts/calibrate.py")
    counts = word_counts(low)
    for u in units:
        if u.posterior < RERANK_FLOOR or len(u.cands) < 2 or not u.odds:
            continue
        total: float = sum(u.ranking)
        if total <= 0:
            continue
        place = _places(u.ranking)
        fits, wfits = _fits(u)
        both = _both_ways(u, sources)
        static = _static_scores(u, weights)
        scores = [static[k] + sum(a * b for a, b in zip(weights, dynamic_features(u, k, counts, place[k], total,
                                                                                   fits[k], wfits[k], both[k])))
                  for k in range(len(u.cands))]
        u.rank = _shared(total, scores)


def _shared(mass: float, scores: list[float]) -> list[float]:
    """``mass`` shared in proportion to exp(score): a conditional logit's probabilities."""
    top = max(scores)
    e = [math.exp(z - top) for z in scores]
    norm: float = sum(e)
    return [mass * x / norm for x in e]


# Units at least this likely spun are read by the neural model (stage 5c), their best
# NEURAL_TOP candidates (`despin.neural`).
NEURAL_FLOOR = 0.45
NEURAL_TOP = 4
# ... and whose best candidate holds less than this share of the ranking (above it the
# model seldom changes the order: on 40 WP dev documents, 3 of 411 such units, all right).
NEURAL_SURE = 0.8


def neural_units(units: list[Unit]) -> list[Unit]:
    """The units stage 5c reads: at least ``NEURAL_FLOOR`` likely, with two candidates or
    more, the best of them less sure than ``NEURAL_SURE``."""
    out = []
    for u in units:
        if u.posterior < NEURAL_FLOOR or len(u.cands) < 2 or not u.odds:
            continue
        total: float = sum(u.ranking)
        if total > 0 and max(u.ranking) < NEURAL_SURE * total:
            out.append(u)
    return out


def neural_rerank(units: list[Unit], weight: float) -> None:
    """Stage 5c: the candidates the neural model scored (`despin.neural.score_units`) share
    their part of the unit's ranking by a conditional logit, log share + ``weight`` · score
    (``weight`` fitted by ``scripts/calibrate_neural.py``); the others keep theirs."""
    for u in units:
        if not u.neural:
            continue
        scored = [k for k, s in enumerate(u.neural) if s == s]
        if len(scored) < 2:
            continue
        ranking = list(u.ranking)
        mass: float = sum(ranking[k] for k in scored)
        if mass <= 0:
            continue
        z = [floored_log(ranking[k] / mass) + weight * u.neural[k] for k in scored]
        for k, share in zip(scored, _shared(mass, z)):
            ranking[k] = share
        u.rank = ranking


def suggestion_context(a: Analysis) -> tuple[float, float, float]:
    """Document-level evidence for the suggestion model: does despin's thesaurus explain
    this spinner? Where it does, the flagged units' best candidates tend to dominate and
    to be strongly preferred by the language model."""
    shares, gains = [], []
    for u in a.units:
        if u.posterior >= 0.5 and u.odds:
            odds = u.ranking
            total = sum(odds)
            best = max(odds)
            top = u.cands[odds.index(best)]
            shares.append(floored_log(best / total))
            gains.append(max(-30.0, min(30.0, floored_log(best / top.q))) / 10.0)
    n = max(1, len(shares))
    return (math.log(a.rho / (1 - a.rho)) / 5.0, sum(shares) / n, sum(gains) / n)


def suggestion_features(u: Unit, count: int, context: tuple[float, float, float]) -> list[float]:
    """Features of a unit's best candidate for P(it is exactly the original | unit spun).

    The language model's share among the candidates is not that probability: when the
    spinner's thesaurus is not ours the original is often not a candidate at all, and the
    share is then confidently wrong. ``scripts/calibrate.py`` fits a logistic model of
    these on simulated spins whose thesaurus the detector has and has not.
    """
    odds = u.ranking
    total = sum(odds)
    ranked = sorted(odds, reverse=True)
    best = ranked[0]
    top = u.cands[odds.index(best)]
    second = ranked[1] if len(ranked) > 1 else 0.0
    first_observed = u.observed.split(" ")[0]
    return [
        floored_log(best / total),
        floored_log(second / total) / 10.0,
        max(-30.0, min(30.0, floored_log(best / top.q))) / 10.0,  # the language model's gain for it
        math.log(top.q),
        (lm.unigram(top.text.split(" ")[0]) - lm.observed_unigram(first_observed)) / 10.0,
        math.log(len(u.cands)),
        float(top.relation == "inflection"),
        float(top.relation == "moby"),
        float(top.relation.startswith("mythes")),  # the LibreOffice thesaurus, by relation
        float(top.relation.startswith("wordnet-")),  # WordNet beyond the synset
        float(top.relation in CLOSED_CLASS_SOURCES or top.relation in FORMAT_SOURCES),
        float(top.relation.startswith("profile:")),
        max(-10.0, min(10.0, u.log_odds)) / 10.0,
        math.log(count),
        float(len(top.text.split(" ")) - (u.j - u.i)),
        *context,
    ]


def calibrated_shares(
    u: Unit, shares: list[float], count: int, context: tuple[float, float, float]
) -> list[float]:
    """P(each suggestion is the original | span spun): the best one's from stage 6 where it
    refined the unit, else from the calibrated suggestion model; the others' scaled so that
    order is kept and the sum stays ≤ 1."""
    from ..calibration import suggestion_weights

    if u.best_prob >= 0.0:
        p = u.best_prob  # stage 6 looked again (`despin.detector.refine`)
    else:
        w = suggestion_weights()
        if w is None:
            return shares
        z = w[0] + sum(a * b for a, b in zip(w[1:], suggestion_features(u, count, context)))
        p = logistic(z)
    top = shares[0]
    rest = (1.0 - p) / (1.0 - top) if top < 1.0 else 0.0
    return [p] + [s * min(p / top, rest) for s in shares[1:]]
