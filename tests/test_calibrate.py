"""scripts/calibrate.py's labels: what counts as a right suggestion when fitting."""
from __future__ import annotations

from .conftest import load_script


def test_each_word_of_an_adjacent_swap_block_has_its_own_original() -> None:
    # Two adjacent one-word swaps form one changed block; a unit that restores one of
    # them is right (labelled by the block alone it was "wrong", and the suggestion
    # model learned that restorations inside dense spin are rarely right).
    spans = load_script("calibrate").originals_by_span(
        "The inventory marketplace would get well swiftly.", "The stock market would recover quickly."
    )
    assert spans[(1, 3)] == "stock market"
    assert spans[(1, 2)] == "stock"
    assert spans[(2, 3)] == "market"
    # A block of unequal length ("get well swiftly" for "recover quickly") is one
    # phrase operation: no word-for-word sub-ranges are invented inside it.
    assert spans[(4, 7)] == "recover quickly"
    assert not any(4 <= i and j <= 7 and (i, j) != (4, 7) for i, j in spans)


def test_conditional_logit_recovers_the_weights_that_chose_the_originals() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    groups, per, truth = 3000, 5, np.array([1.5, -1.0, 0.5])
    X = rng.normal(size=(groups * per, 3))
    z = (X @ truth).reshape(groups, per)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    chosen = np.array([rng.choice(per, p=row) for row in p])
    y = np.zeros(groups * per)
    y[np.arange(groups) * per + chosen] = 1
    w = load_script("calibrate").fit_conditional_logit(X, y, np.repeat(np.arange(groups), per), l2=0.01)
    assert np.abs(w - truth).max() < 0.15, w


def test_rerank_rows_label_the_original_among_a_units_candidates() -> None:
    from despin.config import Config
    from despin.core import analyse

    cal = load_script("calibrate")
    original = "The stock market would recover quickly after the minister spoke to reporters on Tuesday."
    spun = "The stock marketplace would recover quickly after the minister spoke to reporters on Tuesday."
    a = analyse(spun, Config())
    X, y, group = cal.collect_rerank(a, [t.text.lower() for t in a.tokens], cal.originals_by_span(spun, original), 0.0,
                                      tuple(Config().resources))
    assert X and len(X) == len(y) == len(group)
    unit = next(u for u in a.units if u.observed == "marketplace")
    assert "market" in [c.text for c in unit.cands]
    # one group per unit whose original is a candidate, and exactly one original in each
    for g in set(group):
        assert sum(label for label, k in zip(y, group) if k == g) == 1


def test_phrase_length_share_counts_what_a_wrong_shorter_suggestion_still_saves(monkeypatch) -> None:
    """Only spans over a whole substituted block whose shorter suggestion is not the original
    count; "get well" -> "recover" for an original "rebound" still removes the added word."""
    import despin
    from despin.config import Config
    from despin.report import Report, Span, Suggestion

    cal = load_script("calibrate")
    spun = "The firm will get well soon, the banker said."
    original = "The firm will rebound soon, the banker said."
    start = spun.index("get well")
    banker = spun.index("banker")
    spans = (
        Span(start, start + 8, "get well", 0.9, (Suggestion("recover", 0.4),)),  # wrong, shorter: counts
        Span(banker, banker + 6, "banker", 0.6, (Suggestion("financier", 0.3),)),  # one word, no change: skipped
    )
    monkeypatch.setattr(despin, "check", lambda text, config=None: Report(0.9, "spun", spans, text))
    assert cal.phrase_length_share([(spun, original, Config(), "sim")]) == (1.0, 1)
    right = (Span(start, start + 8, "get well", 0.9, (Suggestion("rebound", 0.8),)),)
    monkeypatch.setattr(despin, "check", lambda text, config=None: Report(0.9, "spun", right, text))
    assert cal.phrase_length_share([(spun, original, Config(), "sim")]) == (0.0, 0)
