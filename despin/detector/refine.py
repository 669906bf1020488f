"""Stage 6 — refine: a second look at each likely unit, with its neighbours and the document.

In: the units with their calibrated posteriors and ranked candidates (stages 4–5). Out: for
each unit whose stage-4 posterior is at least ``REFINE_FLOOR`` (in a text that is not short
and not confidently clean; a unit a learned profile knows is left to the profile's rates), a refined posterior and
``best_prob`` = P(its best suggestion is exactly the original | it was substituted); the
document-score features are kept as stage 4 left them (``Analysis.document``).

Why: the stage-4 posterior is a logistic model of one unit's own evidence. Inside a spun
text that evidence is blurred: a substituted neighbour makes a clean word's trigram window
look odd, and a word the spinner left alone beside two substitutes looks like one. On
spinners whose dictionary despin lacks, it told substituted from clean units with an AUC of
0.60–0.76. Two gradient-boosted tree models (`despin.forest`, fitted by
``scripts/calibrate.py`` on simulated and leave-one-resource-out spins and on clean text)
read the same evidence together with the neighbours' posteriors, the shape of the candidate
ranking and the document's spin rate, where interactions matter (a rare word next to a
confident substitute is not the same evidence as a rare word alone). Without the fitted
file the stage-4 posteriors stand.
"""
from __future__ import annotations

import math

from .. import lm
from ..calibration import refine_models
from .posterior import document_score, floored_log
from .ranking import calibrated_shares, suggestion_context
from .records import Analysis, Unit

# Units below this stage-4 posterior keep it: the trees seldom lift them to a span, and
# most of a clean text's units are down there (the stage stays cheap on clean text).
REFINE_FLOOR = 0.05
# The trees were fitted on article-length texts; in a text with fewer eligible words one
# spun type lifts the spin rate and every neighbour's features with it (the trees flagged
# "market" and "report" beside a thrice-repeated "hebdomadary" in a 24-word text), so
# short texts keep their stage-4 posteriors (and stage 7 its stricter short-text threshold).
MIN_WORDS = 50
# A text the document model (stage 4) calls clean with this much confidence keeps its
# stage-4 posteriors: the second look is for restoring spun text, and skipping it on clearly
# clean text keeps `check` at the speed of the release before it (53 vs 46 new 400-word
# news documents per second on one core without and with the trees on every text).
MIN_SCORE = 0.1
_RELATIONS = ("wordnet", "moby", "function", "inflection", "numbers", "abbreviations")
_WINDOW = 3  # tokens each side whose posteriors describe the neighbourhood


def features(a: Analysis) -> tuple[list[Unit], list[list[float]]]:
    """The units refined and, per unit, its features; the last feature of each row is the
    stage-5 P(best suggestion is the original), which only the suggestion model reads."""
    by_token: dict[int, float] = {}
    counts: dict[str, int] = {}
    scored = 0
    flagged = 0
    for u in a.units:
        if not u.odds:
            continue
        scored += 1
        flagged += u.posterior >= 0.5
        counts[u.observed] = counts.get(u.observed, 0) + 1
        for k in range(u.i, u.j):
            if u.posterior > by_token.get(k, 0.0):
                by_token[k] = u.posterior
    share_flagged = flagged / max(1, scored)
    context = suggestion_context(a)
    chosen: list[Unit] = []
    rows: list[list[float]] = []
    for u in a.units:
        if u.posterior < REFINE_FLOOR or not u.odds:
            continue
        ranking = u.ranking
        total: float = sum(ranking)
        if total <= 0:
            continue
        best = max(ranking)
        top = u.cands[ranking.index(best)]
        if u.profile_support or top.relation.startswith("profile:"):
            continue  # (never in the trees' training: a learned profile's rates decide it)
        entropy = -sum((r / total) * math.log(r / total + 1e-12) for r in ranking)
        first = u.observed.partition(" ")[0]
        left, right = by_token.get(u.i - 1, 0.0), by_token.get(u.j, 0.0)
        around = [by_token.get(k, 0.0) for k in range(u.i - _WINDOW, u.j + _WINDOW) if not u.i <= k < u.j]
        count = counts.get(u.observed, 1)
        row = [
            u.log_odds,
            floored_log(u.A),
            floored_log(max(u.odds)),
            float(u.closed),
            float(u.name),
            float(u.j - u.i),
            lm.observed_unigram(first),
            lm.unigram(top.words[0]),
            float(len(u.cands)),
            math.log(top.q),
            best / total,
            entropy,
            max(left, right),
            min(left, right),
            sum(around) / len(around),
            a.rho,
            share_flagged,
            math.log(count),
            float(lm.observed_in_vocabulary(first)),
            float(len(first)),
            float(len(top.words)),
        ]
        row += [float(top.relation == r) for r in _RELATIONS]
        # The topic: does the best candidate fit the document's other words better than
        # the word it would replace (`despin.detector.ranking.document_fits`)?
        fit = u.fits[ranking.index(best)] if u.fits else 0.0
        row += [fit, u.own_fit, fit - u.own_fit]
        row.append(calibrated_shares(u, [best / total], count, context)[0])
        chosen.append(u)
        rows.append(row)
    return chosen, rows


def refine(a: Analysis) -> None:
    """Replace the posteriors of the units above ``REFINE_FLOOR`` by the fitted trees' (texts
of at least ``MIN_WORDS`` eligible words that stage 4 does not call clean with confidence:
P(spun) ≥ ``MIN_SCORE``)."""
    a.document = a.doc_features()
    models = refine_models(a.neural)  # the trees fitted through stage 5c where it ran
    if models is None or a.n_eligible < MIN_WORDS or document_score(a) < MIN_SCORE:
        return
    chosen, rows = features(a)
    if not chosen:
        return
    import numpy as np  # here, not at the top: a corpus screen imports this stage but never runs it (~0.1 s)

    X = np.clip(np.array(rows, dtype=np.float64), -1e6, 1e6)
    unit_model, suggestion_model = models
    posteriors = unit_model.predict(X[:, :-1])
    best = suggestion_model.predict(X)
    for u, p, b in zip(chosen, posteriors.tolist(), best.tolist()):
        p = min(max(p, 1e-9), 1 - 1e-9)
        u.posterior = p
        u.log_odds = math.log(p / (1 - p))
        u.best_prob = b
