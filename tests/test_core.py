"""Behaviour of the core: check/restore on text written for these tests."""
from __future__ import annotations

import doctest
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import despin
from despin import Config, Report, Span, Suggestion, apply, check, restore
from despin.lexicon import DEFAULT_SOURCES
from despin.report import replaces
from despin.tokenize import tokenize

from .conftest import load_cases

SYNTHETIC = load_cases("synthetic.json")
NEGATIVE = load_cases("negative.json")
KNOWN_FAILURES = load_cases("known-failures.json")


def assert_outside_spans_identical(text: str, report: Report) -> None:
    """Every character outside spans is byte-identical in `restored`, in order."""
    pos_in = 0
    pieces = []
    for s in sorted(report.spans, key=lambda s: s.start):
        assert 0 <= s.start < s.end <= len(text)
        assert text[s.start:s.end] == s.text
        assert s.start >= pos_in, "spans overlap"
        pieces.append(text[pos_in:s.start])
        pos_in = s.end
    pieces.append(text[pos_in:])
    # The restored text is those pieces with (possibly) replaced spans in between.
    rest = report.restored
    for piece in pieces:
        k = rest.find(piece)
        assert k >= 0, f"outside-span text {piece!r} was altered"
        rest = rest[k + len(piece):]


def flagged_tokens(text: str, report: Report) -> list[str]:
    return [
        t.text.lower()
        for t in tokenize(text)
        if any(s.start < t.end and t.start < s.end for s in report.spans)
    ]


def _with_known_failures(cases: list[dict]) -> list:
    """A case with a "known_failure" reason is a strict expected failure: kept honestly, and
    the run fails the day it passes (then drop the reason)."""
    return [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=c["known_failure"]))
            if "known_failure" in c else c for c in cases]


@pytest.mark.parametrize("case", _with_known_failures(SYNTHETIC), ids=[c["name"] for c in SYNTHETIC])
def test_spans_point_at_substituted_words(case: dict) -> None:
    report = check(case["text"])
    if case["spun_verdict"]:
        assert report.verdict == "spun" and report.score >= 0.5
    gold = {w for phrase in case["substituted"] for w in phrase.lower().split()}
    flagged = flagged_tokens(case["text"], report)
    hits = [w for w in flagged if w in gold]
    recall = len(set(hits)) / len(gold)
    precision = len(hits) / max(1, len(flagged))
    assert recall >= 0.5, f"found only {sorted(set(hits))} of {sorted(gold)}"
    assert precision >= 0.5, f"false flags: {sorted(set(flagged) - gold)}"
    assert_outside_spans_identical(case["text"], report)
    assert apply(case["text"], report.spans) == report.restored


@pytest.mark.parametrize("case", SYNTHETIC, ids=[c["name"] for c in SYNTHETIC])
def test_restores_obvious_substitutions(case: dict) -> None:
    report = check(case["text"])
    restored = " ".join(re.findall(r"[\w'-]+", report.restored.lower()))
    for spun, original in case["restores"].items():
        # Whole words: "phones" inside "telephones" is no restoration.
        assert re.search(rf"\b{re.escape(original)}\b", restored), f"{spun!r} not restored to {original!r}: {report.restored}"
        assert not re.search(rf"\b{re.escape(spun)}\b", restored), (spun, report.restored)


@pytest.mark.parametrize("text", NEGATIVE)
def test_clean_text_comes_back_byte_identical(text: str) -> None:
    report = check(text)
    assert report.restored == text
    assert report.verdict == "clean"
    assert restore(text) == text


@pytest.mark.parametrize("case", KNOWN_FAILURES, ids=[c["name"] for c in KNOWN_FAILURES])
@pytest.mark.xfail(strict=True, reason="known failure, kept honestly (see tests/cases/known-failures.json)")
def test_known_failures(case: dict) -> None:
    _assert_restores(check(case["text"]), case)


def _assert_restores(report: Report, case: dict) -> None:
    """The span's best suggestion is the original; with ``applied``, the restored text has it."""
    span = next(s for s in report.spans if s.text == case["span"])
    assert span.best is not None and span.best.lower() == case["restores_to"].lower()
    if case.get("applied"):
        assert replaces(span) and case["restores_to"] in report.restored


def _neural_cases() -> list:
    from despin import neural

    skip = pytest.mark.skipif(not neural.available(), reason="no neural model (python -m despin.neural_build)")
    return [pytest.param(c, marks=skip) for c in KNOWN_FAILURES if c.get("fixed_by_neural")]


@pytest.mark.parametrize("case", _neural_cases())
def test_known_failures_the_neural_model_fixes(case: dict) -> None:
    """Stage 5c (`Config(neural=True)`) restores what the trigram windows could not."""
    _assert_restores(check(case["text"], config=Config(neural=True)), case)


def test_empty_and_whitespace_give_score_zero_and_no_spans() -> None:
    for text in ("", "   ", "\n\n\t"):
        r = check(text)
        assert r.score == 0.0 and r.spans == () and r.restored == text


