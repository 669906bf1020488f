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
