"""The detector's fast paths give the very floats of its plain ones.

With the batch language model loaded, `despin.detector.context._score_windows` scores every window of a
document in one array look-up; without it, `_score_unit` asks `despin.lm` window by window.
The texts here hold the windows where the two differ most in how they are built: sentence
edges (a history cut by the start, a right context cut by the end), one-word sentences,
words outside the trigram vocabulary (as unit, candidate or context), multiword units and
multiword candidates, and a learned profile's candidates.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import despin
from despin import lm
from despin.config import DEFAULT
from despin.core import analyse
from despin.detector.records import Analysis
from despin.lm_trie import TrieLM
from despin.profile import Profile

TEXTS = [
    "Market.",
    "Recuperate!\nMarketplace.\nHebdomad",
    "The Top Priest informed journalists on Tuesday that the inventory marketplace would get well swiftly.",
    "Aardwolf abased the market. Zorblatt marketplace fnarged; the hebdomad abased zorblatt market wibble.",
    "Prices go up. The stock market will go up again, officials aforementioned (quoth the minister).",
    "BAHIA COCOA REVIEW\nShowers persisted passim the hebdomad in the cocoa zone, alleviating the drought.",
    "the minister quoth on Monday that the hebdomadal talks would go on. Her deputy quoth",
]
PROFILE = Profile.from_counts("test", {"quoth": {"said": 30, "told us": 5}, "hebdomadal": {"weekly": 12}},
                              kept={"the": 200})


@pytest.fixture(scope="module")
def trie() -> TrieLM:
    model = lm.load_batch_model()
    assert model is not None, lm._BATCH_REFUSED
    return model


@contextmanager
def _without_batch_model(trie: TrieLM) -> Iterator[None]:
    lm._BATCH.pop("trie")
    lm._CACHE.clear()
    try:
        yield
    finally:
        lm._BATCH["trie"] = trie


def _analyses() -> list[Analysis]:
    out = [analyse(t, DEFAULT) for t in TEXTS]
    return out + [analyse(t, DEFAULT, (PROFILE,)) for t in TEXTS]


def _floats(a: Analysis) -> list[tuple[object, ...]]:
    return [(u.i, u.j, u.odds, u.A, u.rank, u.log_odds, u.posterior) for u in a.units] + [(a.rho, a.llr)]


def test_batch_and_plain_paths_give_the_same_floats(trie: TrieLM) -> None:
    fast = [_floats(a) for a in _analyses()]
    with _without_batch_model(trie):
        plain = [_floats(a) for a in _analyses()]
    assert fast == plain
    # Again, now that context._WINDOWS holds the types (with and without the profile's candidates).
    assert [_floats(a) for a in _analyses()] == plain
    reports = [despin.check(t, profile=PROFILE).to_json() for t in TEXTS]
    with _without_batch_model(trie):
        assert reports == [despin.check(t, profile=PROFILE).to_json() for t in TEXTS]


def test_the_texts_hold_the_windows_that_differ(trie: TrieLM) -> None:
    units = [(a, u) for a in _analyses() for u in a.units if u.cands]
    low = [[t.text.lower() for t in a.tokens] for a, _ in units]
    assert any(u.i == 0 for _, u in units)  # history cut by the text's start
    assert any(u.j == len(a.tokens) for a, u in units)  # right context cut by its end
    assert any(len(a.tokens) == 1 for a, _ in units)  # a one-word text
    assert any(u.j - u.i > 1 for _, u in units)  # multiword units
    assert any(len(c.words) > 1 for _, u in units for c in u.cands)  # multiword candidates
    assert any(c.relation.startswith("profile:") and len(c.words) > 1 for _, u in units for c in u.cands)
    assert any(u.observed not in trie.vocab for _, u in units)  # an unknown unit
    assert any(c.text not in trie.vocab for _, u in units for c in u.cands if len(c.words) == 1)
    assert any(w not in trie.vocab and w.isalpha() for words in low for w in words)  # unknown context


def test_with_the_batch_model_no_window_is_scored_one_by_one(trie: TrieLM, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> float:
        raise AssertionError("a window left the batch path")

    monkeypatch.setattr(lm, "context_logprob", refuse)
    for a in _analyses():
        assert a.units