def test_report_json_follows_the_contract_and_round_trips() -> None:
    r = check(SYNTHETIC[0]["text"])
    d = json.loads(r.to_json())
    assert set(d) >= {"score", "verdict", "spans", "restored"}
    assert 0.0 <= d["score"] <= 1.0 and d["verdict"] in ("clean", "spun")
    assert d["spans"], "the spun case has spans"
    for s in d["spans"]:
        assert {"start", "end", "text", "score", "suggestions"} <= set(s)
        assert len(s["suggestions"]) <= 5
        for sug in s["suggestions"]:
            assert set(sug) == {"text", "score"}
        assert s["reason"]
    back = Report.from_json(r.to_json())
    assert back.to_json() == r.to_json()
    assert [(s.start, s.end, s.text) for s in back.spans] == [(s.start, s.end, s.text) for s in r.spans]


def test_suggestions_are_ranked_and_scores_bounded() -> None:
    r = check(SYNTHETIC[1]["text"])
    for s in r.spans:
        scores = [x.score for x in s.suggestions]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= x <= 1.0 for x in scores) and sum(scores) <= s.score + 1e-6


def test_apply_replaces_only_confident_suggestions() -> None:
    text = "a quick fox and a lazy dog"
    sure = Span(2, 7, "quick", 0.9, (Suggestion("fast", 0.8),))
    unsure = Span(18, 22, "lazy", 0.6, (Suggestion("idle", 0.2),))
    assert replaces(sure) and not replaces(unsure)
    assert apply(text, [unsure, sure]) == "a fast fox and a lazy dog"


def test_a_shorter_suggestion_is_applied_by_its_expected_gain_in_words() -> None:
    """A spun phrase replaced by a shorter wrong word still loses the words the spinner added,
    so a phrase's suggestion needs less certainty than a word's; on clean text the same
    replacement loses every word it touches."""
    from despin import calibration
    from despin.report import SHORTER_SAVES

    phrase = Span(4, 12, "get well", 0.6, (Suggestion("recover", 0.3),))
    word = Span(4, 12, "recuperate", 0.6, (Suggestion("recover", 0.3),))
    assert replaces(phrase) and not replaces(word)
    # k·b + r·(k − m)·(p − b) > k·(1 − p): 2·0.2 + 0.95·0.2 = 0.59 against 2·0.4 = 0.8
    assert not replaces(Span(4, 12, "get well", 0.6, (Suggestion("recover", 0.2),)))
    assert replaces(Span(4, 22, "get back on its feet", 0.45, (Suggestion("recover", 0.1),))) is (
        5 * 0.1 + SHORTER_SAVES * 4 * 0.35 > 5 * 0.55)
    # The constant is what scripts/calibrate.py measured on its training spins.
    recorded = calibration._load()["phrase_length_share"]
    assert abs(recorded[0] - SHORTER_SAVES) < 0.05 and recorded[1] >= 100


def test_same_word_type_is_decided_together() -> None:
    case = next(c for c in SYNTHETIC if c["name"] == "repeated-type")
    r = check(case["text"])
    hits = [s for s in r.spans if s.text.lower() == "hebdomadary"]
    assert len(hits) == 3
    assert {s.best.lower() for s in hits if s.best} == {"weekly"}


def test_higher_threshold_gives_fewer_spans() -> None:
    text = SYNTHETIC[3]["text"]
    loose = check(text, config=Config(threshold=0.3))
    strict = check(text, config=Config(threshold=0.9))
    assert len(strict.spans) < len(loose.spans)


LONG_SPUN = (
    "The town assembly gathered on Monday night to argue over the fresh budget for the "
    "forthcoming year. Officials aforementioned the metropolis would spend more cash on "
    "thoroughfares and academies, while the mayor told journalists that levies would not "
    "increase. Inhabitants who attended the gathering queried why the bus service had been "
    "curtailed, and several shop proprietors complained about the expense of parking in the "
    "core. The assembly will ballot on the proposal next month after a second public "
    "audition, and a closing determination is anticipated before the summer. A spokesman "
    "for the mayor aforementioned the design was fair and that the metropolis had listened."
)


def test_short_texts_keep_the_surer_span_threshold() -> None:
    from despin.core import analyse
    from despin.detector.decide import SHORT_TEXT_THRESHOLD, SHORT_TEXT_WORDS

    short = SYNTHETIC[3]["text"]
    assert analyse(short).n_eligible < SHORT_TEXT_WORDS
    loose = check(short, config=Config(threshold=0.1))
    assert loose.spans and min(s.score for s in loose.spans) >= SHORT_TEXT_THRESHOLD
    assert loose.spans == check(short, config=Config(threshold=SHORT_TEXT_THRESHOLD)).spans
    # An article-length text is held to Config.threshold itself.
    assert analyse(LONG_SPUN).n_eligible >= SHORT_TEXT_WORDS
    low = check(LONG_SPUN, config=Config(threshold=0.1))
    assert min(s.score for s in low.spans) < SHORT_TEXT_THRESHOLD


