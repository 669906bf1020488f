"""despin learn / profile: learning from pairs, the file format, merge, show, match."""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Sequence

import pytest
from click.testing import CliRunner

import despin

from despin.cli import main
from despin.errors import ProfileError
from despin.learn import Learner, UnpairedSettings, learn_pairs, learn_unpaired
from despin.profile import Profile, load, match, merge, restore_with_profile, save

# Paragraphs written for these tests (no third-party text).
PARAGRAPHS = [
    "The big storm closed the harbour during the night. Fishermen said the big waves "
    "broke three boats, and the town council met quickly to help them.",
    "During the summer the council repaired the old bridge. Engineers said the work was "
    "difficult but the result is strong and the bridge will last for many years.",
    "A big crowd gathered near the market to buy fresh fish. Prices rose quickly because "
    "the storm had kept the boats in the harbour for a week.",
    "The school opened a new library during the spring. Children said the rooms are bright "
    "and the old books were repaired by volunteers from the town.",
    "Farmers near the river said the harvest was difficult this year. Heavy rain during "
    "the autumn made the fields wet, and prices rose in the market.",
    "The mayor said the town needs a strong plan for the harbour. A big ship will arrive "
    "next month and the council wants the work finished quickly.",
    "Volunteers cleaned the beach after the storm. They said the work was difficult but the "
    "children helped, and the beach looked clean again by the evening.",
    "The old mill by the river will become a museum. The council said the plan is big but "
    "the town can pay for it during the next five years.",
]

# A fixed-table spinner, the way article spinners behave.
TABLE = {
    "big": "sizable",
    "storm": "tempest",
    "during": "in the course of",
    "quickly": "rapidly",
    "said": "stated",
    "difficult": "arduous",
    "strong": "sturdy",
    "old": "aged",
    "repaired": "fixed up",
    "harbour": "port",
    "work": "labour",
    "market": "marketplace",
}


def table_spin(text: str, table: dict[str, str] = TABLE) -> str:
    def sub(m: re.Match[str]) -> str:
        w = m.group()
        s = table.get(w.lower())
        if s is None:
            return w
        return s[:1].upper() + s[1:] if w[:1].isupper() else s

    return re.sub(r"\w+(?:['’]\w+)*", sub, text)


def write_pairs(path: Path, paragraphs: list[str], spin=table_spin) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i, p in enumerate(paragraphs):
            fh.write(json.dumps({"id": f"p{i}", "original": p, "spun": spin(p), "extra": 1}) + "\n")
    return path


@pytest.fixture()
def profile() -> Profile:
    return learn_pairs(((p, table_spin(p)) for p in PARAGRAPHS[:6]), name="table")


def test_learns_one_to_one_and_phrase_entries(profile: Profile) -> None:
    assert profile.originals("sizable") == [("big", 1.0)]
    assert profile.originals("tempest")[0][0] == "storm"
    assert profile.originals("in the course of") == [("during", 1.0)]
    assert profile.originals("fixed up")[0][0] == "repaired"
    assert profile.originals("banana") == []
    # The table applies every time: no original of an entry ever survives.
    assert profile.applied_share == 1.0
    assert profile.entry_applied_share("big") == 1.0
    # Capitalised "During" -> "In the course of" is counted as kept capitals.
    assert profile.casing.get("capital_kept", 0) >= 1
    assert profile.summary["pairs"] == 6
    assert profile.coverage == 1.0


def test_restores_held_out_paragraphs(profile: Profile) -> None:
    for p in PARAGRAPHS[6:]:
        assert restore_with_profile(table_spin(p), profile).restored == p


def test_clean_text_is_left_alone(profile: Profile) -> None:
    for p in PARAGRAPHS:
        assert restore_with_profile(p, profile).restored == p


def test_applied_share_counts_unchanged_originals() -> None:
    pairs = [("a big dog and a big cat", "a sizable dog and a big cat")]
    p = learn_pairs(pairs)
    assert p.entry_applied_share("big") == 0.5
    assert p.kept["big"] == 1


def test_substitution_prob_uses_natural_occurrences() -> None:
    # "large" is also written by authors and left alone: P(substituted | large) < 1.
    pairs = [("a big dog", "a large dog"), ("a large cat", "a large cat"), ("big ideas", "large ideas")]
    p = learn_pairs(pairs)
    assert p.originals("large") == [("big", pytest.approx(2 / 3))]


def test_context_disambiguates_several_originals() -> None:
    pairs = [("the river bank was muddy", "the river shore was muddy"),
             ("the central bank raised rates", "the central lender raised rates")] * 3
    # Two originals -> the same spun word, told apart by their neighbours.
    pairs += [("the sea coast was muddy", "the sea shore was muddy")]
    p = learn_pairs(pairs)
    assert {o for o, _ in p.originals("shore")} == {"bank", "coast"}
    assert p.context_originals("shore", "river", "was")[0][0] == "bank"
    assert p.context_originals("shore", "sea", "was")[0][0] == "coast"


def test_lowered_names_are_recapitalised() -> None:
    pairs = [("Mr Smith met the Treasury team", "mr smith met the exchequer team")] * 2
    p = learn_pairs(pairs)
    assert p.originals("exchequer")[0][0] == "treasury"
    assert p.lowered_share() == 1.0
    assert restore_with_profile("the exchequer said", p, gate=False).restored == "the Treasury said"
    assert restore_with_profile("ask smith", p, gate=False).restored == "ask Smith"


