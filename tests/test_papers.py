"""`despin papers`: list loading, matching, extraction, screening, CLI.

Every list and paper here is written for these tests (invented tortured phrases such as
"irregular woodland" for "random forest"); nothing comes from a third-party list.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from despin.cli import main
from despin.errors import DataError, InputError
from despin.papers.extract import extract_text, html_text, iter_papers
from despin.papers.lists import (
    Phrase,
    load_list,
    normalize_phrase,
    pairs,
    parse_list_text,
    parse_query,
)
from despin.papers.matcher import ListMatcher, normalize
from despin.papers.screen import screen_file, screen_text

SHARED = Path(__file__).parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _own_lists_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's list updates (~/.local/share/despin)."""
    monkeypatch.setenv("DESPIN_LISTS_DIR", str(tmp_path / "lists-dir"))

LIST_TSV = """# our own invented list
tortured\tcorrect
irregular woodland\trandom forest
counterfeit consciousness\tartificial intelligence
profound learning\tdeep learning
k-closest neighbours\tk-nearest neighbours
bosom peril\tbreast cancer
"""

FINGERPRINTS = """"beacon to din" OR "indicator to racket"\tsignal to noise
"colossal information" NOT "colossal information technology"\tbig data
"verdict tree" AND "arrangement"\tdecision tree
"irregular woodland"~2\trandom forest
("haze figuring" OR "cloud figuring") AND NOT "weather"\tcloud computing
"""