def test_score_only_path_matches_full_score() -> None:
    text = SYNTHETIC[0]["text"]
    fast = check(text, config=Config(explain=False))
    full = check(text)
    assert fast.spans == () and fast.restored == text
    assert fast.verdict == full.verdict


def test_long_text_is_checked_in_segments() -> None:
    para = SYNTHETIC[1]["text"] + "\n\n" + NEGATIVE[0] + "\n\n"
    text = para * 40
    r = check(text, config=Config(segment_chars=2_000))
    assert r.verdict == "spun"
    assert_outside_spans_identical(text, r)
    assert sum(1 for s in r.spans if s.text == "hebdomad") == 40


def test_a_learned_profile_restores_what_the_lexicons_cannot() -> None:
    from despin.profile import Profile

    # "quoth" -> "said" is in no lexicon; a table learned from pairs knows it.
    table = Profile.from_counts("test-table", {"quoth": {"said": 40}, "hebdomadal": {"weekly": 12}},
                                kept={"the": 200, "on": 50})
    text = ("The minister quoth on Monday that the hebdomadal talks would go on. "
            "Her deputy quoth the same on Tuesday.")
    without = check(text)
    assert all(s.text != "quoth" for s in without.spans)
    r = check(text, profile=table)
    quoths = [s for s in r.spans if s.text == "quoth"]
    assert len(quoths) == 2 and all(s.best == "said" for s in quoths)
    assert all(s.reason.startswith("profile:test-table") for s in quoths)
    assert "minister said on Monday" in r.restored
    # A clean text is not rewritten by the table: the profile is gated by its match score.
    clean = "The minister said on Monday that the weekly talks would go on."
    assert check(clean, profile=table).restored == clean


def test_doctests_of_core_modules() -> None:
    import despin.config
    import despin.core
    import despin.lexicon
    import despin.lm
    import despin.report
    import despin.tokenize

    for mod in (despin, despin.report, despin.tokenize, despin.config, despin.core, despin.lexicon, despin.lm):
        failed, _ = doctest.testmod(mod)
        assert failed == 0, mod.__name__


# Arbitrary Unicode: mixed scripts, control characters, emoji, escaped lone surrogates,
# very long words. `check` must never raise and must keep everything outside spans.
_words = st.sampled_from(
    ["the", "novel", "aforementioned", "hebdomad", "physician", "Straße", "東京", "🙂", "x" * 300,
     "\x00", "\u200b", "don't", "e-mail", "3.5%", "https://a.b/c", "\\ud800", "\n\n", "ÉCOLE"]
)
_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_words, st.text(max_size=8)), max_size=60).map(" ".join),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_text)
def test_check_never_raises_and_keeps_text_outside_spans(text: str) -> None:
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "backslashreplace")
    r = check(text)
    assert 0.0 <= r.score <= 1.0
    assert_outside_spans_identical(text, r)
    assert apply(text, r.spans) == r.restored


def test_precomputed_screen_table_matches_the_live_computation() -> None:
    """scripts/build_screen_table.py must be rerun when candidate generation changes."""
    import random

    from despin.screen import _precomputed, type_evidence

    table = _precomputed()
    assert len(table) > 100_000
    sample = random.Random(0).sample(sorted(table), 60) + ["hebdomadary", "said", "the"]
    for word in sample:
        live = type_evidence.__wrapped__(word, DEFAULT_SOURCES)
        stored = table[word]
        assert (live is None) == (stored is None), word
        if live is not None:
            assert abs(live - stored) < 1e-2, word


def test_candidate_table_is_current_and_matches_computing() -> None:
    """scripts/build_candidates.py must be rerun when candidate generation or the lexicons change:
    a stale table would be ignored silently (correct but slow), so its header is checked here."""
    import random

    from despin.detector import candidates as C

    table = C._table()
    assert len(table) > 100_000, "despin/data candidate table missing or stale: run scripts/build_candidates.py"
    sample = random.Random(0).sample(sorted(table), 150) + ["hebdomadary", "said", "quickly", "market"]
    for word in sample:
        computed = C.compute_candidates(word, C.TABLE_SOURCES)
        assert C._parse_row(table[word]) == computed, word
        # The plausibility marks are the detector's own test, run at build time.
        plausible = tuple(c for c in computed if C._plausible(word, c))
        assert C._parse_row(table[word], plausible_only=True) == plausible, word
        assert C._plausible_candidates(word, C.TABLE_SOURCES) == plausible, word
    # A word outside the table is computed; other sources never read the table.
    assert C.candidates("hebdomadary", ("wordnet",)) == C.compute_candidates("hebdomadary", ("wordnet",))