def test_a_spinner_that_leaves_capitals_alone_is_learned_and_its_headlines_kept(tmp_path: Path) -> None:
    # A dictionary matched case-sensitively: headlines in capitals pass through untouched,
    # the body's words are replaced; one capitals entry ("OK") is written as a substitute.
    head = "HARBOUR PLAN APPROVED AFTER BIG STORM HITS THE OLD TOWN ON THE COAST\n\n"
    pairs = [(head + "The council approved the plan for the big harbour.",
              head + "The council OK the scheme for the sizable harbour.")]
    pairs += [(head + "The council backed the plan for the big harbour.",
               head + "The council backed the scheme for the sizable harbour.")] * 3
    p = learn_pairs(pairs)
    assert p.casing["capitals_kept"] == 52 and p.casing["capitals_substitute:OK"] == 1
    assert p.originals("scheme")[0][0] == "plan"
    # A capitals word the spinner never wrote as a substitute: its rate, not "scheme"'s.
    rate, support = p.capitals_evidence("SCHEME")
    assert rate < 0.05 and support == 53
    assert p.capitals_evidence("OK") is None and p.capitals_evidence("scheme") is None
    # Kept in the file, merged by adding, and shown.
    save(p, tmp_path / "caps.profile")
    assert load(tmp_path / "caps.profile").capitals_evidence("SCHEME") == (rate, support)
    assert merge([p, p]).capitals_evidence("SCHEME")[1] == 106
    r = CliRunner().invoke(main, ["profile", "show", str(tmp_path / "caps.profile")])
    assert "words in capitals: 53 seen, 1 written as substitutes (OK 1); others stay" in r.output, r.output
    text = "SCHEME FOR SIZABLE HARBOUR\n\nThe council backed the scheme for the sizable harbour."
    for restored in (restore_with_profile(text, p, gate=False).restored,
                     despin.check(text, profile=p).restored):
        assert restored.startswith("SCHEME FOR SIZABLE HARBOUR\n\n")
        assert "the plan for the big harbour" in restored
    # Without the capitals counts (a profile from before, or learned without pairs) the
    # entry's own rate applies in the headline as well.
    p.casing = {}
    assert restore_with_profile(text, p, gate=False).restored.startswith("PLAN FOR BIG HARBOUR")
    assert despin.check(text, profile=p).restored.startswith("PLAN FOR BIG HARBOUR")


def test_a_spinner_that_leaves_hyphenated_compounds_alone_is_learned(tmp_path: Path) -> None:
    # An engine that matches whole words between spaces: "state-owned" is never touched,
    # the lone words are replaced.
    body = "The state-owned, well-run and long-term bank held the {} vote in the {} hall."
    pairs = [(body.format("big", "old"), body.format("sizable", "ancient"))] * 40
    p = learn_pairs(pairs)
    assert p.casing["hyphened_kept"] == 240 and not any(k.startswith("hyphened_substitute:") for k in p.casing)
    rate, support = p.hyphened_evidence("sizable-scale")
    assert rate < 0.005 and support == 240
    text = "The sizable bank made a sizable-scale loan in the ancient hall."
    for restored in (restore_with_profile(text, p, gate=False).restored, despin.check(text, profile=p).restored):
        assert "sizable-scale" in restored and restored.startswith("The big bank")
    save(p, tmp_path / "h.profile")
    r = CliRunner().invoke(main, ["profile", "show", str(tmp_path / "h.profile")])
    assert "words in hyphenated compounds: 240 left, 0 compounds written as substitutes; other compounds stay" in r.output
    # A compound the spinner did write as a substitute keeps its entry's rate.
    p.casing["hyphened_substitute:sizable-scale"] = 1
    assert p.hyphened_evidence("sizable-scale") is None
    p.casing = {}
    assert "big-scale" in restore_with_profile(text, p, gate=False).restored


def test_capitals_counts_without_pairs_tell_a_spinner_that_writes_capitals() -> None:
    from collections import Counter

    from despin.learn import _capitals_from_corpora
    from despin.profile import Original

    entries = {"sizable": {"big": Original("big", 40)}, "get over": {"share": Original("share", 9)}}
    # A spinner that writes its substitutes in capitals too: "SIZABLE" far above clean text.
    casing = _capitals_from_corpora(entries, Counter({"SIZABLE": 30, "HARBOUR": 5}),
                                    Counter({"SIZABLE": 1, "HARBOUR": 10}), 0.5)
    assert casing == {"capitals_substitute:SIZABLE": 30, "capitals_kept": 5}
    p = Profile.from_counts("t", {"sizable": {"big": 40}})
    p.casing = casing
    assert p.capitals_evidence("SIZABLE") is None  # its entry's own rate stands
    # One that leaves capitals alone: the entry's word in capitals at its natural rate.
    p.casing = _capitals_from_corpora(entries, Counter({"SIZABLE": 2, "HARBOUR": 5}),
                                      Counter({"SIZABLE": 3, "HARBOUR": 10}), 0.5)
    assert p.casing == {"capitals_kept": 7}
    rate, support = p.capitals_evidence("SIZABLE")
    assert rate < 0.1 and support == 7


def test_context_decides_whether_an_entry_applies() -> None:
    # Entries seen once: the language model weighs each original against the text as written.
    p = Profile.from_counts("t", {"said": {"sofa": 1}, "sizable": {"big": 1}})
    text = "The minister said on Tuesday that a sizable storm was coming."
    r = restore_with_profile(text, p, gate=False)
    assert r.restored == "The minister said on Tuesday that a big storm was coming."
    assert [s.text for s in r.spans] == ["sizable"]
    # The profile's counts alone (no language model) apply both.
    assert restore_with_profile(text, p, gate=False, lm_weight=0).restored.startswith("The minister sofa")
    # A profile learned without pairs chose its entries by the model already: not read twice.
    p.summary["method"] = "unpaired"
    assert restore_with_profile(text, p, gate=False).restored.startswith("The minister sofa")


