"""Stage 4 — odds in context → P(substituted) per unit, the spin rate, P(spun) per document.

In: the units with their odds (stage 3) and the number of eligible words. Out: the
document's spin rate ρ, estimated by EM on the document itself (a clean text drives ρ
towards 0 and so flags almost nothing, a spun one raises it); each unit's posterior; and the
document's calibrated P(spun)::

    P(w was written by the spinner) = ρ·A / (ρ·A + 1 − ρ)

is the uncalibrated channel posterior EM works with. The posterior the detector reports is
a logistic model of `unit_features` fitted by ``scripts/calibrate.py``: it pools the
evidence of all occurrences of a word type (spinners replace a type the same way
everywhere). A learned profile's observed substitution rates then decide the units it
knows, gated by the document's own P(spun) (`apply_profile_evidence`).
"""
from __future__ import annotations

import math
import operator

from .. import lm
from .records import Analysis, Unit

_RHO_INIT = 0.15
_RHO_MIN, _RHO_MAX = 0.02, 0.6
_EM_STEPS = 4
# Occurrences of one type are not independent evidence (similar contexts): temper the sum.
_TYPE_POOL = 0.6
# Capitalised words inside a sentence are mostly names: spinners do damage them, but a
# wrong "restoration" of a name costs more than a missed one.
_NAME_PRIOR = 0.3
# A lower-case unit inside an upper-case line (a headline) is what a spinner leaves when it
# pastes a thesaurus entry: strong evidence of substitution.
_CASE_BREAK = 20.0
# How many observations a profile's rate counts against the detector's own posterior.
_PROFILE_PRIOR_WEIGHT = 2.0
# Document score without a calibration file: a logistic function of the per-token
# log-likelihood ratio of "spun at rate ρ" against "not spun"; 0.5 is the decision threshold.
_SCORE_SCALE = 60.0
_SCORE_SHIFT = 0.08


def _logistic(z: float) -> float:
    """`despin.calibration.logistic`, here so that the compiled module calls C's exp: EM calls
    it for every unit at every step (a tenth of the check's time through the Python one)."""
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def floored_log(x: float) -> float:
    """log(x), floored at log(1e-30) (odds of 0 stay finite features)."""
    return math.log(max(x, 1e-30))


def fit_spin_rate(units: list[Unit], n_eligible: int) -> tuple[float, float, float]:
    """The spin rate ρ by EM, on the uncalibrated channel posterior (the calibrated one uses
    ρ as a feature, so it must not feed back into it); leaves each unit's channel posterior.
    Returns ρ of the content words, the log-likelihood ratio of the fitted mixture against
    "nothing spun", and ρ of the closed-class words: a spinner's dictionary either swaps
    at/on, would/could or leaves them all, so their rate is the document's own too."""
    terms = _channel_terms(units)
    rho = _em([t for u, t in zip(units, terms) if u.j - u.i == 1 and not u.closed], n_eligible)
    closed = [t for u, t in zip(units, terms) if u.closed]
    rho_closed = _em(closed, len(closed)) if closed else _RHO_MIN
    _channel_posteriors(units, rho, terms, rho_closed)
    llr = sum(math.log1p(rho * (u.A - 1.0)) for u in units if u.j - u.i == 1 and not u.closed)
    return rho, llr, rho_closed


def _em(single_terms: list[tuple[float, float, float, float]], n: int) -> float:
    rho = _RHO_INIT
    for _ in range(_EM_STEPS):
        # (A prior in pseudo-words pulling ρ down for short texts was measured: any weight
        # that helped tweet-length texts cost more on paragraph-length ones.)
        rho = sum([_logistic(z) for z in _channel_log_odds(rho, single_terms)]) / max(1, n)
        rho = min(_RHO_MAX, max(_RHO_MIN, rho))
    return rho


def unit_features(u: Unit, rho: float, pooled: float, count: int) -> list[float]:
    """Per-unit features for the calibrated posterior (see scripts/calibrate.py)."""
    best = max(u.odds) if u.odds else 1e-30
    top = u.cands[u.odds.index(best)] if u.odds else None
    la = max(-30.0, min(30.0, floored_log(u.A)))
    first = u.observed.partition(" ")[0]
    return [
        la,  # channel-weighted LM evidence
        max(-30.0, min(30.0, floored_log(best))),
        math.log(rho / (1 - rho)),  # the document's spin rate, by EM
        max(-30.0, min(30.0, pooled)),  # evidence from the other occurrences of this type
        math.log(count),
        lm.observed_unigram(first) / 10.0,  # rare words are typical spinner output
        (lm.unigram(top.words[0]) / 10.0) if top else -3.0,
        float(u.name),
        float(u.case_break),
        float(u.j - u.i - 1),  # observed phrase length beyond one word
        float(len(top.words) - 1) if top else 0.0,
        float(top is not None and top.relation.startswith("profile:")),
        float(lm.observed_in_vocabulary(first)),
        float(u.closed),  # a function word, with grammar-table candidates
    ]