PAPER = (
    "Abstract. We compare an Irregular Wood-\nland classifier with profound\n"
    "learning and k-closest  neighbours on colossal information from bosom peril screening.\n"
    "Counterfeit consciousness helps; the beacon to din ratio is high."
)


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with ``lines`` in Helvetica, written by hand (xref offsets computed)."""
    ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
    for line in lines:
        esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({esc}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
         b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


@pytest.fixture()
def matcher() -> ListMatcher:
    return ListMatcher(parse_list_text(LIST_TSV, "our.tsv") + parse_list_text(FINGERPRINTS, "fp.txt"))


# --- lists ---------------------------------------------------------------------------


def test_tsv_and_fingerprint_lines_parse_with_expected_text() -> None:
    fps = parse_list_text(LIST_TSV, "our.tsv")
    assert [fp.expected for fp in fps][:2] == ["random forest", "artificial intelligence"]
    assert fps[3].query.phrases() == ("k closest neighbours",)  # header and comment skipped
    assert fps[0].source == "our.tsv:3"
    fp = parse_list_text(FINGERPRINTS, "fp.txt")
    assert fp[0].query.phrases() == ("beacon to din", "indicator to racket")
    assert fp[1].query.phrases() == ("colossal information",)  # the NOT phrase is not evidence
    assert fp[3].query.atoms() == (Phrase("irregular woodland", 2),)
    assert pairs(fp)[:2] == [("beacon to din", "signal to noise"), ("indicator to racket", "signal to noise")]


def test_query_precedence_not_and_or() -> None:
    q = parse_query('"a" OR "b" AND NOT "c"')  # a OR (b AND (NOT c))
    assert q.evaluate({Phrase("a"), Phrase("c")})
    assert q.evaluate({Phrase("b")})
    assert not q.evaluate({Phrase("b"), Phrase("c")})
    assert parse_query('"a" "b"').evaluate({Phrase("a")}) is False  # side by side means AND


@pytest.mark.parametrize(
    "line, message",
    [('"unclosed AND "x"\tfix', "fp.txt:1"), ('"a" AND\tfix', "ends too early"),
     ('NOT "a"\tx', "not negated"), ('"a" XOR "b"\tx', "double-quoted"), ('""\tx', "empty"),
     ('{"tortured": "a b", "correct": "c d"}', "looks like JSON"), ('["a b", "c d"]', "looks like JSON")],
)
def test_bad_fingerprint_names_file_and_line(line: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_list_text(line, "fp.txt")


def test_missing_list_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_list(tmp_path / "nope.tsv")


# --- matching ------------------------------------------------------------------------


def test_matches_across_case_hyphenation_and_line_breaks(matcher: ListMatcher) -> None:
    hits = matcher.find(PAPER)
    found = {(h.text, h.expected) for h in hits}
    assert ("Irregular Wood-\nland", "random forest") in found
    assert ("profound\nlearning", "deep learning") in found
    assert ("k-closest  neighbours", "k-nearest neighbours") in found
    assert ("Counterfeit consciousness", "artificial intelligence") in found
    assert ("beacon to din", "signal to noise") in found
    assert ("colossal information", "big data") in found
    for h in hits:
        assert PAPER[h.start:h.end] == h.text  # offsets point at what the reader sees
    # the proximity rule fires on the same words as the exact one
    assert {h.fingerprint.source for h in hits if h.expected == "random forest"} == {"our.tsv:3", "fp.txt:4"}


def test_rules_and_not_proximity(matcher: ListMatcher) -> None:
    assert matcher.find("Colossal information technology and colossal information.") == []  # NOT vetoes
    assert matcher.find("A verdict tree was grown.") == []  # AND needs both
    assert [h.text for h in matcher.find("A verdict tree; the arrangement works.")] == ["verdict tree", "arrangement"]
    prox = [h.text for h in matcher.find("The woodland, being irregular, was big.") if h.fingerprint.source == "fp.txt:4"]
    assert prox == ["woodland, being irregular"]
    far = "The woodland was rather big and quite irregular."
    assert not any(h.fingerprint.source == "fp.txt:4" for h in matcher.find(far))
    assert [h.text for h in matcher.find("Haze figuring in clouds.")] == ["Haze figuring"]
    assert matcher.find("Haze figuring depends on the weather.") == []


def test_no_partial_words_and_no_match_across_punctuation(matcher: ListMatcher) -> None:
    text = "irregular woodlands and an irregular, woodland and airregular woodland"
    assert [h for h in matcher.find(text) if h.fingerprint.source != "fp.txt:4"] == []  # fp.txt:4 is ~2
    assert matcher.find("") == []


def test_unicode_offsets_survive_lengthening_lowercase_and_soft_hyphens(matcher: ListMatcher) -> None:
    text = "İstanbul’s «Bosom Peril» study used pro\u00adfound learning."
    hits = matcher.find(text)
    assert [h.text for h in hits] == ["Bosom Peril", "pro\u00adfound learning"]
    assert all(text[h.start:h.end] == h.text for h in hits)


def test_real_hyphen_at_line_end_still_matches() -> None:
    m = ListMatcher(parse_list_text("k-closest neighbours\tk-nearest neighbours"))
    assert [h.text for h in m.find("the k-\nclosest neighbours rule")] == ["k-\nclosest neighbours"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["irregular", "woodland", "Wood-\nland", " ", "  ", ", ", "\n", "é", "İ",
                                 "x", "\u00ad", "-\n", "profound", "learning", "’"]), max_size=30))
def test_every_hit_is_an_exact_slice_that_normalises_to_its_phrase(parts: list[str]) -> None:
    text = " ".join(parts)
    m = ListMatcher(parse_list_text("irregular woodland\trandom forest\nprofound learning\tdeep learning"))
    for h in m.find(text):
        assert text[h.start:h.end] == h.text
        joined = h.text.replace("\u00ad", "")
        assert normalize_phrase(joined) == h.phrase or normalize(joined).text.strip() == h.phrase


def test_normalize_offsets_map_back() -> None:
    n = normalize("Deep-\nLearning, (IRREGULAR)  woodland")
    assert n.text == " deeplearning   irregular  woodland "  # ", (" is three separators
    i = n.text.index("irregular")
    assert n.span(i, i + len("irregular")) == (17, 26)


# --- extraction ----------------------------------------------------------------------


def test_pdf_html_and_text_extraction(tmp_path: Path) -> None:
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(minimal_pdf(["We fit an irregular wood-", "land to the data (n = 3)."]))
    assert "irregular wood-\nland" in extract_text(pdf)
    assert html_text("<html><script>var x='bosom peril'</script><p>A <b>bosom</b>\n peril</p></html>") == "A bosom\nperil"
    txt = tmp_path / "a.txt"
    txt.write_text("profound learning", encoding="utf-8")
    assert extract_text(txt) == "profound learning"


def test_bad_encrypted_and_empty_pdfs_are_errors_not_crashes(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    good = tmp_path / "good.pdf"
    good.write_bytes(minimal_pdf(["Counterfeit consciousness."]))
    locked = tmp_path / "locked.pdf"
    w = PdfWriter(clone_from=str(good))
    w.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    w.write(str(locked))
    open_lock = tmp_path / "ownerlocked.pdf"  # owner password only: readable, as publishers ship them
    w = PdfWriter(clone_from=str(good))
    w.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    w.write(str(open_lock))
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(minimal_pdf(["bosom peril"])[:200])
    blank = tmp_path / "blank.pdf"
    blank.write_bytes(minimal_pdf([]))
    with pytest.raises(InputError, match="encrypted PDF"):
        extract_text(locked)
    assert "Counterfeit consciousness" in extract_text(open_lock)
    for bad, why in ((corrupt, "not a readable PDF"), (truncated, "not a readable PDF"), (blank, "no text")):
        with pytest.raises(InputError, match=why):
            extract_text(bad)


def test_iter_papers_walks_directories_sorted(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/z.txt", "a.pdf", "b/y.html", "notes.csv"):
        (tmp_path / name).write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_papers([tmp_path])] == ["a.pdf", "b/y.html", "b/z.txt"]
    with pytest.raises(InputError, match="no such file"):
        list(iter_papers([tmp_path / "missing"]))


# --- screening -----------------------------------------------------------------------


def test_screen_counts_score_and_verdict(matcher: ListMatcher) -> None:
    r = screen_text(PAPER, matcher, name="paper.txt")
    assert r.verdict == "suspect" and r.error is None
    assert r.distinct_listed == 7  # the proximity rule repeats "irregular woodland": same phrase
    assert r.score == pytest.approx(7 / 9)
    assert r.to_row()["listed"].startswith("irregular woodland -> random forest")
    one = screen_text("Only profound learning here.", matcher)
    assert (one.verdict, one.score) == ("review", pytest.approx(1 / 3))
    clean = screen_text("We trained a random forest and deep learning models.", matcher)
    assert (clean.verdict, clean.score, clean.findings) == ("clean", 0.0, ())
    strict = screen_text("Only profound learning here.", matcher, threshold=1)
    assert strict.verdict == "suspect"


def test_screen_file_turns_unreadable_input_into_an_error_row(tmp_path: Path, matcher: ListMatcher) -> None:
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"not a pdf at all")
    r = screen_file(bad, matcher)
    assert r.verdict == "error" and "not a readable PDF" in (r.error or "")
    assert r.to_row()["error"] == r.error


# --- CLI -----------------------------------------------------------------------------


@pytest.fixture()
def paper_dir(tmp_path: Path) -> Path:
    from pypdf import PdfWriter

    d = tmp_path / "papers"
    d.mkdir()
    (d / "a_spun.txt").write_text(PAPER, encoding="utf-8")
    (d / "b_clean.html").write_text("<p>We trained a random forest on big data.</p>", encoding="utf-8")
    (d / "c_spun.pdf").write_bytes(minimal_pdf(["Bosom peril screening with profound", "learning."]))
    (d / "d_corrupt.pdf").write_bytes(b"%PDF-1.4\n%%EOF garbage")
    w = PdfWriter(clone_from=str(d / "c_spun.pdf"))
    w.encrypt(user_password="pw", owner_password="pw2", algorithm="AES-128")
    w.write(str(d / "e_encrypted.pdf"))
    (tmp_path / "list.tsv").write_text(LIST_TSV + FINGERPRINTS, encoding="utf-8")
    return d


def test_cli_csv_report_with_error_rows_and_summary(paper_dir: Path) -> None:
    out = paper_dir.parent / "report.csv"
    res = CliRunner().invoke(main, ["papers", str(paper_dir), "-o", str(out), "--list",
                                    str(paper_dir.parent / "list.tsv"), "--no-beyond", "--no-default-list"])
    assert res.exit_code == 0, res.output
    rows = {Path(r["path"]).name: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert [rows[n]["verdict"] for n in sorted(rows)] == ["suspect", "clean", "suspect", "error", "error"]
    assert "encrypted PDF" in rows["e_encrypted.pdf"]["error"]
    assert "bosom peril -> breast cancer" in rows["c_spun.pdf"]["listed"]
    assert "5 papers: 2 suspect, 1 clean, 2 error" in res.output.replace("\n", " ")


def test_cli_json_and_parquet_keep_offsets(paper_dir: Path) -> None:
    lst = str(paper_dir.parent / "list.tsv")
    out = paper_dir.parent / "r.json"
    res = CliRunner().invoke(main, ["papers", str(paper_dir / "a_spun.txt"), "-o", str(out), "--list", lst,
                                    "--no-beyond", "--no-default-list", "--quiet"])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    f0 = doc["papers"][0]["findings"][0]
    assert PAPER[f0["start"]:f0["end"]] == f0["text"] == "Irregular Wood-\nland"
    assert f0["expected"] == ["random forest"] and "[Irregular Wood- land]" in f0["context"]
    pq = pytest.importorskip("pyarrow.parquet")
    outp = paper_dir.parent / "r.parquet"
    res = CliRunner().invoke(main, ["papers", str(paper_dir), "-o", str(outp), "--list", lst,
                                    "--no-beyond", "--no-default-list", "--quiet"])
    assert res.exit_code == 0, res.output
    table = pq.read_table(outp).to_pylist()
    assert [r["verdict"] for r in table] == ["suspect", "clean", "suspect", "error", "error"]
    assert table[0]["findings"][0]["text"] == "Irregular Wood-\nland"


def test_cli_user_errors(tmp_path: Path, paper_dir: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["papers", str(paper_dir), "-o", str(tmp_path / "r.csv"), "--no-beyond", "--no-default-list"])
    assert res.exit_code == 2 and "nothing to look for" in res.output
    res = runner.invoke(main, ["papers", str(paper_dir), "-o", str(tmp_path / "r.csv"), "--list",
                               str(tmp_path / "missing.tsv"), "--no-beyond", "--no-default-list"])
    assert res.exit_code == 1 and "missing.tsv: no such file" in res.output and "Traceback" not in res.output
    bad = tmp_path / "bad.tsv"
    bad.write_text('"open AND\tx\n', encoding="utf-8")
    res = runner.invoke(main, ["papers", str(paper_dir), "-o", str(tmp_path / "r.csv"), "--list", str(bad),
                               "--no-beyond", "--no-default-list"])
    assert res.exit_code == 1 and "bad.tsv:1" in res.output
    res = runner.invoke(main, ["papers", str(tmp_path / "nowhere"), "-o", str(tmp_path / "r.csv"),
                               "--list", str(paper_dir.parent / "list.tsv"), "--no-beyond", "--no-default-list"])
    assert res.exit_code == 1 and "nowhere: no such file or directory" in res.output
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "data.csv").write_text("a,b\n")
    res = runner.invoke(main, ["papers", str(empty), "-o", str(tmp_path / "r.csv"), "--list",
                               str(paper_dir.parent / "list.tsv"), "--no-beyond", "--no-default-list"])
    assert res.exit_code == 1 and "no PDF, HTML or text files found" in res.output


def test_cli_help_mentions_where_lists_come_from() -> None:
    res = CliRunner().invoke(main, ["papers", "--help"])
    assert res.exit_code == 0 and "Problematic Paper Screener" in res.output and "--list" in res.output


@pytest.mark.shared_data
@pytest.mark.skipif(not (SHARED / "tortured" / "pps-dev.tsv").exists(), reason="needs ../shared/data")
def test_dev_list_loads_and_matches_its_own_phrases() -> None:
    fps = load_list(SHARED / "tortured" / "pps-dev.tsv")
    assert len(fps) == 3984
    m = ListMatcher(fps)
    sample = fps[::400]
    text = " . ".join(fp.query.phrases()[0].upper() for fp in sample)
    assert {h.fingerprint.source for h in m.find(text)} >= {fp.source for fp in sample}


# --- beyond lists --------------------------------------------------------------------

KNOWN = [
    ("counterfeit consciousness", "artificial intelligence"), ("counterfeit neural organization", "artificial neural network"),
    ("irregular woodland", "random forest"), ("profound learning", "deep learning"),
    ("abysmal neural organization", "deep neural network"), ("bosom peril", "breast cancer"),
    ("bosom canker", "breast cancer"), ("lung peril", "lung cancer"), ("verdict tree", "decision tree"),
    ("beacon to din", "signal to noise"), ("colossal information", "big data"), ("information excavation", "data mining"),
]


@pytest.fixture(scope="module")
def detector():  # type: ignore[no-untyped-def]
    from despin.papers.beyond import BeyondDetector

    # margin 5: the mechanics on a 12-pair list, whose odds are smaller than a full list's
    return BeyondDetector.build(KNOWN, terms=["prostate cancer", "random walk"], margin=5.0)


def test_beyond_restores_unlisted_phrases_from_learned_swaps_and_terms(detector) -> None:  # type: ignore[no-untyped-def]
    # "peril" <- "cancer" is learned from the list; "prostate cancer" is a user term
    assert detector.suggest("prostate peril")[0].text == "prostate cancer"
    # "woodland" <- "forest" learned; "woods" <- "forest" from the lexicon (WordNet)
    assert detector.suggest("irregular woods")[0].text == "random forest"
    assert detector.suggest("Irregular  WALK")[0].text == "random walk"


def test_beyond_flags_in_running_text_and_leaves_clean_text_alone(detector) -> None:  # type: ignore[no-untyped-def]
    text = "We screened 200 men for prostate peril with a simple blood test."
    [hit] = detector.find(text)
    assert (text[hit.start:hit.end], hit.text, hit.suggestions[0].text) == ("prostate peril", "prostate peril",
                                                                             "prostate cancer")
    assert 0.5 <= hit.confidence <= 1.0
    # the evidence an editor can check: the substitution, learned from "bosom peril" -> "breast cancer"
    [sub] = hit.substitutions
    assert (sub.observed, sub.original, sub.kind) == ("peril", "cancer", "listed")
    assert "'bosom peril' -> 'breast cancer'" in sub.detail or "'lung peril' -> 'lung cancer'" in sub.detail
    assert any("'prostate cancer'" in e for e in hit.evidence) and any("likelier" in e for e in hit.evidence)
    for clean in ("We trained a random forest on the labelled data and measured prostate cancer risk.",
                  "The samples were centrifuged at high speed.", ""):
        assert detector.find(clean) == []


def test_screen_reports_listed_and_unlisted_findings(detector, matcher: ListMatcher) -> None:  # type: ignore[no-untyped-def]
    text = "Profound learning predicts prostate peril. An irregular woods was used."
    r = screen_text(text, matcher, beyond=detector)
    kinds = [(f.kind, f.text, f.expected[0]) for f in r.findings]
    assert kinds == [("listed", "Profound learning", "deep learning"), ("unlisted", "prostate peril", "prostate cancer"),
                     ("unlisted", "irregular woods", "random forest")]
    assert r.distinct_listed == 1 and r.distinct_unlisted == 2
    # unlisted findings count half, above the clean-text base rate: review, not suspect
    assert r.verdict == "review" and 1 / 3 < r.score < 0.5


def test_corpus_terms_and_term_files(tmp_path: Path) -> None:
    from despin.papers.beyond import corpus_terms, load_terms

    texts = ["The gradient boosting model won. Gradient boosting is strong; gradient boosting again.", "x"]
    assert corpus_terms(texts) == ["gradient boosting"]
    f = tmp_path / "terms.txt"
    f.write_text("# my field\ngradient boosting\nrandom walk\tnote\n", encoding="utf-8")
    assert load_terms(f) == ["gradient boosting", "random walk"]


def test_cli_beyond_with_terms(tmp_path: Path) -> None:
    lst = tmp_path / "list.tsv"
    lst.write_text("".join(f"{t}\t{c}\n" for t, c in KNOWN), encoding="utf-8")
    terms = tmp_path / "terms.txt"
    terms.write_text("prostate cancer\n", encoding="utf-8")
    paper = tmp_path / "p.txt"
    paper.write_text("We screened men for prostate peril. Counterfeit consciousness helped.", encoding="utf-8")
    out = tmp_path / "r.json"
    res = CliRunner().invoke(main, ["papers", str(paper), "-o", str(out), "--list", str(lst), "--terms", str(terms),
                                    "--no-default-list"])
    assert res.exit_code == 0, res.output
    [row] = json.loads(out.read_text(encoding="utf-8"))["papers"]
    assert [(f["kind"], f["text"], f["expected"][0]) for f in row["findings"]] == [
        ("unlisted", "prostate peril", "prostate cancer"),
        ("listed", "Counterfeit consciousness", "artificial intelligence"),
    ]
    unlisted = row["findings"][0]
    assert [(s["observed"], s["original"], s["kind"]) for s in unlisted["substitutions"]] == [("peril", "cancer", "listed")]
    # a margin above the finding's log-odds drops it; the report says which margin was used
    res = CliRunner().invoke(main, ["papers", str(paper), "-o", str(out), "--list", str(lst), "--terms", str(terms),
                                    "--no-default-list", "--beyond-margin", str(unlisted["log_odds"] + 0.1)])
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [f["kind"] for f in doc["papers"][0]["findings"]] == ["listed"]
    assert doc["beyond_margin"] == pytest.approx(unlisted["log_odds"] + 0.1) and doc["attribution"] is None


# --- learning from the lists: alignment, back-off, keep probability, term cover ----------

SPUN = [
    ("sharp brain organizations", "deep neural networks"), ("shrewd framework", "smart system"),
    ("quick picking up", "quick learning"), ("focal point", "central point"), ("focal issue", "central issue"),
    ("tidy point", "clean point"),
]


@pytest.fixture(scope="module")
def spun_detector():  # type: ignore[no-untyped-def]
    from despin.papers.beyond import BeyondDetector

    return BeyondDetector.build(SPUN, terms=["immune system"], wordnet_terms=False, margin=5.0)


def test_align_pair_finds_uneven_units_only_when_anchored() -> None:
    from despin.papers.beyond import align_pair

    assert align_pair(["quick", "picking", "up"], ["quick", "learning"]) == [
        ("quick", "quick"), ("picking up", "learning")]
    assert align_pair(["brain", "organizations"], ["neural", "networks"]) == [
        ("brain", "neural"), ("organizations", "networks")]
    # different lengths and no shared or related word: any alignment would be a guess
    assert align_pair(["with", "zorb"], ["magnetic", "cell", "sorting"]) == []


def test_learned_substitutions_back_off_to_spelling_inflection_and_adverbs(spun_detector) -> None:  # type: ignore[no-untyped-def]
    cands = spun_detector._learned_candidates
    assert "networks" in dict(cands("organisations"))  # British spelling of a listed word
    assert "network" in dict(cands("organisation"))  # ... and another inflection, re-inflected
    assert "smart" in dict(cands("shrewdly"))  # adverb of a listed adjective
    assert dict(cands("organizations"))["networks"] > dict(cands("organisations"))["networks"]  # seen beats backed off
    assert cands("woodland") == []


def test_uneven_learned_unit_restores_a_new_phrase(spun_detector) -> None:  # type: ignore[no-untyped-def]
    # "picking up" <- "learning" was learned from "quick picking up"
    assert spun_detector.suggest("robot picking up")[0].text == "robot learning"


def test_keep_probability_follows_the_lists(spun_detector) -> None:  # type: ignore[no-untyped-def]
    from despin.papers.beyond import P_KEEP

    assert spun_detector.p_keep("point") > P_KEEP > spun_detector.p_keep("focal")  # kept twice / replaced twice
    assert spun_detector.p_keep("zebra") == pytest.approx(P_KEEP)


def test_known_term_vetoes_a_window_only_where_it_covers_the_change(spun_detector) -> None:  # type: ignore[no-untyped-def]
    # "immune system" is a known term, but "focal" <- "central" lies outside it
    assert spun_detector.has_evidence("focal immune system", "central immune system")
    assert not spun_detector.has_evidence("focal immune system", "focal safe system")  # a change inside the term
    [hit] = spun_detector.find("Damage to the focal immune system was rare in the cohort.")
    found, sugg = hit.text, hit.suggestions
    assert (found, sugg[0].text) == ("focal", "central")
    assert spun_detector.find("The immune system was examined in every subject.") == []


def test_context_words_weigh_on_a_restoration() -> None:
    from despin.papers.beyond import _context_delta

    # the words around a window: "we discuss how the" reads far better than "we air how the"
    assert _context_delta(("we",), "discuss how", ("the",)) > _context_delta(("we",), "air how", ("the",)) + 3
    assert _context_delta((), "discuss how", ()) == pytest.approx(0.0)


def test_beyond_without_a_thesaurus_uses_only_what_the_lists_teach() -> None:
    from despin.papers.beyond import BeyondDetector, lexicon_candidates

    assert lexicon_candidates("woodlands", ()) == ()
    d = BeyondDetector.build([("counterfeit consciousness", "artificial intelligence")], sources=())
    assert d.suggest("counterfeit consciousness")[0].text == "artificial intelligence"


# --- the bundled default list and the user's updates ---------------------------------------


def _bundled_phrase() -> tuple[str, str]:
    """A two-word entry of the bundled list, chosen at run time (no list text in this file)."""
    from despin.papers.bundled import bundled_list

    fp = next(fp for fp in bundled_list() if len(fp.query.phrases()[0].split()) == 2 and fp.expected.isascii()
              and fp.expected.replace(" ", "").isalpha())
    return fp.query.phrases()[0], fp.expected


def test_bundled_list_loads_with_attribution() -> None:
    from despin.papers.bundled import ATTRIBUTION, bundled_list, bundled_text

    fps = bundled_list()
    assert len(fps) > 3000 and all(fp.source.startswith("bundled PPS list:") for fp in fps[:5])
    assert "Problematic Paper Screener" in bundled_text().split("\ntortured\t")[0]  # the file's own header
    assert "Cabanac" in ATTRIBUTION and "half" in ATTRIBUTION and "CC BY 4.0" in ATTRIBUTION
    notice = (Path(__file__).parents[1] / "despin" / "data" / "NOTICE").read_text(encoding="utf-8")
    assert "tortured-pps.tsv.gz" in notice and "Cabanac" in notice and "CC BY 4.0" in notice


def test_pdf_to_html_report_with_no_flag_uses_the_bundled_list(tmp_path: Path) -> None:
    phrase, expected = _bundled_phrase()
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(minimal_pdf([f"In this work we rely on {phrase} for the", "analysis of the samples."]))
    out = tmp_path / "report.html"
    res = CliRunner().invoke(main, ["papers", str(pdf), "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert f'<mark class="listed">{phrase}</mark>' in page and expected in page
    assert "bundled PPS list:" in page and "Problematic Paper Screener" in page and "Cabanac" in page
    assert "<link" not in page and "src=" not in page  # self-contained


def test_default_list_can_be_turned_off_and_added_to(tmp_path: Path) -> None:
    phrase, _ = _bundled_phrase()
    paper = tmp_path / "p.txt"
    paper.write_text(f"We rely on {phrase}. An irregular woodland was fitted.", encoding="utf-8")
    own = tmp_path / "own.tsv"
    own.write_text("irregular woodland\trandom forest\n", encoding="utf-8")

    def listed(*flags: str) -> list[str]:
        out = tmp_path / "r.json"
        res = CliRunner().invoke(main, ["papers", str(paper), "-o", str(out), "--no-beyond", "--quiet", *flags])
        assert res.exit_code == 0, res.output
        return [f["phrase"] for f in json.loads(out.read_text(encoding="utf-8"))["papers"][0]["findings"]]

    assert listed() == [phrase]
    assert listed("--list", str(own)) == [phrase, "irregular woodland"]
    assert listed("--list", str(own), "--no-default-list") == ["irregular woodland"]


def test_update_list_merges_into_the_lists_dir(tmp_path: Path) -> None:
    phrase, expected = _bundled_phrase()
    newer = tmp_path / "newer.tsv"
    newer.write_text(f"tortured\tcorrect\nzorbic flummox\tsmart device\n{phrase}\t{expected}\n"
                     f'"quibbly gadget" AND NOT "gadget law"\tsmall device\n', encoding="utf-8")
    where = tmp_path / "my-lists"
    res = CliRunner().invoke(main, ["papers", "--update-list", str(newer), "--lists-dir", str(where)])
    assert res.exit_code == 0, res.output
    assert "3 entries read: 2 new, 0 changed, 1 already known" in res.output
    assert (where / "tortured-updates.tsv").exists()
    # again, with a changed entry: merged, not appended
    newer.write_text("zorbic flummox\tsmart gadget\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["papers", "--update-list", str(newer), "--lists-dir", str(where)])
    assert "1 entries read: 0 new, 1 changed" in res.output and "2 updates in" in res.output
    paper = tmp_path / "p.txt"
    paper.write_text("A zorbic flummox and a quibbly gadget.", encoding="utf-8")
    out = tmp_path / "r.json"
    res = CliRunner().invoke(main, ["papers", str(paper), "-o", str(out), "--no-beyond", "--lists-dir", str(where)])
    assert res.exit_code == 0, res.output
    found = json.loads(out.read_text(encoding="utf-8"))["papers"][0]["findings"]
    assert [(f["phrase"], f["expected"]) for f in found] == [("zorbic flummox", ["smart gadget"]),
                                                            ("quibbly gadget", ["small device"])]
    # the environment variable names the directory too; a bad list changes nothing
    bad = tmp_path / "bad.tsv"
    bad.write_text('"open AND\tx\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["papers", "--update-list", str(bad)], env={"DESPIN_LISTS_DIR": str(where)})
    assert res.exit_code == 1 and "bad.tsv:1" in res.output and "Traceback" not in res.output
    assert "smart gadget" in (where / "tortured-updates.tsv").read_text(encoding="utf-8")


def test_lists_dir_defaults_to_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from despin.papers.bundled import lists_dir

    monkeypatch.delenv("DESPIN_LISTS_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert lists_dir() == tmp_path / "xdg" / "despin"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert lists_dir() == tmp_path / "home" / ".local" / "share" / "despin"
    assert lists_dir(tmp_path / "x") == tmp_path / "x"


def test_usage_errors_without_inputs_or_output(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["papers"])
    assert res.exit_code == 2 and "FILES_OR_DIR" in res.output
    res = CliRunner().invoke(main, ["papers", str(tmp_path)])
    assert res.exit_code == 2 and "--output" in res.output


def test_restorations_that_reread_the_text_are_not_flagged() -> None:
    from despin.papers.beyond import BeyondDetector

    d = BeyondDetector.build(KNOWN, terms=["gaussian mixture model"], wordnet_terms=False)
    # a changed function word, or two changed words that make no known term: a rereading
    assert d._weak_restoration(["measures", "within"], "amounts in")
    assert d._weak_restoration(["helps", "operators"], "assistance agents")
    assert not d._weak_restoration(["bosom", "peril"], "breast cancer")  # a known term
    assert not d._weak_restoration(["prostate", "peril"], "prostate cancer")  # one word
    # the words with their neighbours form a known term: the term as written
    assert d._inside_known_term(["a", "gaussian", "mixture", "model", "fits"], 2, 4)
    assert not d._inside_known_term(["a", "hybrid", "mixture", "model", "fits"], 2, 4)
    # spacing and hyphens are spelling, not a thesaurus
    assert not d.has_evidence("ad hoc networks", "ad-hoc networks")


def test_listed_substitutions_raise_the_log_odds(monkeypatch: pytest.MonkeyPatch) -> None:
    import despin.papers.beyond as beyond

    text = "We screened 200 men for prostate peril with a simple blood test."
    d = beyond.BeyondDetector.build(KNOWN, terms=["prostate cancer"], margin=0.0)
    [with_bonus] = d.find(text)
    bonus = beyond.LISTED_BONUS
    monkeypatch.setattr(beyond, "LISTED_BONUS", 0.0)
    [without] = beyond.BeyondDetector.build(KNOWN, terms=["prostate cancer"], margin=0.0).find(text)
    # "peril" <- "cancer" is listed twice and "peril" is only ever a substitute (strength 2/3)
    strength = d._tortured_strength["peril"]
    assert bonus > 0 and with_bonus.log_odds == pytest.approx(without.log_odds + bonus * strength)
    assert any("listed substitution" in e for e in with_bonus.evidence)
    # a restoration through a thesaurus relation alone gets nothing
    monkeypatch.setattr(beyond, "LISTED_BONUS", bonus)
    assert d.listed_bonus("irregular woods", "random forest") == 0.0
    assert not d._listed_only("irregular woods", "random forest")
    assert d._listed_only("prostate peril", "prostate cancer")


def test_unlisted_forms_borrow_the_strength_of_a_listed_form() -> None:
    from despin.papers.beyond import BeyondDetector

    pairs = KNOWN + [("gated repetitive unit", "gated recurrent unit")]
    d = BeyondDetector.build(pairs, wordnet_terms=False)
    own = d.substitute_strength("peril")
    assert own[1] == "peril" and own[0] > 0.5
    # another inflection, a hyphenated compound's part: the listed word's strength, named
    assert d.substitute_strength("perils") == pytest.approx(own)
    assert d.substitute_strength("semi-repetitive") == (pytest.approx(d.substitute_strength("repetitive")[0]), "repetitive")
    # the word's own uses inside correct terms count against it
    in_terms = BeyondDetector.build(pairs, terms=["flood perils"], wordnet_terms=False)
    assert 0.0 < in_terms.substitute_strength("perils")[0] < own[0]
    # a word the lists never show, and no relative of one: no evidence
    assert d.substitute_strength("teapots") == (0.0, "teapots")
    # the back-off brings a phrase with an unlisted form into the search, and says why
    assert d._worth_searching("prostate perils")
    assert any("'perils' (as 'peril')" in e for e in d.evidence("prostate perils", "prostate cancers", 13.0))
    off = BeyondDetector.build(pairs, wordnet_terms=False, strength_backoff=False)
    assert off.substitute_strength("perils") == (0.0, "perils")
    assert not off._worth_searching("prostate perils")


def test_replacing_a_rare_word_raises_the_log_odds() -> None:
    from despin.papers.beyond import RARE_WORD_BONUS, BeyondDetector

    pairs = KNOWN + [("crossbreed engine", "hybrid engine"), ("crossbreed vehicle", "hybrid vehicle")]
    text = "We trained a crossbreed model on the survey data."
    with_bonus = BeyondDetector.build(pairs, terms=["hybrid model"], margin=0.0)
    without = BeyondDetector.build(pairs, terms=["hybrid model"], margin=0.0, rare_bonus=0.0)
    [a] = with_bonus.find(text)
    [b] = without.find(text)
    assert a.suggestions[0].text == b.suggestions[0].text == "hybrid model"
    assert RARE_WORD_BONUS > 0 and a.log_odds == pytest.approx(b.log_odds + RARE_WORD_BONUS)
    assert any("'crossbreed' is a rare word" in e for e in a.evidence)
    assert not any("rare word" in e for e in b.evidence)
    # a common word replaced: no bonus; and none without lists (measured with them only)
    assert with_bonus.rare_word_bonus("mixed model", "hybrid model") == (0.0, "")
    assert BeyondDetector.build([], terms=["hybrid model"]).rare_word_bonus("crossbreed model", "hybrid model") == (0.0, "")