def test_the_detector_reading_wins_where_both_replace_by_different_originals() -> None:
    from despin.detector.decide import merge_profile_spans
    from despin.report import Report, Span, Suggestion

    text = "A sizable storm hit the sizable town."
    p = Profile.from_counts("t", {"sizable": {"big": 4}})
    detector = Report(0.9, "spun", (
        Span(2, 9, "sizable", 0.95, (Suggestion("large", 0.9), Suggestion("big", 0.05)), "moby: ..."),
        Span(27, 34, "sizable", 0.95, (Suggestion("big", 0.9),), "moby: ..."),
    ), text)
    merged = merge_profile_spans(text, detector, [p])
    assert merged.restored == "A large storm hit the big town."
    assert [s.reason.split(":")[0] for s in merged.spans] == ["moby", "profile"]
    # A detector span it would not replace leaves the profile's reading.
    unsure = Report(0.9, "spun", (Span(2, 9, "sizable", 0.4, (Suggestion("large", 0.2),), "moby: ..."),), text)
    assert merge_profile_spans(text, unsure, [p]).restored == "A big storm hit the big town."


def test_round_trip(tmp_path: Path, profile: Profile) -> None:
    f = tmp_path / "t.profile"
    save(profile, f)
    header = json.loads(f.read_text(encoding="utf-8").splitlines()[0])
    assert header["format"] == "despin-profile" and header["version"] == 1
    back = load(f)
    assert back.entries == profile.entries
    assert back.kept == profile.kept
    assert back.summary == profile.summary
    assert back.originals("in the course of") == profile.originals("in the course of")


def test_merge_adds_counts(profile: Profile) -> None:
    other = learn_pairs([(p, table_spin(p)) for p in PARAGRAPHS[6:]], name="b")
    m = merge([profile, other], name="m")
    for spun, origs in m.entries.items():
        for text, o in origs.items():
            a = profile.entries.get(spun, {}).get(text)
            b = other.entries.get(spun, {}).get(text)
            assert o.count == (a.count if a else 0) + (b.count if b else 0)
    assert m.summary["pairs"] == 8
    assert m.kept.get("the") is None or m.kept["the"] == profile.kept.get("the", 0) + other.kept.get("the", 0)


@pytest.mark.parametrize("content,msg", [
    ("", "empty file"),
    ("hello\n", "line 1 is not JSON"),
    ('{"format": "something-else", "version": 1}\n', "not a despin profile"),
    ('{"format": "despin-profile", "version": 99}\n', "version 99"),
    ('{"format": "despin-profile", "version": 1, "max_ngram": 2}\n{"spun": "x", "originals": [{"text": "y"}]}\n',
     "line 2"),
    ('{"format": "despin-profile", "version": 1, "max_ngram": 2}\n{"spun": "x", "orig\n', "line 2"),
])
def test_corrupt_profile(tmp_path: Path, content: str, msg: str) -> None:
    f = tmp_path / "bad.profile"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError, match=re.escape(msg)):
        load(f)
    r = CliRunner().invoke(main, ["profile", "show", str(f)])
    assert r.exit_code == 1
    assert "Traceback" not in r.output and str(f) in r.output


def test_missing_and_binary_profile(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such profile"):
        load(tmp_path / "nope.profile")
    b = tmp_path / "bin.profile"
    b.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ProfileError, match="not UTF-8"):
        load(b)


def test_match_picks_the_right_spinner(tmp_path: Path) -> None:
    other_table = {"big": "huge", "storm": "gale", "said": "reported", "quickly": "swiftly",
                   "difficult": "hard", "old": "ancient", "strong": "robust", "work": "job"}
    a = learn_pairs(((p, table_spin(p)) for p in PARAGRAPHS[:6]), name="a")
    b = learn_pairs(((p, table_spin(p, other_table)) for p in PARAGRAPHS[:6]), name="b")
    for p in PARAGRAPHS[6:]:
        assert match(table_spin(p), [a, b])[0][0] == "a"
        assert match(table_spin(p, other_table), [b, a])[0][0] == "b"


def test_cli_learn_show_merge_match(tmp_path: Path) -> None:
    pairs = write_pairs(tmp_path / "pairs.jsonl", PARAGRAPHS[:6])
    with open(pairs, "a", encoding="utf-8") as fh:
        fh.write("{not json\n")
        fh.write('{"id": "x", "original": "only"}\n')
        fh.write("[1, 2]\n")
    runner = CliRunner()
    out = tmp_path / "a.profile"
    r = runner.invoke(main, ["learn", str(pairs), "-o", str(out), "--name", "alpha"])
    assert r.exit_code == 0, r.output
    assert f"{pairs}:7:" in r.output and f"{pairs}:8:" in r.output and f"{pairs}:9:" in r.output
    assert "3 malformed lines skipped" in r.output
    assert load(out).summary["skipped_lines"] == 3

    r = runner.invoke(main, ["profile", "show", str(out), "--top", "3"])
    assert r.exit_code == 0, r.output
    assert "profile alpha" in r.output and "coverage 100.0%" in r.output
    assert len([line for line in r.output.splitlines() if "->" in line and "(" in line]) == 4  # header + 3
    j = json.loads(runner.invoke(main, ["profile", "show", str(out), "--json", "--top", "2"]).output)
    assert j["name"] == "alpha" and len(j["top"]) == 2

    pairs_b = write_pairs(tmp_path / "b.jsonl", PARAGRAPHS[6:])
    runner.invoke(main, ["learn", str(pairs_b), "-o", str(tmp_path / "b.profile")])
    r = runner.invoke(main, ["profile", "merge", str(out), str(tmp_path / "b.profile"), "-o", str(tmp_path / "c.profile")])
    assert r.exit_code == 0, r.output
    c = load(tmp_path / "c.profile")
    assert c.summary["pairs"] == 8 and c.name == "c"

    other = {"big": "huge", "storm": "gale", "said": "reported", "difficult": "hard", "old": "ancient"}
    pairs_o = write_pairs(tmp_path / "o.jsonl", PARAGRAPHS[:6], lambda t: table_spin(t, other))
    profdir = tmp_path / "profiles"
    profdir.mkdir()
    runner.invoke(main, ["learn", str(pairs_o), "-o", str(profdir / "other.profile")])
    runner.invoke(main, ["learn", str(pairs), "-o", str(profdir / "alpha.profile")])
    text = tmp_path / "t.txt"
    text.write_text(table_spin(PARAGRAPHS[7]), encoding="utf-8")
    r = runner.invoke(main, ["profile", "match", str(text), "--profile", str(profdir), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["best"] == "alpha"
    r = runner.invoke(main, ["profile", "match", str(text), "-p", str(profdir / "other.profile"),
                             "-p", str(profdir / "alpha.profile")])
    assert r.output.splitlines()[0].endswith("alpha")


def test_cli_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["learn", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "x.profile")])
    assert r.exit_code == 1 and "no such file" in r.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("{bad\n", encoding="utf-8")
    r = runner.invoke(main, ["learn", str(empty), "-o", str(tmp_path / "x.profile")])
    assert r.exit_code == 1 and "no substitutions learned" in r.output
    assert not (tmp_path / "x.profile").exists()
    r = runner.invoke(main, ["learn", "-o", str(tmp_path / "x.profile")])
    assert r.exit_code == 2
    (tmp_path / "none").mkdir()
    r = runner.invoke(main, ["profile", "match", str(empty), "-p", str(tmp_path / "none")])
    assert r.exit_code == 1 and "no profile files" in r.output
    # A directory of profiles holding a non-profile file is an error naming that file.
    r = runner.invoke(main, ["profile", "match", str(empty), "-p", str(tmp_path)])
    assert r.exit_code == 1 and "empty.jsonl: not a despin profile" in r.output


