"""The numpy reading of pocketsphinx's trigram file answers exactly as pocketsphinx does,
and the detector's reports do not depend on which of the two it used."""
from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest

import despin
from despin import lm, lm_build, lm_trie
from despin.evaluate import token_strings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
_TEXT = (
    "The central bank said on Tuesday that the stock market would recover quickly after the "
    "minister told reporters that exports to the region grew by four per cent. Analysts in "
    "Frankfurt expected that interest rates would stay unchanged, while the union warned that "
    "output at the plant was lower than forecast. Zorblatt quixotically fnarged the wibble."
)


@pytest.fixture(scope="module")
def trie() -> lm_trie.TrieLM:
    model = lm.load_batch_model()
    assert model is not None, lm._BATCH_REFUSED
    return model


def _reference(key: tuple[str, str, str]) -> int:
    w, h1, h2 = key
    return int(lm._model().prob(key if h2 else (w, h1) if h1 else (w,)))


def test_scores_equal_pocketsphinx_key_by_key(trie: lm_trie.TrieLM) -> None:
    words = [w.lower() for w in token_strings(_TEXT)] + ["<s>", "</s>", "the", "of", "qzxjvv"]
    rng = random.Random(3)
    vocab = [w for w in trie.vocab if w.isalpha()][:20000]
    keys = [(words[i], words[i - 1], words[i - 2]) for i in range(2, len(words))]  # running text
    keys += [(rng.choice(words), rng.choice(words), rng.choice(vocab)) for _ in range(3000)]  # random histories
    keys += [(rng.choice(vocab), rng.choice(words), rng.choice(words)) for _ in range(3000)]
    keys += [(rng.choice(words), rng.choice(words + [""]), "") for _ in range(500)]  # short histories
    keys += [(w, "", "") for w in words]
    keys = [k for k in keys if k[0] in trie.vocab]
    w = trie.ids([k[0] for k in keys])
    h1 = trie.ids([k[1] for k in keys])
    h2 = np.where(h1 >= 0, trie.ids([k[2] for k in keys]), -1)
    got = trie.score(w, h1, h2)
    want = np.array([_reference(k) for k in keys])
    assert len(keys) > 6000
    assert (got == want).all(), [keys[k] for k in np.nonzero(got != want)[0][:5]]
    # Many kinds of answers were exercised: trigram hits, bigram back-offs, unigram back-offs.
    assert len(set(want.tolist())) > 1000


def test_batch_logprob_equals_lookup_with_unknown_words(trie: lm_trie.TrieLM) -> None:
    words, h1, h2 = ["market", "fnarged", "the", "zorblatt"], ["stock", "quixotically", "fnarged", "the"], \
        ["the", "zorblatt", "quixotically", "<s>"]
    got = lm.batch_logprob(words, h1, h2).tolist()
    assert got == [lm._lookup(k) for k in zip(words, h1, h2)]


def test_hash_index_finds_every_key_and_nothing_else() -> None:
    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(0, 2**40, 5000))
    index = lm_trie.HashIndex(keys)
    assert (index.find(keys) == np.arange(len(keys))).all()
    others = np.setdiff1d(rng.integers(0, 2**40, 5000), keys)
    assert (index.find(others) == -1).all()
    # Stored values instead of positions; keys far from their home slot and near the table's end.
    values = rng.integers(0, 2**16, len(keys))
    index = lm_trie.HashIndex(keys, values)
    assert (index.find(keys) == values).all() and (index.find(others) == -1).all()
    home = index._slot(keys)
    assert home.max() > len(index.table) - 20 and index._dbits >= 2


def test_not_a_trie_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.lm.bin"
    bad.write_bytes(b"Darpa Trigram LM" + bytes(200))
    with pytest.raises(ValueError, match="not a 3-gram pocketsphinx trie"):
        lm_trie.TrieLM(str(bad))


def test_reports_are_identical_with_and_without_the_batch_model(trie: lm_trie.TrieLM) -> None:
    texts = [_TEXT, (EXAMPLES / "spun-news.txt").read_text(encoding="utf-8"),
             "The Top Priest informed journalists on Tuesday that the inventory marketplace would get well swiftly.",
             "Short one.", "A\n\nNew line. Headline WORDS HERE\nand more"]
    with_batch = [despin.check(t).to_json() for t in texts]
    lm._BATCH.pop("trie")
    try:
        lm._CACHE.clear()
        without = [despin.check(t).to_json() for t in texts]
    finally:
        lm._BATCH["trie"] = trie
    assert with_batch == without
    assert any('"spans": []' not in r for r in with_batch)


def test_batch_path_is_used_once_loaded(trie: lm_trie.TrieLM, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = itertools.count()
    real = lm.batch_logprob_ids
    monkeypatch.setattr(lm, "batch_logprob_ids", lambda *a: (next(calls), real(*a))[1])
    despin.check(_TEXT)
    assert next(calls) >= 1


def test_a_batch_model_that_disagrees_is_refused_and_checks_still_work(trie: lm_trie.TrieLM,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    expected = despin.check(_TEXT).to_json()
    real_score = lm_trie.TrieLM.score
    monkeypatch.setattr(lm_trie.TrieLM, "score", lambda self, w, h1, h2: real_score(self, w, h1, h2) + (w % 7 == 0))
    monkeypatch.setattr(lm, "_BATCH", {})
    monkeypatch.setattr(lm, "_BATCH_REFUSED", [])
    with pytest.warns(UserWarning, match="batch language model not used, it differs from pocketsphinx"):
        assert lm.load_batch_model() is None
    assert lm.batch_model() is None and lm.load_batch_model() is None  # refused once, not retried
    assert despin.check(_TEXT).to_json() == expected


def test_an_unreadable_model_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bad = tmp_path / "en-us.lm.bin"
    bad.write_bytes(b"Trie Language Model\x03" + bytes(50))
    monkeypatch.setattr(lm, "model_path", lambda: str(bad))
    monkeypatch.setattr(lm_trie, "load", lm_trie.load.__wrapped__)
    monkeypatch.setattr(lm, "_BATCH", {})
    monkeypatch.setattr(lm, "_BATCH_REFUSED", [])
    with pytest.warns(UserWarning, match="cannot read it"):
        assert lm.load_batch_model() is None


def test_odd_bigrams_are_found_as_isin_finds_them() -> None:
    trie = lm_trie.load(lm_build.first_model_path())  # pocketsphinx's own file has two (the mixture none)
    b = np.concatenate([trie._odd_bigrams, np.arange(-1, 5000), trie._odd_bigrams + 1])
    assert trie._odd_bigrams.size and (trie._odd(b) == np.isin(b, trie._odd_bigrams)).all()
