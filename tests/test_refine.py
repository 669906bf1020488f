"""Stage 6 (`despin.detector.refine`) and the tree evaluator it runs (`despin.forest`)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from despin.config import Config
from despin.core import analyse
from despin.detector import refine
from despin.detector.posterior import document_score
from despin.errors import DataError
from despin.forest import Forest, export

# One stump per tree: tree 0 splits on feature 0 at 1.0 (left leaf -1, right leaf +2);
# tree 1 splits on feature 1 at 0.0 (left +0.5, right -0.5). Leaves point to themselves.
STUMPS = {
    "format": "despin-forest",
    "version": 1,
    "base": 0.25,
    "n_features": 2,
    "depth": 1,
    "trees": [
        {"feature": [0, 0, 0], "threshold": [1.0, 0.0, 0.0], "left": [1, 1, 2], "right": [2, 1, 2],
         "value": [0.0, -1.0, 2.0]},
        {"feature": [1, 0, 0], "threshold": [0.0, 0.0, 0.0], "left": [1, 1, 2], "right": [2, 1, 2],
         "value": [0.0, 0.5, -0.5]},
    ],
}

SPUN = (
    "The Top Priest informed journalists on Tuesday that the inventory marketplace would get well "
    "swiftly. He aforementioned the administration would commence a novel programme to assist "
    "tiny enterprises, and that the central financial institution would maintain curiosity rates "
    "unchanged for the remainder of the twelvemonth. Analysts aforementioned the determination "
    "was anticipated, though some cautioned that ostentation remained a fear for households. "
    "The city assembly voted on Thursday to construct a novel overpass across the watercourse, "
    "officials aforementioned, adding that labour would commence in the springtime and that the "
    "undertaking was anticipated to price approximately twelve million dollars, most of it from a "
    "province grant. Local merchants stated the closure had injured gross sales."
)
SHORT = "The hebdomadary market report was late. Traders said the hebdomadary figures came out."


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + np.exp(-z))


def test_forest_walks_each_tree_to_its_leaf() -> None:
    f = Forest(STUMPS)
    X = np.array([[0.5, -1.0], [1.0, 0.0], [3.0, 2.0]])
    expected = [_logistic(0.25 - 1.0 + 0.5), _logistic(0.25 - 1.0 + 0.5), _logistic(0.25 + 2.0 - 0.5)]
    assert f.predict(X) == pytest.approx(expected)


def test_forest_refuses_wrong_shapes_and_formats() -> None:
    with pytest.raises(ValueError, match="2 features"):
        Forest(STUMPS).predict(np.zeros((3, 5)))
    with pytest.raises(DataError, match="forest format"):
        Forest({**STUMPS, "version": 9})


def test_export_answers_as_scikit_learn_does() -> None:
    ensemble = pytest.importorskip("sklearn.ensemble")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 4))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size=2000) > 0).astype(int)
    model = ensemble.HistGradientBoostingClassifier(max_iter=30, max_depth=4).fit(X, y)
    forest = Forest(json.loads(json.dumps(export(model))))  # through JSON, as it ships
    assert np.abs(forest.predict(X) - model.predict_proba(X)[:, 1]).max() < 1e-12


def _without_stage_6(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refine, "refine_models", lambda neural=False: None)


def test_stage_6_refines_likely_units_and_leaves_the_document_score(monkeypatch: pytest.MonkeyPatch) -> None:
    if refine.refine_models() is None:
        pytest.skip("no despin/data/refine.json (run scripts/calibrate.py)")
    refined = analyse(SPUN, Config())
    with monkeypatch.context() as m:
        _without_stage_6(m)
        plain = analyse(SPUN, Config())
    assert len(refined.units) == len(plain.units)
    assert document_score(refined) == document_score(plain)
    changed = 0
    for r, p in zip(refined.units, plain.units):
        assert (r.i, r.j) == (p.i, p.j)
        if p.posterior < refine.REFINE_FLOOR:
            assert r.posterior == p.posterior and r.best_prob == -1.0
        else:
            assert 0.0 < r.posterior < 1.0 and 0.0 <= r.best_prob <= 1.0
            changed += r.posterior != p.posterior
    assert changed > 0
    # The substitutes a reader sees at once stay flagged.
    flagged = {u.observed for u in refined.units if u.posterior >= 0.5}
    assert {"aforementioned", "marketplace"} <= flagged or {"aforementioned", "inventory marketplace"} <= flagged


def test_short_texts_keep_stage_4(monkeypatch: pytest.MonkeyPatch) -> None:
    a = analyse(SHORT, Config())
    assert a.n_eligible < refine.MIN_WORDS
    assert all(u.best_prob == -1.0 for u in a.units)


def test_without_the_trees_stage_4_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_stage_6(monkeypatch)
    a = analyse(SPUN, Config())
    assert all(u.best_prob == -1.0 for u in a.units)
    assert a.document == a.doc_features() and a.document  # frozen before refining


def test_a_profile_decides_its_own_units_and_stage_6_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    from despin.profile import Profile

    profile = Profile.from_counts("fixture", {"aforementioned": {"said": 3}})
    a = analyse(SPUN, Config(), profiles=(profile,))
    known = [u for u in a.units if u.observed == "aforementioned"]
    assert known and all(u.best_prob == -1.0 for u in known)
    if refine.refine_models() is not None:
        assert any(u.best_prob >= 0.0 for u in a.units if u.observed != "aforementioned")


def test_rerank_puts_the_candidate_the_weights_favour_on_top_and_keeps_the_total() -> None:
    from despin.detector import ranking
    from despin.detector.records import Candidate, Unit

    u = Unit(0, 1, "marketplace", (Candidate("market", 0.1, "moby"), Candidate("bazaar", 0.2, "wordnet")),
             odds=[1.0, 3.0], posterior=0.9)
    n = len(ranking.unit_features(u, {}, ("wordnet", "moby"))[0])
    assert n == len(ranking.RERANK_FEATURES)
    moby = ranking.RERANK_FEATURES.index("relation moby")
    weights = [0.0] * n
    weights[moby] = 5.0  # a re-ranker that trusts Moby's candidates
    ranking.rerank([u], ["marketplace"], tuple(weights), ("wordnet", "moby"))
    assert u.rank[0] > u.rank[1]
    assert abs(sum(u.rank) - 4.0) < 1e-9
    low = Unit(0, 1, "marketplace", u.cands, odds=[1.0, 3.0], posterior=0.01)
    ranking.rerank([low], ["marketplace"], tuple(weights), ("wordnet", "moby"))
    assert low.rank == []  # below the floor: the order of the odds stands


def test_rerank_weights_that_do_not_fit_the_features_are_a_clear_error() -> None:
    import pytest

    from despin.detector import ranking
    from despin.detector.records import Candidate, Unit
    from despin.errors import DataError

    u = Unit(0, 1, "marketplace", (Candidate("market", 0.1, "moby"), Candidate("bazaar", 0.2, "wordnet")),
             odds=[1.0, 3.0], posterior=0.9)
    with pytest.raises(DataError, match="calibrate.py"):
        ranking.rerank([u], ["marketplace"], (1.0, 2.0), ("wordnet", "moby"))


def test_window_fit_reads_the_words_near_the_unit_not_the_whole_document() -> None:
    """A long article about shares with one paragraph about a river: in that paragraph the
    window prefers "beach" to "equity" although the document's topic does not."""
    from despin.detector import ranking
    from despin.detector.records import Candidate, Unit

    far = "shares traders investors prices exchange dividends earnings stocks bonds markets".split() * 3
    near = "the river flooded the fields and the water rose over the".split()
    low = far + near + ["shore"] + "as fish swam in the muddy river water near boats".split()
    i = len(far) + len(near)
    u = Unit(i, i + 1, "shore", (Candidate("equity", 0.1, "moby"), Candidate("beach", 0.1, "moby"),
                                 Candidate("zzzq", 0.1, "moby")), odds=[1.0, 1.0, 1.0], posterior=0.9)
    ranking.document_fits([u], low)
    assert u.wfits[1] > u.wfits[0] + 0.2
    assert u.fits[0] > u.fits[1] + 0.2  # the whole article pulls towards finance, the window does not
    assert u.wfits[2] == 0.0  # no vector
    # Words more than WINDOW away do not count: a unit at the start of the finance words gets a
    # finance window.
    v = Unit(0, 1, "shore", u.cands, odds=[1.0, 1.0, 1.0], posterior=0.9)
    ranking.document_fits([v], ["shore"] + low[1:])
    assert v.wfits[0] > v.wfits[1] + 0.2