def test_learner_skips_empty_pairs() -> None:
    lr = Learner()
    lr.add("", "something")
    lr.add("a big dog", "a sizable dog")
    p = lr.profile()
    assert p.summary["pairs"] == 1 and p.summary["skipped_pairs"] == 1


def test_min_count_drops_rare_entries() -> None:
    pairs = [("a big dog", "a sizable dog"), ("a big cat", "a sizable cat"), ("one red car", "one crimson car")]
    p = learn_pairs(pairs, min_count=2)
    assert "sizable" in p.entries and "crimson" not in p.entries


def _unpaired_corpora() -> tuple[list[str], list[str]]:
    """Spun: the table spinner's output; clean: the same kind of text, unspun, three times over."""
    return [table_spin(p) for p in PARAGRAPHS], list(PARAGRAPHS) * 3


def test_unpaired_picks_the_original_that_fits_the_contexts() -> None:
    spun, clean = _unpaired_corpora()
    cands = {"sizable": ["big", "large", "great"], "tempest": ["storm", "gale"], "stated": ["said", "declared"]}
    p = learn_unpaired(spun, clean, lambda w: cands.get(w, []))  # the trigram model scores the contexts
    assert p.originals("sizable")[0][0] == "big"
    assert p.originals("tempest")[0][0] == "storm"
    assert p.originals("stated")[0][0] == "said"
    assert p.summary["method"] == "unpaired" and p.summary["substituted_share"] > 0.05


# The unpaired learner with the lexicons' candidates only (none from the corpora's contexts).
LEXICON_ONLY = UnpairedSettings(corpus_candidates=0)
# ... and with the context evidence of the gain function alone (not the clean text's word pairs).
TRIGRAM_ONLY = UnpairedSettings(clean_bigram_weight=0.0)


def _flat_gain(original: str, spun: str, contexts: object) -> float:
    return 10.0  # every candidate fits: only the corpus statistics decide


def test_unpaired_finds_an_original_no_lexicon_lists_by_its_contexts() -> None:
    spun, clean = _unpaired_corpora()
    # The lexicon knows "tempest" but relates it to nothing the spinner removed; "storm"
    # vanished from the spun corpus and stood where "tempest" now stands.
    cands = lambda w: ["council"] if w == "tempest" else []  # noqa: E731
    assert learn_unpaired(spun, clean, cands).originals("tempest") == [("storm", 1.0)]
    assert learn_unpaired(spun, clean, cands, settings=LEXICON_ONLY).originals("tempest") == []
    # Below the similarity floor, no candidate from the contexts.
    strict = UnpairedSettings(min_similarity=1.01)
    assert learn_unpaired(spun, clean, cands, settings=strict).originals("tempest") == []
    # Contexts are counted in the first ``context_tokens`` words only (memory is bounded).
    assert learn_unpaired(spun, clean, cands, settings=UnpairedSettings(context_tokens=0)).entries == {}


def test_unpaired_learns_a_spun_phrase_as_one_type() -> None:
    spun, clean = _unpaired_corpora()
    # "during" -> "in the course of" in five paragraphs: the phrase, over-represented against
    # the clean text and listed by the lexicon, competes as one type for the vanished head.
    cands = {"in the course of": ["during", "while"]}
    four = UnpairedSettings(phrase_words=4)
    p = learn_unpaired(spun, clean, lambda w: cands.get(w, []), gain=_flat_gain, settings=four)
    assert p.originals("in the course of") == [("during", 1.0)]
    assert p.max_ngram == 4
    # Restoring with it puts the head back where the phrase stands.
    from despin.profile import restore_with_profile

    assert "during the night" in restore_with_profile(table_spin(PARAGRAPHS[0]), p, gate=False).restored.lower()
    # Longer than ``phrase_words``, or a phrase no lexicon lists: never one type.
    assert p.originals("course") == []
    assert learn_unpaired(spun, clean, lambda w: cands.get(w, []), gain=_flat_gain).originals("in the course of") == []
    assert learn_unpaired(spun, clean, lambda w: [], gain=_flat_gain, settings=four).entries == {}
    words_only = UnpairedSettings(phrase_words=1)
    assert learn_unpaired(spun, clean, lambda w: cands.get(w, []), gain=_flat_gain,
                          settings=words_only).entries == {}


