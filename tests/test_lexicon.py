"""The shipped lexicon sources: they load, answer known look-ups, and match their build script."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from despin import lexicon
from despin.config import Config
from despin.detector import candidates
from despin.errors import DataError

from .conftest import load_script

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "despin" / "data"


def _build_script():
    return load_script("build_lexicon")


def _originals(word: str, source: str) -> set[str]:
    return {orig for orig, _ in lexicon.inverse_entries(word, source)}


@pytest.mark.parametrize("source", lexicon.SOURCES)
def test_every_source_loads_both_directions(source):
    assert len(lexicon.headwords(source)) > 100
    # Every inverse entry's n is the size of that entry's forward list.
    word = sorted(lexicon._raw("inverse", source))[len(lexicon._raw("inverse", source)) // 2]
    for orig, n in lexicon.inverse_entries(word, source):
        assert word in lexicon.synonyms(orig, source)
        assert n == len(lexicon.synonyms(orig, source))


@pytest.mark.parametrize(
    "observed, source, original",
    [
        ("music", "mythes-related", "melodic"),  # a "(related term)"
        ("ample", "wordnet-similar", "big"),  # similar-to
        ("music", "wordnet-derived", "musical"),  # pertainym, read back to the adjective
        ("five", "numbers", "5"),
        ("5", "numbers", "five"),
        ("1st", "numbers", "first"),
        ("twenty one", "numbers", "21"),  # "twenty-one" as despin's tokens see it
        ("on", "function", "at"),
        ("could", "function", "would"),
        ("those", "function", "these"),
        ("became", "function", "was"),
        ("greater", "function", "more"),
        ("u s", "abbreviations", "united states"),  # "U.S." as tokens
        ("mln", "abbreviations", "million"),
        ("corporation", "abbreviations", "corp"),
        ("january", "abbreviations", "jan"),
    ],
)
def test_inverse_look_up_finds_known_entry(observed, source, original):
    assert original in _originals(observed, source)


def test_relations_leave_out_plain_synonyms():
    # A relation source adds only what the synonym source lacks: the channel can weigh it.
    for w in ("big", "ample", "music", "musical", "quick"):
        same = set(lexicon.synonyms(w, "wordnet"))
        assert not same & set(lexicon.synonyms(w, "wordnet-similar"))
        assert not same & set(lexicon.synonyms(w, "wordnet-derived"))
    assert lexicon.synonyms("ample", "wordnet-similar")  # the test is not vacuous


def test_q_spreads_over_a_words_alternatives():
    # "on" stands in for many prepositions, "5" only for "five": q = 1/n says so.
    n_on = dict(lexicon.inverse_entries("at", "function"))["on"]
    assert n_on == len(lexicon.synonyms("on", "function")) > 5
    assert dict(lexicon.inverse_entries("five", "numbers"))["5"] == 1


def test_unknown_source_raises_data_error():
    with pytest.raises(DataError, match="unknown lexicon source 'thesaurus-x'"):
        lexicon.inverse_entries("big", "thesaurus-x")
    with pytest.raises(DataError):
        lexicon.synonyms("big", "aiksaurus")


def test_default_sources_are_one_tuple_everywhere():
    assert lexicon.DEFAULT_SOURCES == Config().resources == candidates.TABLE_SOURCES
    assert set(lexicon.DEFAULT_SOURCES) <= set(lexicon.SOURCES)
    assert "five" in lexicon.inverse_synonyms("5")  # the number table is a default
    assert candidates.LOOSE_SOURCES <= set(lexicon.DEFAULT_SOURCES)  # the looser relations too, after the rest


def test_looser_relations_come_after_the_thesauri_and_never_displace_them():
    """The looser relations (similar-to, derivation, the LibreOffice thesaurus's related terms)
    add at most LOOSE_EXTRA candidates after the thesauri's: the thesauri's list and order are
    what they would be without them."""
    core = tuple(s for s in lexicon.DEFAULT_SOURCES if s not in candidates.LOOSE_SOURCES)
    added = 0
    for word in ("favourable", "organisation", "market", "quickly", "ample", "melodic"):
        full = candidates.compute_candidates(word, lexicon.DEFAULT_SOURCES)
        alone = candidates.compute_candidates(word, core)
        assert full[: len(alone)] == alone, word
        extra = full[len(alone):]
        assert len(extra) <= candidates.LOOSE_EXTRA
        assert all(c.relation in candidates.LOOSE_SOURCES and c.text not in {a.text for a in alone} for c in extra)
        added += len(extra)
    assert added  # the test is not vacuous
    # Asked alone (benchmarks/coverage.py's single-source view), a looser relation is not cut
    # to the extra places.
    alone = candidates.compute_candidates("ample", ("wordnet-similar",))
    assert len(alone) > candidates.LOOSE_EXTRA


def test_families_leave_together():
    assert lexicon.without_family(lexicon.SOURCES, "wordnet") == ("moby", "function", "numbers", "abbreviations")
    assert "moby" not in lexicon.without_family(lexicon.DEFAULT_SOURCES, "moby")


def test_candidates_from_new_sources():
    texts = {c.text: c for c in candidates.compute_candidates("five", ("numbers",))}
    assert "5" in texts and texts["5"].relation == "numbers"
    texts = {c.text: c for c in candidates.compute_candidates("could", ("function",))}
    assert "would" in texts and texts["would"].relation == "function"


def test_project_tables_match_build_script(tmp_path):
    # The shipped function/numbers/abbreviations files are exactly what the script writes.
    build = _build_script()
    for source, make in (("function", build.function_forward), ("numbers", build.numbers_forward),
                         ("abbreviations", build.abbreviations_forward)):
        build.write(tmp_path, source, make())
        for kind in ("lexicon", "inverse"):
            name = f"{kind}-{source}.tsv.gz"
            assert gzip.decompress((tmp_path / name).read_bytes()) == gzip.decompress((DATA / name).read_bytes()), name


def test_tables_are_symmetric_and_tokenised():
    build = _build_script()
    assert build._tokens("U.S.") == "u s" and build._tokens("Corp.") == "corp"
    for make in (build.function_forward, build.numbers_forward, build.abbreviations_forward):
        fwd = make()
        for head, alts in fwd.items():
            assert head == head.lower() and "  " not in head
            for alt in alts:
                assert head in fwd[alt], (head, alt)
    numbers = build.numbers_forward()
    assert all(str(n) in numbers for n in range(0, 100))


def test_shared_categories_order_candidates_when_moby_is_a_resource() -> None:
    """Words that share many Moby entries (a category thesaurus's co-members, which is where
    spinners' dictionaries come from) come first; without Moby the order is prior × channel."""
    assert candidates.shared_categories("fast", "quick") > 5
    assert candidates.shared_categories("fast", "banana") == 0
    with_moby = [c.text for c in candidates.compute_candidates("radio", lexicon.DEFAULT_SOURCES)]
    assert "press" in with_moby[:16]
    without = tuple(s for s in lexicon.DEFAULT_SOURCES if s != candidates.CATEGORY_SOURCE)
    assert "press" not in [c.text for c in candidates.compute_candidates("radio", without)][:16]