def test_calibrated_suggestion_shares_keep_order_and_stay_probabilities() -> None:
    """The best suggestion gets the suggestion model's P(exact original | spun); the others
    are scaled down or up without passing it, and the shares never sum past 1."""
    from despin.calibration import suggestion_weights
    from despin.detector.ranking import calibrated_shares as _calibrated_shares
    from despin.detector.ranking import suggestion_features
    from despin.detector.records import Candidate, Unit

    assert suggestion_weights() is not None, "calibration.json lacks the suggestion model (scripts/calibrate.py)"
    u = Unit(0, 1, "hebdomadary", (Candidate("weekly", 0.1, "wordnet"), Candidate("periodical", 0.05, "moby"),
                                   Candidate("regular", 0.05, "moby")))
    u.odds, u.A, u.log_odds = [4.0, 1.0, 0.5], 5.5, 2.0
    total = sum(u.odds)
    shares = _calibrated_shares(u, [o / total for o in u.odds], 1, (0.1, -0.5, 0.3))
    w = suggestion_weights()
    z = w[0] + sum(a * b for a, b in zip(w[1:], suggestion_features(u, 1, (0.1, -0.5, 0.3))))
    assert shares[0] == pytest.approx(1 / (1 + __import__("math").exp(-z)))
    assert shares == sorted(shares, reverse=True)
    assert sum(shares) <= 1.0 + 1e-12
    assert shares[1] / shares[2] == pytest.approx(2.0)  # the others keep their relative odds


def test_fast_unigram_is_wordfreqs_value() -> None:
    """lm's tokeniser-free path must give wordfreq's own float for plain lower-case words."""
    from wordfreq import top_n_list, word_frequency

    from despin import lm

    words = [w for w in top_n_list("en", 50_000)[::25] if w.isascii() and w.isalpha() and w.islower()]
    words += ["hebdomadary", "qzxjvv", "aforementioned"]
    for w in words:
        assert lm._plain_word_frequency(w) == word_frequency(w, "en"), w


def test_document_words_favour_originals_the_text_also_uses_only_when_the_spinner_leaves_them() -> None:
    """Self-learning for ranking: when confident units' best candidates stand elsewhere in
    the text (a per-occurrence spinner), a candidate the text uses gains in the ranking;
    when they never do (a table spinner replaced them everywhere), nothing changes. The
    odds behind the posterior are never touched."""
    from despin.detector.ranking import rank_by_document_words as _document_words
    from despin.detector.records import Candidate, Unit

    def unit(observed: str, cands: list[str], odds: list[float], posterior: float) -> Unit:
        u = Unit(0, 1, observed, tuple(Candidate(c, 0.1, "wordnet") for c in cands))
        u.odds, u.A, u.posterior = list(odds), sum(odds), posterior
        return u

    def units() -> list[Unit]:
        return [
            unit("marketplace", ["market", "mart"], [9.0, 1.0], 0.95),
            unit("swiftly", ["quickly", "fast"], [9.0, 1.0], 0.95),
            unit("inventory", ["stock", "list"], [3.0, 4.0], 0.6),  # "stock" is used elsewhere
        ]

    per_occurrence = "the market and the stock fell quickly".split()
    us = units()
    _document_words(us, per_occurrence)
    assert us[2].rank and us[2].rank[0] > us[2].rank[1]  # "stock" now ranks first
    assert us[2].odds == [3.0, 4.0] and sum(us[2].rank) == pytest.approx(7.0)

    table = "the mart and the stock fell fast".split()  # only the runners-up stand elsewhere
    us = units()
    _document_words(us, table)
    assert all(not u.rank for u in us)


def test_calibration_weights_match_the_features_the_detector_computes() -> None:
    """A feature added without refitting would be silently dropped by the weighted sums
    (zip stops at the shorter): each fitted model has one weight per feature, plus a bias."""
    from despin import calibration
    from despin.core import analyse
    from despin.detector.posterior import unit_features
    from despin.detector.ranking import suggestion_context, suggestion_features
    from despin.screen import screen_features

    text = "The physician informed the patient that the operation had been a achievement."
    a = analyse(text)
    u = next(u for u in a.units if u.odds)
    assert len(calibration.unit_weights() or []) == 1 + len(unit_features(u, a.rho, 0.0, 1))
    assert len(calibration.doc_weights() or []) == 1 + len(a.doc_features())
    assert len(calibration.final_weights() or []) == 1 + len(a.final_features())
    assert len(calibration.screen_weights() or []) == 1 + len(screen_features(text, ("wordnet", "moby")))
    assert len(calibration.suggestion_weights() or []) == 1 + len(suggestion_features(u, 1, suggestion_context(a)))


# Written for this test: clean British news prose, every spelling one the US trigram model
# lacks or finds rare.
BRITISH = (
    "The organisation said on Monday that the programme would favour families in the centre "
    "of the city. Officials criticised the plan's cost but called it a favourable sign, and "
    "neighbours welcomed the new theatre, whose colour was chosen by local artists. The "
    "council will finalise the budget in March, and the defence ministry recognised the "
    "aluminium plant as a strategic site."
)


def test_british_spellings_are_read_as_the_language_model_spells_them() -> None:
    from despin import lm

    assert [lm.spelled_for_model(w) for w in ("finalised", "colour", "aluminium", "centre", "defence")] == [
        "finalized", "color", "aluminum", "center", "defense"]
    # Short words (four -> for) and words the model knows as they are stay themselves.
    assert [lm.spelled_for_model(w) for w in ("four", "glamour", "enterprise", "premium", "promise")] == [
        "four", "glamour", "enterprise", "premium", "promise"]