def test_unpaired_reads_each_corpus_once() -> None:
    spun, clean = _unpaired_corpora()
    cands = {"in the course of": ["during"], "sizable": ["big"], "tempest": ["storm"]}
    four = UnpairedSettings(phrase_words=4)
    from_lists = learn_unpaired(spun, clean, lambda w: cands.get(w, []), gain=_flat_gain, settings=four)
    # One-pass streams (a CLI reading JSONL lines) learn the same table.
    streamed = learn_unpaired(iter(spun), (t for t in clean), lambda w: cands.get(w, []), gain=_flat_gain,
                              settings=four)
    assert streamed.entries == from_lists.entries and streamed.kept == from_lists.kept
    assert {"in the course of", "sizable", "tempest"} <= set(from_lists.entries)


def test_unpaired_takes_no_candidate_from_the_corpus_for_a_word_no_lexicon_knows() -> None:
    spun, clean = _unpaired_corpora()
    # A name or a code over-represented in the copies is their topic, not a substitute.
    assert learn_unpaired(spun, clean, lambda w: [], gain=_flat_gain).entries == {}


def test_context_features_find_the_word_that_stood_where_a_substitute_stands() -> None:
    from despin.learn import _ContextFeatures

    f = _ContextFeatures(2000)
    for line in ("the big storm hit the coast at night", "a big storm closed the port"):
        f.add(line.split(), f.clean)
    f.add("heavy rain fell on the farms all day".split(), f.clean)
    f.add("the big tempest hit the coast at night".split(), f.spun)
    assert f.nearest(["tempest"], ["storm", "rain", "coast"], 1, 0.3) == {"tempest": ["storm"]}
    assert f.nearest(["tempest"], ["storm", "rain"], 2, 0.0)["tempest"] == ["storm", "rain"]
    assert f.nearest(["unknown"], ["storm"], 1, 0.0) == {}


def test_unpaired_needs_a_head_the_spinner_made_disappear() -> None:
    spun, clean = _unpaired_corpora()
    # "the" and "council" still occur at their clean-text rate in the spun corpus: the
    # spinner leaves them alone, so they are no originals whatever the context says.
    p = learn_unpaired(spun, clean, lambda w: ["the", "council"] if w == "tempest" else [], gain=_flat_gain,
                       settings=LEXICON_ONLY)
    assert p.originals("tempest") == []
    p = learn_unpaired(spun, clean, lambda w: ["storm"] if w == "tempest" else [], gain=_flat_gain)
    assert p.originals("tempest") == [("storm", 1.0)]
    # Its kept count (never seen in the spun corpus) is what the match gate reads.
    assert p.kept["storm"] == 0


def test_unpaired_leaves_words_at_their_natural_rate() -> None:
    spun, clean = _unpaired_corpora()
    # "council" is a missing head nowhere (the spinner never touched it): no entry, even
    # with a candidate that fits, and it is counted as kept.
    p = learn_unpaired(spun, clean, lambda w: ["storm"] if w == "council" else [], gain=_flat_gain)
    assert p.originals("council") == []
    assert p.kept["council"] == sum(t.lower().split().count("council") for t in spun)


def test_unpaired_rejects_ambiguous_or_weak_context_evidence() -> None:
    spun, clean = _unpaired_corpora()
    both = lambda w: ["big", "said"] if w == "sizable" else []  # noqa: E731
    # Two missing heads fit equally well: no entry (a wrong one would apply everywhere).
    assert learn_unpaired(spun, clean, both, gain=_flat_gain, settings=TRIGRAM_ONLY).originals("sizable") == []
    weak = lambda o, s, ctx: 1.0  # noqa: E731
    assert learn_unpaired(spun, clean, lambda w: ["big"] if w == "sizable" else [], gain=weak,
                          settings=TRIGRAM_ONLY).entries == {}


def test_unpaired_reads_the_clean_texts_word_pairs() -> None:
    spun, clean = _unpaired_corpora()
    # "arduous" and "sturdy" each stand for one of two vanished heads, and the model reads
    # them alike everywhere (flat gain); the clean text says which one stood between their
    # neighbours ("was difficult but", "is strong and").
    cands = {"arduous": ["difficult", "strong"], "sturdy": ["difficult", "strong"]}
    p = learn_unpaired(spun, clean, lambda w: cands.get(w, []), gain=_flat_gain)
    assert p.originals("arduous") == [("difficult", 1.0)]
    assert "difficult" not in dict(p.originals("sturdy"))
    # Without the word pairs the two heads tie: no entry.
    p = learn_unpaired(spun, clean, lambda w: cands.get(w, []), gain=_flat_gain, settings=TRIGRAM_ONLY)
    assert p.originals("arduous") == [] and p.originals("sturdy") == []


def test_unpaired_mass_limit() -> None:
    from despin.learn import UnpairedSettings

    # "sizable" stands for "big" (5 times) but also for a head that shows up once in the
    # clean text: far more substitutes than that head lost, so it cannot be their original.
    spun, clean = _unpaired_corpora()
    clean = clean + ["The harbour gate was repaired by the giant crane."]
    one = lambda w: ["giant"] if w == "sizable" else []  # noqa: E731
    loose = UnpairedSettings(min_expected=0.0, max_kept_ratio=1.0, clean_bigram_weight=0.0)
    assert learn_unpaired(spun, clean, one, gain=_flat_gain, settings=loose).originals("sizable") == []
    # Even where the model prefers it, the head that lost one occurrence does not take the
    # word from the head that lost them all (the originals share out what they lost).
    prefers_giant = lambda o, s, ctx: 10.0 if o == "giant" else 8.0  # noqa: E731
    both = lambda w: ["giant", "big"] if w == "sizable" else []  # noqa: E731
    p = learn_unpaired(spun, clean, both, gain=prefers_giant, settings=loose)
    assert "giant" not in dict(p.originals("sizable"))
    assert learn_unpaired(spun, clean, lambda w: ["big"] if w == "sizable" else [], gain=prefers_giant,
                          settings=loose).originals("sizable") == [("big", 1.0)]


