"""The evaluator: every figure equals an independent implementation of the definitions.

Metric code is checked against brute force (pairwise AUC, threshold sweep, dynamic
programming Levenshtein) and `despin eval --json` against a second, independently
written implementation run on pairs written for this file, with a fake checker.
"""
from __future__ import annotations

import difflib
import json
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import despin.cli.eval as eval_cli
from despin.baselines import (
    KnownListChecker,
    ThesaurusUnigramChecker,
    list_from_pairs,
    parse_list,
)
from despin.cli import main
from despin.errors import DataError
from despin.evaluate import (
    Pair,
    SubstitutionStats,
    evaluate,
    resource_setting,
    roc_auc,
    substitution_stats,
    tpr_at_fpr,
    word_edit_distance,
)
from despin.report import Report, Span, Suggestion
from despin.tokenize import tokenize

SHARED = Path(__file__).parents[1].parent / "shared" / "data"

# --------------------------------------------------------------------------- brute force


def brute_auc(neg: list[float], pos: list[float]) -> float:
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def brute_tpr(neg: list[float], pos: list[float], max_fpr: float) -> float:
    best = 0.0
    for t in sorted(set(neg) | set(pos)) + [float("inf")]:
        fpr = sum(n >= t for n in neg) / len(neg)
        tpr = sum(p >= t for p in pos) / len(pos)
        if fpr <= max_fpr:
            best = max(best, tpr)
    return best


