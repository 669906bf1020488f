"""The mixed language model (despin/lm_build.py): two small back-off models written here,
mixed, and read back through pocketsphinx and the batch reader."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from despin import lm, lm_build, lm_trie

pocketsphinx = pytest.importorskip("pocketsphinx")

# Two toy models over a shared core vocabulary (unigrams summing to one); each lists n-grams
# the other does not, and the second knows a word ("stocks") the first does not.
FIRST = """
\\data\\
ngram 1=6
ngram 2=5
ngram 3=2

\\1-grams:
-99 <s> -0.30
-0.69897 </s>
-0.52288 the -0.25
-0.69897 market -0.20
-0.82391 fell -0.10
-0.82391 rose -0.10

\\2-grams:
-0.20 <s> the -0.10
-0.30 the market -0.15
-0.40 market fell
-0.60 market rose
-0.10 fell </s>

\\3-grams:
-0.10 <s> the market
-0.20 the market fell

\\end\\
"""
SECOND = """
\\data\\
ngram 1=7
ngram 2=5
ngram 3=2

\\1-grams:
-99 <s> -0.30
-0.69897 </s>
-0.52288 the -0.25
-0.82391 market -0.20
-1.0 fell -0.10
-0.82391 rose -0.10
-1.0 stocks -0.10

\\2-grams:
-0.25 <s> the -0.10
-0.35 the market -0.15
-0.30 market rose
-0.20 rose </s>
-0.50 the stocks

\\3-grams:
-0.15 <s> the market
-0.25 the market rose

\\end\\
"""


def _bin(tmp: Path, name: str, arpa: str) -> str:
    src = tmp / f"{name}.arpa"
    src.write_text(arpa.lstrip("\n"), encoding="utf-8")
    config = pocketsphinx.Config(loglevel="FATAL")
    model = pocketsphinx.NGramModel(config, pocketsphinx.LogMath(1.0001, 0, 0), str(src))
    out = tmp / f"{name}.lm.bin"
    model.write(str(out), 2)
    return str(out)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    tmp = tmp_path_factory.mktemp("lm")
    first, second = _bin(tmp, "first", FIRST), _bin(tmp, "second", SECOND)
    mixed = lm_build.build(first, second, tmp / "mixed.lm.bin", log=lambda m: None)
    return first, second, str(mixed)


def _ln(path: str, *key: str) -> float:
    config = pocketsphinx.Config(loglevel="FATAL")
    model = pocketsphinx.NGramModel(config, pocketsphinx.LogMath(1.0001, 0, 0), path)
    return model.prob(key) * math.log(1.0001)


@pytest.mark.parametrize("key", [
    ("market", "the", "<s>"),   # a trigram both list
    ("fell", "market", "the"),  # listed by the first only: the second backs off
    ("rose", "market", "the"),  # listed by the second only
    ("rose", "market"),         # bigrams
    ("fell", "market"),
])
def test_listed_ngrams_get_the_mixed_probability(models: tuple[str, str, str], key: tuple[str, ...]) -> None:
    first, second, mixed = models
    want = math.log(lm_build.MIX * math.exp(_ln(first, *key)) + (1 - lm_build.MIX) * math.exp(_ln(second, *key)))
    assert _ln(mixed, *key) == pytest.approx(want, abs=0.01)  # pocketsphinx quantises to 16 bits


def test_unigrams_are_the_mixture_shared_among_the_first_models_words(models: tuple[str, str, str]) -> None:
    first, second, mixed = models
    kept = 1 - (1 - lm_build.MIX) * 10 ** -1.0  # the second model's "stocks" is left out
    for w in ("the", "market", "fell", "</s>"):
        want = lm_build.MIX * math.exp(_ln(first, w)) + (1 - lm_build.MIX) * math.exp(_ln(second, w))
        assert _ln(mixed, w) == pytest.approx(math.log(want / kept), abs=0.01)


@pytest.mark.parametrize("history", [("the", "<s>"), ("market", "the"), ("market",), ("fell",), ("rose", "market")])
def test_every_history_still_sums_to_one(models: tuple[str, str, str],
                                                           history: tuple[str, ...]) -> None:
    """Mixed listed probabilities with either model's back-off weights would not sum to one."""
    _, _, mixed = models
    words = ["</s>", "the", "market", "fell", "rose"]
    assert sum(math.exp(_ln(mixed, w, *history)) for w in words) == pytest.approx(1.0, abs=0.01)