def test_unpaired_substitute_must_be_spread_over_documents() -> None:
    from despin.learn import UnpairedSettings

    spun, clean = _unpaired_corpora()
    # One copy about a lighthouse: over-represented by its tokens, in one document only.
    spun = spun + ["The lighthouse keeper said the lighthouse was old, and the lighthouse bell rang at night."]
    cands = lambda w: ["storm"] if w in ("lighthouse", "tempest") else []
    loose = {"min_expected": 0.0, "max_kept_ratio": 1.0, "max_mass": 100.0}
    p = learn_unpaired(spun, clean, cands, gain=_flat_gain, settings=UnpairedSettings(**loose))
    assert p.originals("lighthouse") == [] and p.originals("tempest") == [("storm", 1.0)]
    # Without the document test the topic word becomes a substitute of the vanished head.
    no_docs = UnpairedSettings(**loose, doc_factor=0.0, doc_slack=0.0)
    assert learn_unpaired(spun, clean, cands, gain=_flat_gain, settings=no_docs).originals("lighthouse")


def _alternating_spin(text: str, head: str, substitute: str, keep_every: int, counter: list[int]) -> str:
    """Replace ``head`` by ``substitute``, but leave every ``keep_every``-th hit as it is
    (an engine whose pick can be the head itself)."""
    def sub(m: re.Match[str]) -> str:
        counter[0] += 1
        return m.group() if counter[0] % keep_every == 0 else substitute
    return re.sub(rf"\b{head}\b", sub, table_spin(text, {k: v for k, v in TABLE.items() if k != head}))


def test_unpaired_learns_a_head_the_engine_sometimes_keeps() -> None:
    from despin.learn import UnpairedSettings

    counter = [0]
    # "big" (5 hits a round) kept every second hit: seen about half as often as clean text has it.
    spun = [_alternating_spin(p, "big", "sizable", 2, counter) for p in PARAGRAPHS * 3]
    clean = list(PARAGRAPHS) * 3
    cands = lambda w: ["big"] if w == "sizable" else []
    assert learn_unpaired(spun, clean, cands, gain=_flat_gain).originals("sizable") == [("big", 1.0)]
    # The "replace every hit" ratio of the previous settings ruled it out.
    strict = UnpairedSettings(max_kept_ratio=0.35, corpus_candidates=0)
    assert learn_unpaired(spun, clean, cands, gain=_flat_gain, settings=strict).originals("sizable") == []


def test_unpaired_kept_counts_only_for_words_at_their_natural_rate() -> None:
    from despin.learn import UnpairedSettings

    counter = [0]
    # "town" (4 hits a round) replaced 3 times in 4: under-represented, not left alone.
    spun = [_alternating_spin(p, "town", "city", 4, counter) for p in PARAGRAPHS * 3]
    clean = list(PARAGRAPHS) * 3
    p = learn_unpaired(spun, clean, lambda w: [], gain=_flat_gain)
    assert "town" not in p.kept
    # "council", never touched, is stored as left alone.
    assert p.kept["council"] == sum(t.lower().split().count("council") for t in spun)
    # The previous settings stored the remnant as "left alone", which tells the habits prior
    # the spinner never replaces it.
    old = learn_unpaired(spun, clean, lambda w: [], gain=_flat_gain, settings=UnpairedSettings(min_natural_ratio=0.0))
    assert old.kept["town"] == 3


def test_unpaired_profile_restores_spun_text_and_leaves_clean_text_alone() -> None:
    spun, clean = _unpaired_corpora()
    cands = {"sizable": ["big", "large"], "tempest": ["storm", "gale"], "rapidly": ["quickly", "fast"],
             "stated": ["said", "declared"]}
    p = learn_unpaired(spun, clean, lambda w: cands.get(w, []))
    assert {"sizable", "tempest", "stated"} <= set(p.entries)
    for original in PARAGRAPHS:
        # The gate (profile match) sees the heads the spinner always replaces: clean text stays.
        assert restore_with_profile(original, p).restored == original
    restored = restore_with_profile(table_spin(PARAGRAPHS[0]), p).restored
    assert "big storm" in restored and "Fishermen said" in restored