def brute_levenshtein(a: list[str], b: list[str]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def test_auc_matches_pairwise_count_with_ties() -> None:
    rng = random.Random(0)
    for trial in range(200):
        neg = [round(rng.random(), 1) for _ in range(rng.randint(1, 30))]
        pos = [round(rng.random() ** 0.5, 1) for _ in range(rng.randint(1, 30))]
        assert roc_auc(neg, pos) == pytest.approx(brute_auc(neg, pos), abs=1e-12), trial
    assert roc_auc([0.2, 0.2], [0.2]) == 0.5
    assert roc_auc([0.0], [1.0]) == 1.0 and roc_auc([1.0], [0.0]) == 0.0
    assert np.isnan(roc_auc([], [0.3]))


@pytest.mark.parametrize("max_fpr", [0.0, 0.01, 0.1, 0.5])
def test_tpr_at_fpr_matches_a_threshold_sweep(max_fpr: float) -> None:
    rng = random.Random(1)
    for trial in range(200):
        neg = [round(rng.random(), 2) for _ in range(rng.randint(1, 120))]
        pos = [round(rng.random() ** 0.3, 2) for _ in range(rng.randint(1, 40))]
        assert tpr_at_fpr(neg, pos, max_fpr) == pytest.approx(brute_tpr(neg, pos, max_fpr)), trial


def test_tpr_at_fpr_one_percent_by_hand() -> None:
    neg = [i / 200 for i in range(200)]  # 0.0 .. 0.995: at most two may reach the threshold
    pos = [0.9951, 0.999, 0.992, 0.9, 0.5]
    # t = 0.99 lets 2 of 200 negatives through (exactly 1%) and 3 of 5 positives; t = 0.9 lets 20 through.
    assert tpr_at_fpr(neg, pos, 0.01) == 0.6
    assert tpr_at_fpr([0.5], [0.5], 0.01) == 0.0  # a tie with the only negative can never be flagged


def test_word_levenshtein_matches_dynamic_programming() -> None:
    rng = random.Random(2)
    words = ["a", "b", "c", "d", "Cat", "cat"]
    for _ in range(300):
        a = [rng.choice(words) for _ in range(rng.randint(0, 9))]
        b = [rng.choice(words) for _ in range(rng.randint(0, 9))]
        assert word_edit_distance(a, b) == brute_levenshtein(a, b)
    # Tokens are compared whole: "ab" is one substitution away from "cd", not two.
    assert word_edit_distance(["ab"], ["cd"]) == 1


# --------------------------------------------------------------------------- pairs and a fake checker

PAIRS = [
    {"id": "p1", "original": "The big dog ran quickly to the old barn.",
     "spun": "The large hound ran swiftly to the old barn."},
    {"id": "p2", "original": "She didn't buy the red car last week.",
     "spun": "She didn't purchase the crimson automobile last week."},
    {"id": "p3", "original": "Prices rose during the long winter.",
     "spun": "Costs climbed in the course of the long winter."},
    {"id": "p4", "original": "A quiet town kept its old market.",
     "spun": "A quiet town kept its old market."},  # unchanged: a spinner may leave a text alone
    {"id": "p5", "original": "Farmers said the harvest was strong.",
     "spun": "Growers stated the yield was robust!"},
    {"id": "p6", "original": "The council met on Tuesday in the big hall.",
     "spun": "The assembly met on Tuesday in the big hall."},
]

# The fake detector knows some spun words and wrongly flags two clean ones ("old", "quickly").
FAKE = {"large": "big", "hound": "dog", "swiftly": "fast", "purchase": "buy", "automobile": "car",
        "costs": "prices", "growers": "farmers", "robust": "strong", "old": "aged", "quickly": "fast"}


def fake_check(text: str, **kwargs: Any) -> Report:
    spans = []
    for m in re.finditer(r"\w+", text):
        best = FAKE.get(m.group().lower())
        if best is not None:
            if m.group()[0].isupper():
                best = best.capitalize()
            spans.append(Span(m.start(), m.end(), m.group(), 0.8, (Suggestion(best, 0.8),)))
    restored, pos = [], 0
    for s in spans:
        restored += [text[pos:s.start], s.suggestions[0].text]
        pos = s.end
    restored.append(text[pos:])
    # Few distinct scores, so ties between originals and spun texts occur.
    score = round(len(spans) / max(1, len(re.findall(r"\w+", text))), 1)
    return Report(score, "spun" if spans else "clean", tuple(spans), "".join(restored))


def reference(pairs: list[dict[str, str]], check: Any) -> dict[str, float]:
    """An independent implementation of the definitions in docs/eval.md."""
    tok = re.compile(r"\w+(?:['’]\w+)*")
    tp = fp = fn = 0
    edits_before = edits_after = edits_false = n_orig = 0
    neg, pos = [], []
    for p in pairs:
        spun_m = list(tok.finditer(p["spun"]))
        orig_t = tok.findall(p["original"])
        spun_t = [m.group() for m in spun_m]
        sm = difflib.SequenceMatcher(None, spun_t, orig_t, autojunk=False)
        gold = set(range(len(spun_t)))
        for block in sm.get_matching_blocks():
            gold -= set(range(block.a, block.a + block.size))
        rs, ro = check(p["spun"]), check(p["original"])
        chars = set()
        for s in rs.spans:
            chars |= set(range(s.start, s.end))
        pred = {i for i, m in enumerate(spun_m) if chars & set(range(m.start(), m.end()))}
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
        edits_before += brute_levenshtein(spun_t, orig_t)
        edits_after += brute_levenshtein(tok.findall(rs.restored), orig_t)
        edits_false += brute_levenshtein(tok.findall(ro.restored), orig_t)
        n_orig += len(orig_t)
        neg.append(ro.score)
        pos.append(rs.score)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    before, after = edits_before / n_orig, edits_after / n_orig
    return {
        "n": len(pairs),
        "auc": brute_auc(neg, pos),
        "tpr_at_fpr1": brute_tpr(neg, pos, 0.01),
        "loc_p": prec,
        "loc_r": rec,
        "loc_f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
        "wer_before": before,
        "wer_after": after,
        "wer_reduction": 1 - after / before,
        "false_change": edits_false / n_orig,
    }


def _write(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
    return path


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def check(text: str, **kwargs: Any) -> Report:
        calls.append(kwargs)
        return fake_check(text)

    monkeypatch.setattr(eval_cli, "_default_check", lambda: check)
    return calls


def test_eval_json_equals_the_independent_implementation(tmp_path: Path, fake: list[dict[str, Any]]) -> None:
    pairs = _write(tmp_path / "pairs.jsonl", PAIRS)
    res = CliRunner().invoke(main, ["eval", str(pairs), "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    want = reference(PAIRS, fake_check)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=6e-5), key
    assert got["docs_per_s"] > 0 and got["peak_rss_mb"] > 0
    assert set(got) >= {"n", "auc", "tpr_at_fpr1", "loc_p", "loc_r", "loc_f1", "wer_before", "wer_after",
                        "wer_reduction", "false_change", "docs_per_s"}


def test_hand_computed_figures() -> None:
    # p1: gold = large, hound, swiftly (3 of 9 spun tokens); flagged large, hound, swiftly, old.
    m, docs = evaluate([Pair("p1", PAIRS[0]["original"], PAIRS[0]["spun"])], fake_check)
    assert (docs[0].tp, docs[0].fp, docs[0].fn) == (3, 1, 0)
    # restored: "The big dog ran fast to the aged barn." -> 2 wrong of 9 original words.
    assert (docs[0].edits_before, docs[0].edits_after) == (3, 2)
    # Original: "quickly" and "old" are changed by the fake: 2 false changes.
    assert docs[0].edits_false == 2
    assert (m.loc_p, m.loc_r) == (0.75, 1.0)
    assert m.wer_reduction == pytest.approx(1 - 2 / 3)


def test_resources_and_profiles_pass_through(tmp_path: Path, fake: list[dict[str, Any]],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = _write(tmp_path / "pairs.jsonl", [dict(p, spinner={"resource": "moby"}) for p in PAIRS])
    import despin.profile

    monkeypatch.setattr(despin.profile, "load_many", lambda paths: [f"loaded:{p}" for p in paths])
    prof = tmp_path / "a.profile"
    prof.write_text("{}", encoding="utf-8")
    res = CliRunner().invoke(main, ["eval", str(pairs), "--resources", "wordnet", "--profile", str(prof), "--json"])
    assert res.exit_code == 0, res.output
    assert fake and all(c["config"].resources == ("wordnet",) for c in fake)
    assert all(c["profile"] == [f"loaded:{prof}"] for c in fake)
    assert json.loads(res.stdout)["setting"] == "cross-resource"
    # The same pairs judged by a checker that uses Moby too: labelled optimistic.
    res = CliRunner().invoke(main, ["eval", str(pairs)])
    assert "same-resource (optimistic)" in res.stdout
    assert CliRunner().invoke(main, ["eval", str(pairs), "--resources", "roget"]).exit_code == 2


def test_bad_lines_and_empty_texts_are_reported_counted_and_skipped(tmp_path: Path, fake: Any) -> None:
    lines: list[Any] = [PAIRS[0], "{not json", {"original": "x"}, "[1, 2]", {"original": "", "spun": "y"},
                        PAIRS[1], {"original": "Some text.", "spun": "   "}]
    pairs = _write(tmp_path / "pairs.jsonl", lines)
    res = CliRunner().invoke(main, ["eval", str(pairs), "--json"])
    assert res.exit_code == 0, res.output
    for lineno in (2, 3, 4):
        assert f"{pairs}:{lineno}: skipped" in res.stderr
    got = json.loads(res.stdout)
    assert (got["n"], got["skipped_malformed"], got["skipped_empty"]) == (2, 3, 2)
    assert got["wer_before"] == pytest.approx(reference(PAIRS[:2], fake_check)["wer_before"], abs=6e-5)


def test_a_file_without_a_usable_pair_is_an_error_not_a_row_of_zeros(tmp_path: Path, fake: Any) -> None:
    pairs = _write(tmp_path / "pairs.jsonl", ["{not json", {"text": "no pair here"}, {"original": "", "spun": "y"}])
    for args in ([], ["--json"]):
        res = CliRunner().invoke(main, ["eval", str(pairs), *args])
        assert res.exit_code == 1, res.output
        assert "no usable pairs" in res.stderr and "2 malformed, 1 empty" in res.stderr
        assert res.stdout == ""
    assert not fake  # nothing was checked
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert CliRunner().invoke(main, ["eval", str(empty)]).exit_code == 1


def test_missing_file_and_usage_errors(tmp_path: Path, fake: Any) -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["eval", str(tmp_path / "nope.jsonl")])
    assert res.exit_code == 1 and "nope.jsonl" in res.output and "Traceback" not in res.output
    pairs = _write(tmp_path / "pairs.jsonl", PAIRS)
    assert runner.invoke(main, ["eval", str(pairs), "--baseline", "known-list"]).exit_code == 2
    assert runner.invoke(main, ["eval", str(pairs), "--list", str(pairs)]).exit_code == 2
    assert runner.invoke(main, ["eval", str(pairs), "--baseline", "magic"]).exit_code == 2
    bad_list = tmp_path / "bad.tsv"
    bad_list.write_text("no tab here\n", encoding="utf-8")
    res = runner.invoke(main, ["eval", str(pairs), "--baseline", "known-list", "--list", str(bad_list)])
    assert res.exit_code == 1 and "bad.tsv:1" in res.output


def test_limit_and_worst(tmp_path: Path, fake: Any) -> None:
    pairs = _write(tmp_path / "pairs.jsonl", PAIRS)
    res = CliRunner().invoke(main, ["eval", str(pairs), "--json", "--limit", "3"])
    assert json.loads(res.stdout)["n"] == 3
    res = CliRunner().invoke(main, ["eval", str(pairs), "--worst", "2"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    # p3 keeps 3 wrong words ("climbed in the course of"), more than any other pair.
    worst_part = out.split("worst 2 documents")[1]
    assert worst_part.index("p3") < worst_part.index("- ", worst_part.index("p3") + 3)
    assert "missed  'climbed in the course of' (original 'Prices rose during')" in worst_part
    assert "AUC" in out and "false change" in out


# --------------------------------------------------------------------------- baselines


def test_known_list_baseline_exact_numbers(tmp_path: Path) -> None:
    known = tmp_path / "known.tsv"
    known.write_text("# spun<TAB>original\nlarge\tbig\nin the course of\tduring\ncrimson\tred\n", encoding="utf-8")
    pairs = _write(tmp_path / "pairs.jsonl", PAIRS)
    res = CliRunner().invoke(main, ["eval", str(pairs), "--baseline", "known-list", "--list", str(known), "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    checker = KnownListChecker(parse_list(known.read_text(encoding="utf-8")))
    want = reference(PAIRS, lambda t, **_: checker(t))
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=6e-5), key
    assert got["checker"] == "known-list" and got["false_change"] == 0.0
    assert got["loc_p"] == 1.0


def test_known_list_matches_whole_phrases_only() -> None:
    c = KnownListChecker({"in the course of": "during", "large": "big"})
    r = c("In the course of time, a largely Large crowd; in the. course of")
    assert [s.text for s in r.spans] == ["In the course of", "Large"]
    assert r.restored == "During time, a largely Big crowd; in the. course of"
    assert c("nothing here").spans == () and c("nothing here").score == 0.0
    with pytest.raises(DataError):
        parse_list("a\tb\nbroken line\n", "l.tsv")


def test_thesaurus_unigram_baseline_with_injected_tables() -> None:
    inverse = {"purchase": ("buy",), "crimson": ("red",), "automobile": ("car",), "grand": ("big",)}
    zipf = {"buy": 5.0, "bought": 4.9, "purchased": 3.5, "red": 5.1, "crimson": 3.2, "car": 5.2,
            "automobile": 3.9, "big": 5.5, "grand": 4.9}
    c = ThesaurusUnigramChecker(inverse=lambda w: inverse.get(w, ()), zipf=zipf.get, margin=1.0)
    r = c("Ann purchased a crimson automobile from Grand Motors; it was grand.")
    # "Grand" inside the sentence is a name; "grand" -> "big" gains only 0.6 < margin.
    assert [s.text for s in r.spans] == ["purchased", "crimson", "automobile"]
    assert r.restored == "Ann bought a red car from Grand Motors; it was grand."
    assert 0 < r.score < 1
    assert c("Nothing to see.").score == 0.0


def test_list_from_pairs_and_setting_labels() -> None:
    table = list_from_pairs([(p["spun"], p["original"]) for p in PAIRS])
    assert table["large hound"] == "big dog" or table.get("large") == "big"
    assert table["assembly"] == "council"
    assert resource_setting({"wordnet"}, ("moby",)) == "cross-resource"
    assert resource_setting({"wordnet"}, ("wordnet", "moby")) == "same-resource (optimistic)"


def test_spin_then_eval_round_trip(tmp_path: Path, fake: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pairs written by `despin spin` are read by `despin eval`, labelled by resource."""
    import despin.spin as spin_mod

    toy = spin_mod.Thesaurus.from_dict("toy", {"big": ["large"], "dog": ["hound"], "ran": ["sprinted"],
                                              "old": ["aged"], "barn": ["shed"], "quickly": ["rapidly"]})
    monkeypatch.setattr(spin_mod, "_lexicon_thesaurus", lambda source: toy)
    texts = ["The big dog ran quickly to the old barn.", "An old dog and a big barn.", "Big dogs ran."]
    src = _write(tmp_path / "in.jsonl", [{"id": str(i), "text": " ".join(texts)} for i in range(5)])
    out = tmp_path / "pairs.jsonl"
    assert CliRunner().invoke(main, ["spin", str(src), "-o", str(out), "--resource", "moby"]).exit_code == 0
    res = CliRunner().invoke(main, ["eval", str(out), "--resources", "wordnet", "--json"])
    got = json.loads(res.stdout)
    assert got["n"] == 5 and got["wer_before"] > 0.1 and got["setting"] == "cross-resource"


@pytest.mark.shared_data
@pytest.mark.skipif(not (SHARED / "dev-pairs" / "nlpaug-wordnet.jsonl").exists(), reason="needs ../shared/data")
def test_dev_pairs_with_the_unigram_baseline() -> None:
    path = SHARED / "dev-pairs" / "nlpaug-wordnet.jsonl"
    res = CliRunner().invoke(main, ["eval", str(path), "--baseline", "thesaurus-unigram", "--resources", "wordnet",
                                    "--limit", "3", "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert got["n"] == 3 and 0.1 < got["wer_before"] < 0.6 and got["loc_p"] > 0.3
    assert got["setting"] == "same-resource (optimistic)"  # nlpaug draws from WordNet too


def test_brute_force_helpers_are_themselves_right() -> None:
    assert brute_levenshtein(list("kitten"), list("sitting")) == 3
    assert brute_auc([0, 1], [1, 2]) == 0.875
    assert brute_tpr([0.1, 0.2], [0.15, 0.3], 0.0) == 0.5


# --------------------------------------------------------------------------- word-for-word substitutions

CANDS = {"large": ["big", "huge"], "hound": ["dog"], "swiftly": ["fast", "quickly"], "ran": ["run"]}


def _cands(word: str) -> list[str]:
    return CANDS.get(word, [])


def _span(text: str, part: str, score: float, *suggestions: str) -> Span:
    i = text.index(part)
    return Span(i, i + len(part), part, score, tuple(Suggestion(s, 0.5 / (k + 1)) for k, s in enumerate(suggestions)))


def test_substitution_stats_counts_by_hand() -> None:
    # Word for word: large<-big, Hound<-dog (one equal-length block, both covered), ran<-went
    # (not covered). "very swiftly" <- "fast" is a phrase operation: never counted, and a
    # span over it cannot be judged.
    spun = "A large Hound came and ran home very swiftly."
    orig = [t.text for t in tokenize("A big dog came and went home fast.")]
    toks = tokenize(spun)
    spans = [
        _span(spun, "large Hound", 0.9, "big dog"),  # restores both words at once
        _span(spun, "ran", 0.7, "run", "walked"),  # flagged, wrong
        _span(spun, "very swiftly", 0.8, "fast"),
    ]
    st = substitution_stats(toks, orig, spans, _cands)
    assert st == SubstitutionStats(substitutions=3, covered=2, flagged=3, top1=2, top5=2,
                                   flagged_covered=2, top1_covered=2, top5_covered=2)
    rates = st.rates()
    assert rates["coverage"] == pytest.approx(2 / 3) and rates["top1"] == pytest.approx(2 / 3)
    # A span mixing a word-for-word substitution and a phrase operation is not judged.
    mixed = [_span(spun, "home very swiftly", 0.9, "home fast")]
    assert substitution_stats(toks, orig, mixed, _cands).flagged == 0
    mixed = [_span(spun, "ran home very swiftly", 0.9, "went home fast")]
    st2 = substitution_stats(toks, orig, mixed, _cands)
    assert (st2.flagged, st2.top1, st2.top5) == (1, 0, 0)
    # Second-ranked suggestions count for top-5 only; a wrong first suggestion is no top-1.
    second = [_span(spun, "Hound", 0.9, "cat", "Dog")]
    st3 = substitution_stats(toks, orig, second, _cands)
    assert (st3.flagged, st3.top1, st3.top5, st3.top5_covered) == (1, 0, 1, 1)
    assert SubstitutionStats().rates()["top1"] == 0.0


def test_evaluate_pools_substitution_rates_into_extras() -> None:
    pairs = [Pair("1", "a big dog", "a large hound"), Pair("2", "she ran home", "she ran home")]

    def checker(text: str) -> Report:
        if "large" not in text:
            return Report(0.1, "clean", (), text)
        span = Span(2, 7, "large", 0.9, (Suggestion("big", 0.9),))
        return Report(0.9, "spun", (span,), text.replace("large", "big"))

    m, docs = evaluate(pairs, checker, candidates=_cands)
    assert docs[0].subs == SubstitutionStats(2, 2, 1, 1, 1, 1, 1, 1)
    assert (m.extras["coverage"], m.extras["flagged"], m.extras["top1"], m.extras["top5"]) == (1.0, 0.5, 1.0, 1.0)
    m2, docs2 = evaluate(pairs, checker)
    assert docs2[0].subs is None and "coverage" not in m2.extras