def _channel_terms(units: list[Unit]) -> list[tuple[float, float, float, float]]:
    """Per unit, the parts of the uncalibrated log-odds that do not depend on ρ."""
    totals: dict[str, float] = {}
    own = [floored_log(u.A) for u in units]
    for u, o in zip(units, own):
        totals[u.observed] = totals.get(u.observed, 0.0) + o
    case = math.log(_CASE_BREAK)
    return [
        (o, math.log(_NAME_PRIOR if u.name else 1.0), case if u.case_break else 0.0,
         _TYPE_POOL * (totals[u.observed] - o))
        for u, o in zip(units, own)
    ]


def _channel_posteriors(
    units: list[Unit], rho: float, terms: list[tuple[float, float, float, float]], rho_closed: float
) -> None:
    """The uncalibrated noisy-channel posterior with pooled type evidence (EM's E-step), each
    unit at its own class's rate (the sums of `_channel_log_odds`, in its order)."""
    prior = math.log(rho / (1 - rho))
    prior_closed = math.log(rho_closed / (1 - rho_closed))
    for u, (own, name, case, pool) in zip(units, terms):
        u.log_odds = (prior_closed if u.closed else prior) + own + name + case + pool
        u.posterior = _logistic(u.log_odds)


def _channel_log_odds(rho: float, terms: list[tuple[float, float, float, float]]) -> list[float]:
    """Per unit, the uncalibrated log-odds of "substituted" at spin rate ρ (EM's steps need only these)."""
    prior = math.log(rho / (1 - rho))
    return [prior + own + name + case + pool for own, name, case, pool in terms]


def calibrated_posteriors(units: list[Unit], rho: float, rho_closed: float) -> None:
    """The calibrated unit posterior (``unit_features`` through the fitted logistic model);
    without a calibration file, the noisy-channel one."""
    from ..calibration import unit_weights

    weights = unit_weights()
    if weights is None:
        _channel_posteriors(units, rho, _channel_terms(units), rho_closed)
        return
    by_type: dict[str, list[Unit]] = {}
    for u in units:
        by_type.setdefault(u.observed, []).append(u)
    bias, slopes = weights[0], weights[1:]
    for group in by_type.values():
        logs = [floored_log(u.A) for u in group]
        total = sum(logs)
        for u, own in zip(group, logs):
            f = unit_features(u, rho_closed if u.closed else rho, total - own, len(group))
            u.log_odds = bias + sum(map(operator.mul, slopes, f))  # the sum of w·x in order, as ever
            u.posterior = _logistic(u.log_odds)


def document_score(a: Analysis) -> float:
    """Calibrated P(spun) of the document (see scripts/calibrate.py); 0.5 decides."""
    from ..calibration import doc_weights

    w = doc_weights()
    if w is None:
        z = _SCORE_SCALE * (a.llr / max(1, a.n_eligible) - _SCORE_SHIFT)
    else:
        z = w[0] + sum(wi * x for wi, x in zip(w[1:], a.doc_features()))
    return _logistic(z)


def final_score(a: Analysis) -> float:
    """The report's calibrated P(spun): stage 4's document features with the posteriors the
    last stage left (`Analysis.final_features`; see scripts/calibrate.py). Without its weights,
    `document_score`. The stages themselves gate on `document_score` (stage 6 must not read
    a score computed from its own output)."""
    from ..calibration import final_weights

    w = final_weights()
    if w is None:
        return document_score(a)
    return _logistic(w[0] + sum(wi * x for wi, x in zip(w[1:], a.final_features())))


def apply_profile_evidence(a: Analysis) -> None:
    """Let learned substitution rates decide units, in proportion to how spun the text is.

    A profile says how often the spinner's *output* word was a substitute; in a text the
    spinner never touched, "say" is just "say". So the profile's rate is gated by the
    document's own calibrated P(spun) (computed without the profile's say-so).
    """
    gate = document_score(a)
    for u in a.units:
        if u.profile_support:
            n = u.profile_support
            learned = (n * u.profile_prob + _PROFILE_PRIOR_WEIGHT * u.posterior) / (n + _PROFILE_PRIOR_WEIGHT)
            u.posterior = gate * learned + (1 - gate) * u.posterior