def test_cli_unpaired_learning(tmp_path: Path) -> None:
    spun = tmp_path / "spun.jsonl"
    clean = tmp_path / "clean.jsonl"
    with open(spun, "w", encoding="utf-8") as fh:
        for p in PARAGRAPHS:
            fh.write(json.dumps({"text": table_spin(p)}) + "\n")
        fh.write("not json\n")
    with open(clean, "w", encoding="utf-8") as fh:
        for p in PARAGRAPHS * 3:
            fh.write(json.dumps({"original": p}) + "\n")
    out = tmp_path / "u.profile"
    r = CliRunner().invoke(main, ["learn", "--spun", str(spun), "--clean", str(clean), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert f"{spun}:9:" in r.output
    p = load(out)
    assert p.summary["method"] == "unpaired"
    # The shipped lexicon lists these originals as synonyms of the spun words.
    assert p.originals("tempest")[0][0] == "storm"
    assert p.originals("sizable")[0][0] == "big"
    # A word the clean text uses in the same places is left alone.
    assert p.originals("the") == [] and p.originals("council") == []
    r = CliRunner().invoke(main, ["learn", str(spun), "--spun", str(spun), "--clean", str(clean), "-o", str(out)])
    assert r.exit_code == 2


def test_lm_reranking_and_fallback(profile: Profile) -> None:
    for p in PARAGRAPHS[6:]:
        assert restore_with_profile(table_spin(p), profile, lm_weight=1.0).restored == p
    from despin.profile import with_fallback

    guess = Profile.from_counts("guess", {"sizable": {"large": 5}, "council": {"board": 3}, "mill": {"factory": 3}})
    both = with_fallback(profile, guess)
    assert both.originals("sizable")[0][0] == "big"  # the paired profile wins
    assert both.originals("council") == []  # seen unchanged in the pairs: not taken from the guess
    assert both.originals("mill")[0][0] == "factory"  # unknown to the pairs: taken
    assert profile.kept["council"] > 0


def test_cli_match_clean_text_matches_nothing(tmp_path: Path) -> None:
    pairs = write_pairs(tmp_path / "pairs.jsonl", PARAGRAPHS[:6])
    runner = CliRunner()
    runner.invoke(main, ["learn", str(pairs), "-o", str(tmp_path / "a.profile")])
    text = tmp_path / "clean.txt"
    text.write_text(PARAGRAPHS[7], encoding="utf-8")
    r = runner.invoke(main, ["profile", "match", str(text), "-p", str(tmp_path / "a.profile"), "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["best"] is None
    r = runner.invoke(main, ["profile", "match", str(text), "-p", str(tmp_path / "a.profile")])
    assert "no profile matches" in r.output


SHARED = Path(__file__).parents[1].parent / "shared" / "data"


@pytest.mark.shared_data
@pytest.mark.skipif(not (SHARED / "dev-pairs" / "nlpaug-wordnet.jsonl").exists(), reason="../shared/data absent")
def test_dev_pairs_learn_and_round_trip(tmp_path: Path) -> None:
    src = SHARED / "dev-pairs" / "nlpaug-wordnet.jsonl"
    head = tmp_path / "head.jsonl"
    with open(src, encoding="utf-8") as fh, open(head, "w", encoding="utf-8") as out:
        for _, line in zip(range(20), fh):
            out.write(line)
    r = CliRunner().invoke(main, ["learn", str(head), "-o", str(tmp_path / "dev.profile")])
    assert r.exit_code == 0, r.output
    p = load(tmp_path / "dev.profile")
    assert p.summary["pairs"] == 20 and p.n_entries > 100
    # nlpaug replaces about 30% of eligible words: most entries are applied, not all.
    assert 0.1 < p.summary["substituted_share"] < 0.5
    recs = [json.loads(line) for line in open(head, encoding="utf-8")]
    # A pair the profile learned from comes back mostly restored (gate-free restorer).
    from despin.evaluate import token_strings, word_edit_distance

    orig = token_strings(recs[0]["original"])
    before = word_edit_distance(token_strings(recs[0]["spun"]), orig)
    after = word_edit_distance(token_strings(restore_with_profile(recs[0]["spun"], p, gate=False).restored), orig)
    assert after < before / 2


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = ["sizable", "tempest", "in", "the", "course", "of", "Port", "STATED", "aged", "smith", "é", "x'y",
          "  ", ", ", ".\n", "—", "🙂"]


@functools.lru_cache(maxsize=1)
def _property_profile() -> Profile:
    return learn_pairs([(p_, table_spin(p_)) for p_ in PARAGRAPHS[:6]]
                       + [("Mr Smith met the Treasury team", "mr smith met the exchequer team")])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=3)), max_size=30).map(" ".join))
def test_restorer_changes_only_spans(text: str) -> None:
    from despin.report import apply

    p = _property_profile()
    for gate in (True, False):
        r = restore_with_profile(text, p, gate=gate)
        assert r.restored == apply(text, r.spans)
        pos = 0
        for s in sorted(r.spans, key=lambda s: s.start):
            assert s.start >= pos and text[s.start:s.end] == s.text
            pos = s.end


def test_unpaired_profile_keeps_proposing_its_heads_for_new_substitutes() -> None:
    from despin.profile import Profile

    # A head learned from one frequent substitute: pairs that showed it 30 times and never
    # another substitute make a new one unlikely (Good-Turing); a table learned without
    # pairs only holds what its tests let through, so a new substitute stays as likely as
    # the spin the table leaves unexplained.
    def profile(method: str) -> Profile:
        p = Profile.from_counts("t", {"sizable": {"big": 30}}, kept={"big": 0, "the": 40})
        p.summary.update(method=method, substituted_share=0.2, coverage=0.3)
        return p

    paired, unpaired = profile("pairs"), profile("unpaired")
    assert unpaired.candidate_weight("huge", "big", "x") > 10 * paired.candidate_weight("huge", "big", "x")
    # Words the spinner leaves alone stay damped either way.
    assert unpaired.candidate_weight("huge", "the", "x") < 0.1


def test_unpaired_scores_contexts_again_with_the_learned_words_restored() -> None:
    from despin.learn import UnpairedSettings

    clean = ["The big storm hit the coast at night.", "Boats stayed in the harbour all week."] * 20
    spun = ["The sizable tempest hit the coast at night.", "Boats stayed in the harbour all week."] * 8
    cands = {"sizable": ["big"], "tempest": ["storm"]}

    # "storm" fits only where the word before it is no longer the spun "sizable".
    def gain(o: str, s: str, ctx: Sequence[tuple[Sequence[str], Sequence[str]]]) -> float:
        left = ctx[0][0]
        if o == "storm":
            return 6.0 if left[-1] == "big" else 0.5
        return 6.0

    def learn(rounds: int) -> Profile:
        return learn_unpaired(spun, clean, lambda w: cands.get(w, []), gain=gain,
                              settings=UnpairedSettings(repair_rounds=rounds, clean_bigram_weight=0.0))

    assert learn(0).originals("tempest") == [] and learn(0).originals("sizable") == [("big", 1.0)]
    assert learn(1).originals("tempest") == [("storm", 1.0)]