def test_clean_british_text_is_not_taken_for_spun() -> None:
    report = check(BRITISH)
    british = {"organisation", "programme", "favour", "centre", "criticised", "favourable",
               "neighbours", "theatre", "colour", "finalise", "defence", "recognised", "aluminium"}
    flagged = {s.text.lower() for s in report.spans if s.score >= 0.5}
    assert not flagged & british
    assert report.restored == BRITISH


def test_the_american_spelling_is_no_candidate_original_of_a_british_word() -> None:
    from despin.detector.candidates import _plausible_candidates, _plausible_candidates_as_read

    assert "aluminum" not in {c.text for c in _plausible_candidates_as_read("aluminium", DEFAULT_SOURCES)}
    favourable = _plausible_candidates_as_read("favourable", DEFAULT_SOURCES)
    assert "favorable" not in {c.text for c in favourable}
    # A British spelling has the candidates of the American form, not the few the thesauri
    # list under its own spelling ("good" through Moby's long list, not a related term's).
    assert favourable == tuple(c for c in _plausible_candidates("favorable", DEFAULT_SOURCES) if c.text != "favourable")
    assert len(favourable) > len(_plausible_candidates("favourable", DEFAULT_SOURCES))


def test_listed_phrases_with_a_skeleton_word_at_their_edge_are_units() -> None:
    """Real dictionaries write phrasal verbs and adverbials ("get over", "in general") for
    single words; such a phrase is a unit where a lexicon lists it, and an unlisted pair of
    skeleton words, or a phrase an article begins, never is."""
    from despin.core import analyse

    text = ("The ministry said on Tuesday that exports would get over in the second half, and that "
            "prices had in general been stable since the harvest ended in the north of the country.")
    units = {u.observed: u for u in analyse(text).units}
    assert "generally" in [c.text for c in units["in general"].cands]
    assert "get over" in units
    assert not {"of the", "in the", "on tuesday", "that exports"} & set(units)
    # A thesaurus lists "the country", but no dictionary writes an article-led phrase for a word.
    assert "the country" not in units and "the ministry" not in units


def test_a_candidate_is_scored_as_the_words_the_tokenizer_reads() -> None:
    """A hyphenated candidate ("stock-take" for "inventory") would stand in the text as the
    words the tokenizer reads ("stock", "take"): the language model scores those words, not one
    out-of-vocabulary token (which it scored with no context at all, and which topped the
    ranking of real spinners' words and was never right)."""
    from despin.detector.candidates import candidates
    from despin.detector.records import Candidate

    assert Candidate("stock-take", 0.1, "moby").words == ("stock", "take")
    assert Candidate("get well", 0.1, "moby").words == ("get", "well")
    hyphenated = 0
    for word in ("inventory", "sitting", "outlandish", "perks"):
        for c in candidates(word, DEFAULT_SOURCES):
            assert c.words == tuple(t.text.lower() for t in tokenize(c.text)), c.text
            hyphenated += "-" in c.text
    assert hyphenated  # the test is not vacuous


def test_windows_read_numbers_and_abbreviations_as_the_model_knows_them() -> None:
    """The trigram model (transcribed speech) knows "percent" and "nineteen", not "pct" and
    "19": a word it does not know cuts the trigrams around it, so the context a candidate is
    judged in is the text as the model reads it. Words it knows, and words no table expands,
    stay themselves; a unit's own observed words are read as spelled (their evidence is theirs)."""
    from despin import lm

    assert lm.words_read_for_model(["output", "rose", "19", "pct", "to", "5", "mln", "dlrs", "colour", "zqxv"]) == [
        "output", "rose", "nineteen", "percent", "to", "five", "million", "dollars", "color", "zqxv"]
    assert lm.spelled_words_for_model(["19", "pct", "colour"]) == ["19", "pct", "color"]


def test_a_possessive_has_its_stems_candidates() -> None:
    """Real spinners swap possessed nouns ("outfit's" for *company's*): a possessive's
    candidates are its stem's, possessive, where the language model knows the form; a
    contraction ("it's", "let's") has none, and the score-only screen, whose table holds no
    possessives, reads them as words without candidates whether it computes or looks up."""
    from despin import screen
    from despin.detector.candidates import candidates

    texts = [c.text for c in candidates("outfit's", DEFAULT_SOURCES)]
    assert "company's" in texts and all(t.endswith("'s") for t in texts)
    stem = {c.text: c for c in candidates("outfit", DEFAULT_SOURCES)}
    assert next(c for c in candidates("outfit's", DEFAULT_SOURCES) if c.text == "company's").q == stem["company"].q
    assert candidates("it's", DEFAULT_SOURCES) == () and candidates("let's", DEFAULT_SOURCES) == ()
    assert screen.type_evidence("outfit's", DEFAULT_SOURCES) == screen.table_only_evidence("outfit's")


