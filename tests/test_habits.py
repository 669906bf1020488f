"""A spinner's habits (despin.habits) and the prior a profile gives generic candidates."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from despin import lexicon
from despin.cli import main
from despin.habits import HABITS_VERSION, estimate
from despin.learn import learn_pairs
from despin.profile import Profile, load, merge, save

from .test_learn import PARAGRAPHS, table_spin


@pytest.fixture(scope="module")
def profile() -> Profile:
    return learn_pairs(((p, table_spin(p)) for p in PARAGRAPHS), name="table")


def test_relations_say_which_lexicon_explains_the_substitutions(profile: Profile) -> None:
    rel = profile.habits["relations"]
    # Every one-word substitution of the test table is a thesaurus synonym of its
    # original in at least one source ("sizable" for "big", "tempest" for "storm"...).
    assert rel.get("none", 0.0) < 0.2
    assert max(rel.get(s, 0.0) for s in ("wordnet", "moby")) > 0.8
    assert set(rel) <= set(lexicon.SOURCES) | {"inflection", "spinner_table", "none"}


def test_rates_and_good_turing_estimates(profile: Profile) -> None:
    h = profile.habits
    assert h["version"] == HABITS_VERSION
    assert h["rate"] == pytest.approx(profile.summary["substituted_share"])
    assert profile.spin_rate == pytest.approx(h["rate"])
    # A fixed table: one substitute per original, and it never leaves a word it replaces.
    assert h["alternatives_per_original"] == 1.0
    assert h["kept_share_of_replaced"] == 0.0
    assert 0.0 <= h["new_type_substituted"] <= 1.0
    assert h["phrase_lengths"]["1>1"] > 0 and h["phrase_lengths"]["1>4"] > 0  # during -> in the course of


def test_a_spinner_that_varies_its_substitutes_shows_new_mappings() -> None:
    def vary(text: str, k: int) -> str:
        return text.replace("big", ["sizable", "large", "huge", "great"][k % 4])

    fixed = learn_pairs(((p, vary(p, 0)) for p in PARAGRAPHS))
    varied = learn_pairs(((p, vary(p, k)) for k, p in enumerate(PARAGRAPHS)))
    assert varied.habits["alternatives_per_original"] > fixed.habits["alternatives_per_original"]
    assert varied.habits["new_mapping"] > fixed.habits["new_mapping"]


def test_candidate_weight_follows_what_the_spinner_did(profile: Profile) -> None:
    # "the" was seen unchanged dozens of times: an unlikely original of a new substitute.
    # (against a word it never met through the same relation: the relation's share depends on
    # how many lexicon sources there are)
    assert profile.candidate_weight("huge", "the", "wordnet") < 0.05 * profile.candidate_weight("huge", "zebra", "wordnet")
    # A word the profile never met: no opinion beyond the relation's share.
    neutral = profile.candidate_weight("huge", "zebra", "no-such-relation")
    assert neutral == pytest.approx(1.0)
    # "big" is a head the spinner always replaced, but always by "sizable": a new
    # substitute for it is less likely than for a head it replaced in varied ways.
    always_same = profile.candidate_weight("huge", "big", "no-such-relation")
    varied = learn_pairs(((p, p.replace("big", w)) for p, w in zip(PARAGRAPHS, ["sizable", "large", "huge", "great"] * 2)))
    assert varied.candidate_weight("vast", "big", "no-such-relation") > always_same
    # The mapping the table holds is not penalised as "new".
    assert profile.candidate_weight("sizable", "big", "x") > always_same
    # The relation that explains more of the spinner's substitutions weighs more.
    rel = profile.habits["relations"]
    lo, hi = sorted(("wordnet", "moby"), key=lambda s: rel.get(s, 0.0))
    if rel.get(lo, 0.0) < rel.get(hi, 0.0):
        assert profile.candidate_weight("huge", "zebra", hi) > profile.candidate_weight("huge", "zebra", lo)
    for w in ("the", "big", "zebra"):
        assert 1e-3 <= profile.candidate_weight("x", w, "moby") <= 1e3


def test_habits_are_saved_shown_and_reestimated_after_merge(profile: Profile, tmp_path: Path) -> None:
    path = tmp_path / "t.profile"
    save(profile, path)
    header = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert header["habits"] == profile.habits
    loaded = load(path)
    assert loaded.stored_habits == profile.habits and loaded.habits == profile.habits
    # A stored block of another version is ignored and re-estimated.
    loaded.stored_habits = {"version": HABITS_VERSION + 1, "rate": 0.99}
    loaded.__dict__.pop("habits", None)
    assert loaded.habits["rate"] == pytest.approx(profile.habits["rate"])
    m = merge([profile, profile])
    assert m.habits["alternatives_per_original"] == 1.0
    r = CliRunner().invoke(main, ["profile", "show", str(path), "--top", "2"])
    assert r.exit_code == 0, r.output
    assert "substitutions explained by:" in r.output and "substitutes per original" in r.output
    r = CliRunner().invoke(main, ["profile", "show", str(path), "--json"])
    assert json.loads(r.output)["habits"]["version"] == HABITS_VERSION


def test_estimate_on_an_empty_profile() -> None:
    h = estimate(Profile.from_counts("empty", {}))
    assert h["relations"] == {} and h["new_mapping"] == 0.0 and h["alternatives_per_original"] == 0.0


def test_habits_weigh_the_lexicon_candidates_of_a_word_the_table_holds(profile: Profile) -> None:
    from despin.config import Config
    from despin.detector import candidates
    from despin.detector.units import read_document

    assert profile.originals("sizable")  # the table holds it ("big")
    doc = read_document("A sizable storm hit the town on Monday.")
    sources = tuple(Config().resources)
    units, _ = candidates.find_units(doc, Config(), [profile])
    unit = next(u for u in units if u.observed == "sizable")
    generic = [c for c in unit.cands if not c.relation.startswith("profile:")]
    plain = {c.text: c.q for c in candidates._plausible_candidates_as_read("sizable", sources)}
    assert generic and {c.text for c in generic} == set(plain)
    weights = [profile.candidate_weight("sizable", c.text, c.relation) for c in generic]
    assert any(abs(w - 1.0) > 0.01 for w in weights)
    for c, w in zip(generic, weights):
        assert c.q == pytest.approx(plain[c.text] * w)