def test_the_vocabulary_is_the_first_models(models: tuple[str, str, str]) -> None:
    first, _, mixed = models
    assert set(lm_trie.TrieLM(mixed).vocab) == set(lm_trie.TrieLM(first).vocab)
    assert "stocks" not in lm_trie.TrieLM(mixed).vocab


def test_the_batch_reader_answers_the_mixed_file_as_pocketsphinx_does(models: tuple[str, str, str]) -> None:
    _, _, mixed = models
    trie = lm_trie.TrieLM(mixed)
    config = pocketsphinx.Config(loglevel="FATAL")
    ps = pocketsphinx.NGramModel(config, pocketsphinx.LogMath(1.0001, 0, 0), mixed)
    words = ["<s>", "the", "market", "fell", "rose", "</s>"]
    keys = [(w, h1, h2) for w in words[1:] for h1 in words for h2 in words]
    got = trie.score(*(trie.ids([k[i] for k in keys]) for i in range(3))).tolist()
    assert got == [ps.prob(k) for k in keys]


def test_model_path_builds_the_mixture_once_into_the_cache(models: tuple[str, str, str], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    first, second, _ = models
    monkeypatch.setenv("DESPIN_CACHE", str(tmp_path))
    monkeypatch.setattr(lm_build, "first_model_path", lambda: first)
    monkeypatch.setattr(lm_build, "second_model_path", lambda: second)
    lm.model_path.cache_clear()
    try:
        path = lm.model_path()
        assert Path(path).parent == tmp_path and Path(path).exists()
        stamp = Path(path).stat().st_mtime_ns
        lm.model_path.cache_clear()
        assert lm.model_path() == path and Path(path).stat().st_mtime_ns == stamp  # not rebuilt
    finally:
        lm.model_path.cache_clear()


def test_processes_started_together_build_the_model_once(models: tuple[str, str, str], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    first, second, _ = models
    built: list[Path] = []
    real = lm_build.build

    def counted(a: str, b: str, out: Path, log=print) -> Path:  # type: ignore[no-untyped-def]
        built.append(out)
        time.sleep(0.2)  # long enough for every thread to reach the lock
        return real(a, b, out, log)

    monkeypatch.setattr(lm_build, "build", counted)
    out = tmp_path / "mixed.lm.bin"
    threads = [threading.Thread(target=lm_build.ensure, args=(first, second, out, lambda m: None)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == [out] and out.exists()


def test_without_the_second_package_the_first_model_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lm_build, "second_model_path", lambda: None)
    lm.model_path.cache_clear()
    try:
        assert lm.model_path() == lm_build.first_model_path()
    finally:
        lm.model_path.cache_clear()


def test_an_unwritable_cache_falls_back_to_the_first_model(models: tuple[str, str, str], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    first, second, _ = models
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("DESPIN_CACHE", str(blocker))
    monkeypatch.setattr(lm_build, "first_model_path", lambda: first)
    monkeypatch.setattr(lm_build, "second_model_path", lambda: second)
    lm.model_path.cache_clear()
    try:
        with pytest.warns(UserWarning, match="could not be built"):
            assert lm.model_path() == first
    finally:
        lm.model_path.cache_clear()


def test_the_shipped_mixture_differs_from_either_model_where_they_disagree() -> None:
    if lm_build.second_model_path() is None:
        pytest.skip("SpeechRecognition not installed")
    key = ("guilders", "of", "million")
    mixed = lm._pocketsphinx_prob(key)
    config = pocketsphinx.Config(loglevel="FATAL")
    a = pocketsphinx.NGramModel(config, pocketsphinx.LogMath(1.0001, 0, 0), lm_build.first_model_path()).prob(key)
    b = pocketsphinx.NGramModel(config, pocketsphinx.LogMath(1.0001, 0, 0), lm_build.second_model_path()).prob(key)
    assert min(a, b) < mixed < max(a, b)
    assert np.isclose(mixed * math.log(1.0001),
                      math.log(0.5 * math.exp(a * math.log(1.0001)) + 0.5 * math.exp(b * math.log(1.0001))), atol=0.1)