def test_a_candidate_is_read_as_the_text_would_read_with_it() -> None:
    """A number or abbreviation candidate ("5" for "five") is read through the same tables as
    the context: the language model cannot tell "5" from "five", so its odds are its channel
    probability alone, not a context-free guess for an unknown word."""
    from despin.core import analyse

    a = analyse("The board said it would appoint five new directors at the meeting next month.")
    unit = next(u for u in a.units if u.observed == "five")
    c = next(k for k, c in enumerate(unit.cands) if c.text == "5")
    assert unit.odds[c] == pytest.approx(unit.cands[c].q, rel=1e-9)


def test_report_score_reads_the_posteriors_every_stage_left() -> None:
    """The report's P(spun) is the final document model's (stage 4's features and the
    posteriors after stage 6), not the stage-4 score the stages gate on; the two differ."""
    from despin.core import analyse
    from despin.detector.decide import build_report
    from despin.detector.posterior import document_score, final_score

    text = ("The company's top administrator informed reporters on Tuesday that the inventory "
            "marketplace would get well swiftly after the lender lowered its interest prices. "
            "Analysts stated the transfer was anticipated and that need for loans stayed sturdy.")
    a = analyse(text)
    features = a.final_features()
    assert features[: len(a.doc_features())] == a.doc_features()
    assert 0.0 <= features[-2] <= 1.0 and 0.0 <= features[-1] <= 1.0
    report = build_report(text, a, Config())
    assert report.score == final_score(a)
    assert report.score != document_score(a)


def test_lower_case_word_in_a_capitals_headline_is_restored_in_capitals() -> None:
    """A spinner pastes its thesaurus's lower-case entries into a wire headline: the word
    itself comes back in capitals (a case-only span), and a restored substitute takes the
    line's case; the body's lower-case words are left alone."""
    text = ("QANTAS TO buy FOUR JETS FOR fleet\n\n"
            "Qantas said on Tuesday it would purchase four jets for its fleet, the airline said.")
    r = check(text)
    head = r.restored.split("\n")[0]
    assert head == head.upper() and "BUY" in head and "FLEET" in head
    assert r.restored.split("\n", 1)[1] == text.split("\n", 1)[1]
    case = [s for s in r.spans if s.reason.startswith("case:")]
    assert [s.text for s in case] == ["buy", "fleet"]
    assert all(s.suggestions[0].text == s.text.upper() for s in case)


def test_words_in_capitals_are_flagged_but_not_replaced_on_a_thesaurus_alone() -> None:
    """A dictionary spinner writes its dictionary's spelling, so a word still in capitals
    (a wire headline, an acronym) was seldom its work (`despin.report.in_capitals`): the
    headline's odd words are flagged with their suggestions, and left as written; the same
    words in the body are restored."""
    text = ("INVENTORY MARKETPLACE DROPS\n\n"
            "The inventory marketplace dropped sharply on Monday, traders aforementioned.")
    r = check(text)
    head, body = r.restored.split("\n\n")
    assert head == "INVENTORY MARKETPLACE DROPS"
    assert "stock market" in body and "said" in body
    flagged = {s.text: s.suggestions[0].text for s in r.spans if s.text.isupper()}
    assert flagged.get("INVENTORY") == "STOCK" and flagged.get("MARKETPLACE") == "MARKET"
    assert r.restored == apply(text, r.spans)


def test_a_plural_is_not_replaced_by_a_singular_on_a_thesaurus_alone() -> None:
    """A spinner replaces a plural by a plural (`despin.report.drops_the_plural`): a plural
    noun whose best suggestion is singular is flagged and left as written; a plural
    suggestion for it would be applied."""
    text = "Officials aforementioned the shortfalls in the budget would be covered by new taxes."
    r = check(text)
    span = next(s for s in r.spans if s.text == "shortfalls")
    assert span.suggestions[0].text == "deficit"
    assert "the shortfalls in the budget" in r.restored and r.restored.startswith("Officials said")
    best = Suggestion("deficits", span.suggestions[0].score)
    plural = Span(span.start, span.end, span.text, span.score, (best,), span.reason)
    assert "the deficits in the budget" in apply(text, [plural])


def test_lower_case_word_inside_a_name_gets_its_capital_back() -> None:
    """A spinner that matches its dictionary case-insensitively writes the entry's lower
    case into names: a word of a name WordNet writes in capitals, where the text writes the
    rest of it so ("the World bank"), and a month beside a number, come back capitalised.
    Lower-case words outside such names stay as they are."""
    text = ("Officials of the World bank said on march 3 that the Federal reserve would raise rates, "
            "and the bank said it agreed with the plan for the next year in the region and beyond.")
    r = check(text)
    assert "the World Bank said on March 3 that the Federal Reserve would" in r.restored
    assert "and the bank said" in r.restored
    case = [s for s in r.spans if s.reason.startswith("case:")]
    assert [(s.text, s.suggestions[0].text) for s in case] == [("bank", "Bank"), ("march", "March"),
                                                                ("reserve", "Reserve")]
    # Written as a name already, or no name at all: nothing to do.
    clean = ("The World Bank said the march would go ahead, and the federal reserve of grain "
             "held by the bank would last until the spring, officials said on Monday.")
    assert not [s for s in check(clean).spans if s.reason.startswith("case:")]