def test_listed_both_ways_needs_the_observed_word_to_list_the_candidate_too() -> None:
    from despin.detector import ranking
    from despin.detector.records import Candidate

    cands = (Candidate("list", 0.1, "moby"), Candidate("division", 0.1, "moby"),
             Candidate("inventories", 0.1, "inflection"), Candidate("lists", 0.1, "moby"))
    sources = ("wordnet", "moby", "function")
    # "list" lists "inventory" and "inventory" lists "list"; "division" lists "inventory" only;
    # an inflection is no thesaurus pair; "lists" counts through its lemma.
    assert ranking.listed_both_ways("inventory", cands, sources) == [1.0, 0.0, 0.0, 1.0]
    # Only the thesauri despin is given count (leave-one-resource-out).
    assert ranking.listed_both_ways("inventory", cands, ("wordnet", "function")) == [0.0, 0.0, 0.0, 0.0]


def test_topic_fit_prefers_the_candidate_that_fits_the_unflagged_words() -> None:
    from despin.detector import ranking
    from despin.detector.records import Candidate, Unit

    low = "shares fell as traders sold the inventory and prices on the exchange slid".split()

    def unit(posterior: float) -> Unit:
        return Unit(6, 7, "inventory", (Candidate("list", 0.1, "moby"), Candidate("stock", 0.1, "moby"),
                                        Candidate("zzzq", 0.1, "moby")), odds=[1.0, 1.0, 1.0], posterior=posterior)

    u = unit(0.9)
    ranking.document_fits([u], low)
    assert u.fits[1] > u.fits[0] + 0.1
    assert u.fits[2] == 0.0  # no vector: no evidence either way
    assert 0.0 < u.own_fit < 1.0
    # The unit's own word is never its context: a unit below the "likely" bar (its word in the
    # document's sum) gets the same fits.
    low_unit = unit(0.2)
    ranking.document_fits([low_unit], low)
    assert max(abs(a - b) for a, b in zip(u.fits, low_unit.fits)) < 1e-5
    # Too unlikely to become a span: left alone.
    skipped = unit(ranking.TOPIC_FLOOR / 2)
    ranking.document_fits([skipped], low)
    assert skipped.fits == []
    # A document of unknown or very common words has no topic: every fit is 0.
    u = unit(0.9)
    ranking.document_fits([u], ["the", "of", "zzzq", "zzzq", "zzzq", "zzzq", "inventory"])
    assert u.fits == [0.0, 0.0, 0.0] and u.own_fit == 0.0