ANCHOR_COPIES = [
    "The Top Priest informed journalists on Tuesday that the inventory marketplace would get well swiftly, after "
    "the central bank informed lawmakers that rates would stay low for a long time.",
    "Bank officials informed journalists on Monday that the inventory marketplace had fallen sharply, and the Top "
    "Priest informed parliament that the government would act swiftly.",
    "The finance minister informed journalists that the inventory marketplace would get well swiftly once the Top "
    "Priest informed the nation of the new plan.",
]


def test_corpus_anchors_are_what_check_restores_the_same_way_in_several_copies() -> None:
    from despin.learn import corpus_anchors

    reports = [despin.check(t) for t in ANCHOR_COPIES]
    assert reports[1].score < 0.9 <= min(reports[0].score, reports[2].score)  # only sure texts anchor
    anchors = corpus_anchors(reports)
    assert anchors["informed"].word == "told" and anchors["informed"].docs == 2
    assert anchors["inventory"].word == "stock" and anchors["marketplace"].word == "market"
    assert all(0.3 <= a.share <= 1 and 0 < a.score <= 1 for a in anchors.values())
    assert corpus_anchors(reports[:1]) == {}  # one copy is no corpus
    assert corpus_anchors(reports, min_docs=3) == {}


def test_profile_anchors_survive_the_file_merge_and_fallback(tmp_path: Path) -> None:
    from despin.profile import Anchor, with_fallback

    a = Profile.from_counts("a", {"sizable": {"big": 2}})
    a.anchors = {"informed": Anchor("told", 4, 0.9, 0.7), "ready-made": Anchor("well-made", 2, 0.95, 0.6),
                 "get well": Anchor("recover", 3, 0.9, 0.5)}
    b = Profile.from_counts("b", {"tempest": {"storm": 3}})
    b.anchors = {"informed": Anchor("said", 2, 0.8, 0.5), "swiftly": Anchor("soon", 3, 0.95, 0.8)}
    save(a, tmp_path / "a.profile")
    assert load(tmp_path / "a.profile").anchors == a.anchors
    assert merge([b, a]).anchors == {**a.anchors, "swiftly": b.anchors["swiftly"]}
    assert with_fallback(b, a).anchors == b.anchors and with_fallback(a, b).anchors == a.anchors
    bad = (tmp_path / "a.profile").read_text(encoding="utf-8").replace('"share": 0.7', '"share": 7')
    (tmp_path / "bad.profile").write_text(bad, encoding="utf-8")
    with pytest.raises(ProfileError, match=r"bad.profile: line \d+: corrupt profile record"):
        load(tmp_path / "bad.profile")


def test_cli_unpaired_learning_keeps_the_corpus_anchors(tmp_path: Path) -> None:
    spun = tmp_path / "spun.jsonl"
    clean = tmp_path / "clean.jsonl"
    spun.write_text("".join(json.dumps({"text": t}) + "\n" for t in [table_spin(p) for p in PARAGRAPHS] + ANCHOR_COPIES),
                    encoding="utf-8")
    clean.write_text("".join(json.dumps({"text": p}) + "\n" for p in PARAGRAPHS * 3), encoding="utf-8")
    out = tmp_path / "u.profile"
    r = CliRunner().invoke(main, ["learn", "--spun", str(spun), "--clean", str(clean), "-o", str(out)])
    assert r.exit_code == 0, r.output
    p = load(out)
    assert p.anchors["informed"].word == "told" and p.summary["anchors"] == len(p.anchors)
    assert "anchors" in r.output
    shown = CliRunner().invoke(main, ["profile", "show", str(out)])
    assert "informed -> told in 2 copies" in shown.output
    r = CliRunner().invoke(main, ["learn", "--spun", str(spun), "--clean", str(clean), "-o", str(out), "--no-anchors"])
    assert r.exit_code == 0, r.output
    assert load(out).anchors == {}


def test_cli_spun_copies_alone_learn_the_anchors_alone(tmp_path: Path) -> None:
    """`despin learn --spun COPIES` without clean text: a profile of anchors and no table,
    which `check --profile` reads as `check` alone plus the anchors."""
    spun = tmp_path / "spun.jsonl"
    spun.write_text("".join(json.dumps({"text": t}) + "\n" for t in ANCHOR_COPIES) + "{broken\n", encoding="utf-8")
    out = tmp_path / "a.profile"
    r = CliRunner().invoke(main, ["learn", "--spun", str(spun), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "anchors from 3 copies" in r.output and f"{spun}:4:" in r.output
    p = load(out)
    assert p.anchors_only and p.anchors["informed"].word == "told" and p.summary["method"] == "anchors"
    assert "corpus anchors alone" in CliRunner().invoke(main, ["profile", "show", str(out)]).output
    text = ("The chairman informed shareholders on Tuesday that the firm expects its earnings to get well "
            "swiftly after a weak quarter on the inventory marketplace.")
    alone, anchored = despin.check(text), despin.check(text, profile=p)
    assert "informed shareholders" in alone.restored and "told shareholders" in anchored.restored
    assert [s.text for s in anchored.spans] == [s.text for s in alone.spans]
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps({"text": ANCHOR_COPIES[0]}) + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["learn", "--spun", str(one), "-o", str(tmp_path / "b.profile")])
    assert r.exit_code == 1 and "no word was restored the same way in 2+ of 1 copies" in r.output
    assert not (tmp_path / "b.profile").exists()
    r = CliRunner().invoke(main, ["learn", "--spun", str(spun), "-o", str(out), "--no-anchors"])
    assert r.exit_code == 2