def test_lower_case_words_before_a_company_suffix_get_their_capitals_back() -> None:
    """The lower-case words right before a company's capitalised suffix ("waste management
    Inc") are words of its name a spinner wrote in lower case: they come back capitalised, up
    to a function word or punctuation; a suffix in lower case, or written names, change
    nothing."""
    text = ("Shares of waste management Inc rose two pct on Tuesday, while general electric Co "
            "fell, and Smith and Co said the company would sell its unit to Acme Foods Corp.")
    r = check(text)
    assert "Shares of Waste Management Inc rose" in r.restored
    assert "while General Electric Co fell, and Smith and Co said" in r.restored
    case = [(s.text, s.suggestions[0].text) for s in r.spans if s.reason.startswith("case: a lower-case word of a company")]
    assert case == [("waste", "Waste"), ("management", "Management"), ("general", "General"),
                    ("electric", "Electric")]
    clean = ("Waste Management Inc said on Tuesday that the waste management inc. division and "
             "its rival, General Electric Co, would merge.")
    assert not [s for s in check(clean).spans if s.reason.startswith("case:")]

def test_half_lowered_capitals_headline_is_still_a_headline() -> None:
    """A spinner that lowers every word it touches can leave a wire headline under half
    capitals: two common words still in capitals ("DENIES", "OF") mark it as one, and its
    lower-case words come back in capitals. Acronyms in a body sentence do not."""
    text = ("KLM DENIES press report OF merger talks\n\nKLM Royal Dutch Airlines said on Tuesday that a "
            "press report of merger talks with another carrier was wrong, and that it had no plans to merge.")
    r = check(text)
    assert r.restored.split("\n")[0] == "KLM DENIES PRESS REPORT OF MERGER TALKS"
    assert r.restored.split("\n", 1)[1] == text.split("\n", 1)[1]
    body = "Shares of KLM and AT&T rose as EC and US officials met in Paris on Tuesday to talk about trade in the region."
    assert not [s for s in check(body).spans if s.reason.startswith("case:")]


def test_unsure_headline_substitute_falls_back_to_the_word_in_capitals() -> None:
    """A flagged lower-case headline word whose best suggestion is too unsure to apply gets
    the word itself in capitals first (never worse than the lower case), its candidates after."""
    from despin.detector.decide import _case_first
    from despin.report import Span, Suggestion, apply, replaces

    span = Span(5, 10, "fleet", 0.6, (Suggestion("NAVY", 0.3), Suggestion("SHIPS", 0.2)), "moby: ...")
    assert not replaces(span)
    fixed = _case_first(span)
    assert [s.text for s in fixed.suggestions] == ["FLEET", "NAVY", "SHIPS"]
    assert replaces(fixed) and apply("JETS fleet SOLD", [Span(5, 10, "fleet", 0.6, ())]) == "JETS fleet SOLD"
    assert apply("JETS fleet SOLD", [fixed]) == "JETS FLEET SOLD"


def test_capitals_inside_names_are_read_on_the_restored_words() -> None:
    """The name rule reads the text as it will be restored: a restored substitute that
    completes a name ("World depository" restored to "World bank") takes its capital."""
    from despin.core import analyse
    from despin.detector.decide import _name_fixes

    text = "Officials of the World depository said on Monday that lending would rise."
    a = analyse(text)
    words = [t.text for t in a.tokens]
    k = words.index("depository")
    assert k not in _name_fixes(text, a, list(words))
    view: list[str | None] = list(words)
    view[k] = "bank"
    assert _name_fixes(text, a, view)[k][0] == "Bank"
    view[k] = None  # a phrase of another length stands there: no name is read across it
    assert k not in _name_fixes(text, a, view)


def test_a_hyphenated_compound_is_one_unit_with_the_compounds_candidates() -> None:
    """Thesauri list compounds under their hyphenated spelling ("ready-made" for *made*), and
    dictionary spinners write them: a whole compound in the text is a unit with those
    candidates, less the compound's variants that keep one of its parts ("long-run" for
    "long-term"); the same words apart, or part of a compound, are not."""
    from despin.core import analyse

    def unit(text: str, words: str) -> list[str] | None:
        a = analyse(text)
        low = [t.text.lower() for t in a.tokens]
        for u in a.units:
            if " ".join(low[u.i:u.j]) == words and u.j - u.i == len(words.split(" ")):
                return [c.text for c in u.cands]
        return None

    cands = unit("The deals have been ready-made with the donors for a long time.", "ready made")
    assert cands is not None and "made" in cands
    long_term = unit("The bank made a long-term loan to the city last year.", "long term")
    assert long_term is not None and "long-run" not in long_term
    assert unit("The deals were ready made with the donors for a long time.", "ready made") is None
    assert unit("The ready-made-up deals were signed with the donors last year.", "ready made") is None


def test_a_word_is_restored_the_same_way_throughout_a_spun_text() -> None:
    """A spinner working from a table writes "informed" for *told* and "automobiles" for
    *cars* wherever they stand: in a text the model is sure is spun, the occurrences whose
    own windows were too unsure ("the chairman informed shareholders") are restored the way
    the surest one is, and say why; a word the text uses as written ("firm") stays."""
    text = ("The firm informed journalists on Tuesday that its earnings would get well swiftly. Net earnings "
            "fell eight pct in the first quarter, the firm informed journalists, and the chairman informed "
            "shareholders that the firm expects a stronger second half as the inventory marketplace recovers. "
            "Sales of the firm's automobiles rose 12 pct in the quarter, the firm said, and the firm expects to "
            "sell more automobiles in the coming months. The firm's shares rose on the inventory marketplace "
            "after the news, and analysts informed clients that the Top Priest would visit the firm's biggest "
            "manufacturing facility next week.")
    r = check(text)
    assert r.score >= 0.9
    assert "told shareholders" in r.restored and "Sales of the firm's cars rose" in r.restored
    assert "analysts told clients" in r.restored
    same = {(s.text, s.suggestions[0].text) for s in r.spans if s.reason.startswith("same way throughout")}
    assert same == {("informed", "told"), ("automobiles", "cars")}
    assert r.restored.count("firm") == text.count("firm")


def test_same_way_throughout_changes_only_what_it_restores() -> None:
    """The occurrence is read the anchor's way only where that applies the anchor's word: not
    where its suggestions lack it, not in capitals, not where the anchor is unsure."""
    from despin.detector.decide import same_way_throughout

    anchor = Span(0, 3, "day", 0.9, (Suggestion("year", 0.6),))
    lacks = Span(10, 13, "day", 0.5, (Suggestion("week", 0.2),))
    capitals = Span(20, 23, "DAY", 0.5, (Suggestion("WEEK", 0.2), Suggestion("YEAR", 0.1)))
    second = Span(30, 33, "Day", 0.4, (Suggestion("Week", 0.2), Suggestion("Year", 0.1)))
    out = same_way_throughout([anchor, lacks, capitals, second])
    assert out[:3] == [anchor, lacks, capitals]
    assert out[3].suggestions[0] == Suggestion("Year", 0.6) and out[3].score == 0.9 and replaces(out[3])
    assert out[3].suggestions[1:] == (Suggestion("Week", 0.2),)
    unsure = Span(0, 3, "day", 0.9, (Suggestion("year", 0.15),))  # applied, but b / p = 1/6
    assert replaces(unsure)
    low = Span(10, 13, "day", 0.3, (Suggestion("week", 0.2), Suggestion("year", 0.1)))
    assert same_way_throughout([unsure, low]) == [unsure, low]


def test_a_corpus_anchor_restores_an_unsure_occurrence() -> None:
    """A profile's anchors (a corpus's own restorations, `despin.learn.corpus_anchors`) restore
    an occurrence whose window left it unsure, say so, and leave a clean text alone."""
    from despin.profile import Anchor, Profile

    text = ("The chairman informed shareholders on Tuesday that the firm expects its earnings to get well "
            "swiftly after a weak quarter on the inventory marketplace.")
    alone = check(text)
    assert "informed shareholders" in alone.restored
    corpus = Profile(name="corpus", max_ngram=1, entries={}, anchors={"informed": Anchor("told", 3, 0.9, 0.6)})
    r = check(text, profile=corpus)
    assert "told shareholders" in r.restored
    assert r.restored.replace("told shareholders", "informed shareholders") == alone.restored
    (span,) = [s for s in r.spans if s.text == "informed"]
    assert span.reason.startswith("same way throughout: 'informed' is restored as 'told' across this corpus")
    clean = "Officials informed residents of the plan on Monday, and the council will meet again next week to vote on it."
    assert check(clean, profile=corpus).restored == clean


def test_corpus_anchors_move_phrases_too_but_the_text_rule_does_not() -> None:
    """A phrase the corpus anchored as a unit ("get well" -> *recover*) is followed like a
    word; inside one text, `same_way_throughout` still reads words only."""
    from despin.detector.decide import follow_corpus, same_way_throughout

    unsure = Span(0, 9, "Get  well", 0.5, (Suggestion("Come back", 0.2), Suggestion("Recover", 0.1)))
    (moved,) = follow_corpus([unsure], {"get well": ("recover", 0.9, 0.6)})
    assert moved.suggestions[0] == Suggestion("Recover", 0.54) and replaces(moved)
    assert "across this corpus" in moved.reason
    assert follow_corpus([unsure], {"well": ("recover", 0.9, 0.6)}) == [unsure]
    sure = Span(20, 28, "get well", 0.9, (Suggestion("recover", 0.6),))
    assert same_way_throughout([sure, unsure]) == [sure, unsure]
