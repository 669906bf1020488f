"""`despin scan`: readers, the local engine, errors kept, resume after a kill, the CLI.

A stand-in detector (flags the word "utilize", suggests "use") replaces `despin.core.check`
so that these tests exercise the scan machinery whatever the real detector decides.
Worker processes are forked, so they inherit the stand-in.
"""
from __future__ import annotations

import dataclasses
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import despin.core
import despin.errors
from despin.cli import main
from despin.config import Config
from despin.io.corpus import read_rows, row_schema
from despin.report import Report, Span, Suggestion, apply
from despin.scan import run_scan

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def fake_check(text: str, *, profile: Any = None, index: Any = None, config: Config = Config()) -> Report:
    if "EXPLODE" in text:
        raise RuntimeError("detector bug")
    spans = tuple(
        Span(m.start(), m.end(), m.group(), 0.9, (Suggestion("use", 0.8),), "fake-profile: 'use' fits better")
        for m in re.finditer(r"\butilize\b", text)
    )
    # The score tells the tests which path was asked for: 0.8x means explain=False (screen).
    base = 0.9 if config.explain else 0.8
    return Report(
        score=(base + 0.01) if spans else 0.1,
        verdict="spun" if spans else "clean",
        spans=spans if config.explain else (),
        restored=apply(text, spans),
    )


@pytest.fixture(autouse=True)
def stand_in_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(despin.core, "check", fake_check)


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = [
    json.dumps({"id": "a1", "text": "We utilize the bridge every morning."}),
    json.dumps({"id": "a2", "text": "The river runs under the bridge."}),
    "{this is not json",
    json.dumps({"id": "a3", "body": "no text field here"}),
    "",
    json.dumps({"id": 44, "text": "Farmers utilize rain water and utilize wells."}),
    json.dumps({"id": "a5", "text": "EXPLODE the detector on this one."}),
    json.dumps({"id": "a6", "text": "Nothing to see."}),
]


def test_jsonl_keeps_every_record_and_lists_errors(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD)
    summary = run_scan([src], tmp_path / "out", fmt="jsonl", workers=2, shard_size=2, chunk_size=1)
    rows = read_rows(tmp_path / "out")
    # One row per non-blank line, in input order, with ids kept (a number id as its JSON text).
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 6, 7, 8]
    assert [r["id"] for r in rows] == ["a1", "a2", None, "a3", "44", "a5", "a6"]
    assert all(r["file"] == str(src) for r in rows)
    by_line = {r["line"]: r for r in rows}
    assert by_line[1]["verdict"] == "spun" and by_line[1]["score"] == 0.91
    assert by_line[1]["spans"] == [
        {"start": 3, "end": 10, "text": "utilize", "score": 0.9, "suggestion": "use",
         "reason": "fake-profile: 'use' fits better"}
    ]
    assert len(by_line[6]["spans"]) == 2 and by_line[6]["restored"] is None
    assert by_line[2]["verdict"] == "clean" and by_line[2]["spans"] == []
    assert "malformed JSON" in by_line[3]["error"] and by_line[3]["score"] is None
    assert by_line[4]["error"] == "missing text field 'text'"
    assert by_line[7]["error"] == "check failed: RuntimeError: detector bug"
    errors = [json.loads(x) for x in (tmp_path / "out" / "_errors.jsonl").read_text().splitlines()]
    assert [(e["file"], e["line"]) for e in errors] == [(str(src), 3), (str(src), 4), (str(src), 7)]
    assert summary["documents"] == 7 and summary["errors"] == 3 and summary["spun"] == 2
    assert summary["share_spun"] == 0.5
    assert summary["top_sources"] == [("fake-profile", 3)]
    assert json.loads((tmp_path / "out" / "_summary.json").read_text())["documents"] == 7
    assert (tmp_path / "out" / "_SUCCESS").exists()
    assert len(summary["peak_rss_mb_per_worker"]) >= 1 and all(v > 1 for v in summary["peak_rss_mb_per_worker"])


def test_lines_parsed_by_the_workers_are_the_records_the_reader_gives(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """With several workers the scan process only splits JSONL into lines and the workers
    parse them (`as_record`): every kind of line must give the record `iter_records` gives."""
    from despin.io.corpus import as_record, expand_inputs, iter_record_items, iter_records

    # Python's default: the 5,000-deep line below is then too deep to parse (a library
    # imported earlier in a test session may have raised the limit for itself).
    request.addfinalizer(lambda limit=sys.getrecursionlimit(): sys.setrecursionlimit(limit))
    sys.setrecursionlimit(1000)

    lines = [*GOOD, "[1, 2]", json.dumps({"id": None, "text": 7}), '{"text": "deep", "x": ' + "[" * 5000 + "]" * 5000 + "}"]
    plain = write_jsonl(tmp_path / "a.jsonl", lines)
    with open(plain, "ab") as fh:
        fh.write(b'{"id": "latin", "text": "caf\xe9"}\n')  # not UTF-8
    data = plain.read_bytes()
    with gzip.open(tmp_path / "b.jsonl.gz", "wb") as fh:
        fh.write(data)
    (tmp_path / "c.jsonl.gz").write_bytes((tmp_path / "b.jsonl.gz").read_bytes()[:-30])  # truncated
    files = expand_inputs([plain, tmp_path / "b.jsonl.gz", tmp_path / "c.jsonl.gz"])
    expected = list(iter_records(files))
    assert len(expected) > 2 * 11 and expected[:11] == [dataclasses.replace(r, file=str(plain)) for r in expected[11:22]]
    assert expected[-1].line == 0 and (expected[-1].error or "").startswith("unreadable")  # the truncated file
    assert [r.error for r in expected[7:11]] == ["expected a JSON object, got list", "text field 'text' is int, not a string",
                                               "malformed JSON: nested too deeply", "not valid utf-8 at byte 28"]
    assert [as_record(item) for item in iter_record_items(files)] == expected
    for text_field, id_field in (("body", "text"), ("text", "id")):
        assert [as_record(item, text_field, id_field) for item in iter_record_items(files)] == list(
            iter_records(files, text_field=text_field, id_field=id_field))


def test_one_worker_and_several_give_the_same_rows(tmp_path: Path) -> None:
    # One worker: this process parses; several: the workers do. Same rows either way.
    src = write_jsonl(tmp_path / "in.jsonl", GOOD * 40)
    for workers in (1, 3):
        run_scan([src], tmp_path / f"out{workers}", fmt="jsonl", workers=workers, shard_size=50, chunk_size=7)
    assert read_rows(tmp_path / "out1") == read_rows(tmp_path / "out3")
    assert len(read_rows(tmp_path / "out1")) == 7 * 40
    summary = json.loads((tmp_path / "out3" / "_summary.json").read_text())
    assert summary["cpu_s_this_run"]["workers"] > 0 and summary["cpu_s_this_run"]["main"] > 0


def test_screen_mode_asks_for_the_fast_path_and_restore_mode_restores(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:2])
    run_scan([src], tmp_path / "screen", fmt="jsonl", mode="screen", workers=0)
    screen = read_rows(tmp_path / "screen")
    assert screen[0]["score"] == 0.81 and screen[0]["spans"] is None and screen[0]["restored"] is None
    run_scan([src], tmp_path / "restore", fmt="jsonl", mode="restore", workers=1)
    restored = read_rows(tmp_path / "restore")
    assert restored[0]["restored"] == "We use the bridge every morning."
    assert restored[1]["restored"] == "The river runs under the bridge."


def test_parquet_in_and_out_round_trip(tmp_path: Path) -> None:
    table = pa.table({"doc": [10, 11, 12], "body": ["They utilize tools.", None, "Quiet evening."]})
    pq.write_table(table, tmp_path / "in.parquet")
    run_scan([tmp_path / "in.parquet"], tmp_path / "out", text_field="body", id_field="doc", workers=2, shard_size=2)
    # The output folder is a Parquet dataset any tool reads directly; bookkeeping files start with "_".
    out = pq.read_table(tmp_path / "out")
    assert out.schema.remove_metadata() == row_schema()
    rows = out.to_pylist()
    assert [(r["id"], r["line"]) for r in rows] == [("10", 1), ("11", 2), ("12", 3)]
    assert rows[0]["spans"][0]["suggestion"] == "use"
    assert rows[1]["error"] == "text field 'body' is null"
    assert rows[2]["verdict"] == "clean"
    assert sorted(p.name for p in (tmp_path / "out").glob("part-*")) == ["part-00000.parquet", "part-00001.parquet"]


def test_compressed_jsonl(tmp_path: Path) -> None:
    zstandard = pytest.importorskip("zstandard")
    payload = (GOOD[0] + "\n" + GOOD[1] + "\n").encode()
    with gzip.open(tmp_path / "a.jsonl.gz", "wb") as fh:
        fh.write(payload)
    (tmp_path / "b.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(payload))
    run_scan([tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.zst"], tmp_path / "out", fmt="jsonl", workers=0)
    rows = read_rows(tmp_path / "out")
    assert [(Path(r["file"]).name, r["id"], r["verdict"]) for r in rows] == [
        ("a.jsonl.gz", "a1", "spun"), ("a.jsonl.gz", "a2", "clean"),
        ("b.jsonl.zst", "a1", "spun"), ("b.jsonl.zst", "a2", "clean"),
    ]


def test_folder_of_txt_and_html(tmp_path: Path) -> None:
    pytest.importorskip("trafilatura")
    corpus = tmp_path / "site"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "a.txt").write_text("Engineers utilize steel.", encoding="utf-8")
    (corpus / "sub" / "c.txt").write_text("Plain prose only.", encoding="utf-8")
    (corpus / "bad.txt").write_bytes(b"caf\xe9 au lait")  # latin-1, not UTF-8
    (corpus / "notes.csv").write_text("ignored,file\n", encoding="utf-8")
    article = " ".join(
        f"Paragraph {i}: the town council met again to utilize the new hall for its long weekly debate."
        for i in range(6)
    )
    (corpus / "b.html").write_text(
        "<html><head><title>T</title></head><body><nav><a href='/'>Home</a> <a href='/x'>Contact us</a></nav>"
        f"<article><h1>Council news</h1><p>{article}</p></article>"
        "<footer>Copyright footer text</footer></body></html>",
        encoding="utf-8",
    )
    run_scan([corpus], tmp_path / "out", fmt="jsonl", mode="restore", workers=2)
    rows = {r["id"]: r for r in read_rows(tmp_path / "out")}
    assert sorted(rows) == ["a.txt", "b.html", "bad.txt", "c.txt"]
    assert all(r["line"] == 0 for r in rows.values())
    assert rows["a.txt"]["restored"] == "Engineers use steel."
    html = rows["b.html"]["restored"]
    assert "use the new hall" in html and "<p>" not in html and "Contact us" not in html
    assert "not valid utf-8" in rows["bad.txt"]["error"]


def test_existing_output_and_changed_options_are_refused(tmp_path: Path) -> None:
    from despin.errors import InputError

    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:2])
    run_scan([src], tmp_path / "out", workers=0)
    with pytest.raises(InputError, match="pass --resume"):
        run_scan([src], tmp_path / "out", workers=0)
    with pytest.raises(InputError, match="mode differ"):
        run_scan([src], tmp_path / "out", workers=0, mode="screen", resume=True)
    run_scan([src], tmp_path / "out", workers=0, mode="screen", overwrite=True)
    assert read_rows(tmp_path / "out")[0]["score"] == 0.81
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not a despin scan output"):
        run_scan([src], tmp_path / "other", workers=0, overwrite=True)
    assert (tmp_path / "other" / "keep.txt").exists()


KILLABLE = textwrap.dedent(
    """
    import sys, time
    import despin.core
    from despin.report import empty_report

    def slow(text, **kw):
        time.sleep(0.004)
        return empty_report(text)

    despin.core.check = slow
    from despin.scan import run_scan
    run_scan([sys.argv[1]], sys.argv[2], fmt="jsonl", workers=2, shard_size=40, chunk_size=8)
    """
)


def test_resume_after_kill_gives_exactly_one_row_per_record(tmp_path: Path) -> None:
    n = 1200
    src = write_jsonl(tmp_path / "in.jsonl", [json.dumps({"id": f"r{i}", "text": f"Row {i} of the corpus."}) for i in range(n)])
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE, str(src), str(out)])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(list((out / "_completions").glob("*.json"))) < 4:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    committed = len(list((out / "_completions").glob("*.json")))
    assert 4 <= committed < n // 40, "the kill should land mid-scan"
    assert not (out / "_SUCCESS").exists()
    # Also simulate the worst moments of a crash: a part written but its marker not yet,
    # and a temp file half written.
    (out / f"part-{committed + 5:05d}.jsonl").write_text('{"id": "stale"}\n')
    (out / ".part-00999.jsonl.abc.tmp").write_text("half")
    summary = run_scan([src], out, fmt="jsonl", workers=2, shard_size=40, resume=True)
    rows = read_rows(out)
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(n)]  # none lost, none duplicated, in order
    assert summary["documents"] == n and summary["documents_this_run"] <= n - 4 * 40
    assert not list(out.glob(".*.tmp"))


def test_cli_scan_and_user_errors(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD)
    runner = CliRunner()
    res = runner.invoke(main, ["scan", str(src), "-o", str(tmp_path / "out"), "--format", "jsonl", "--workers", "1",
                               "--shard-size", "3"])
    assert res.exit_code == 0, res.output
    assert "documents: 7  spun: 2 (50.0%)  errors: 3" in res.output
    assert "top sources: fake-profile (3 spans)" in res.output
    assert len(read_rows(tmp_path / "out")) == 7
    res = runner.invoke(main, ["scan", str(src), "-o", str(tmp_path / "out"), "--quiet"])
    assert res.exit_code == 1 and res.output.startswith("Error: ") and "--resume" in res.output
    (tmp_path / "x.csv").write_text("a,b\n")
    res = runner.invoke(main, ["scan", str(tmp_path / "x.csv"), "-o", str(tmp_path / "o2")])
    assert res.exit_code == 1 and "unsupported input type" in res.output
    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "p.parquet")
    res = runner.invoke(main, ["scan", str(tmp_path / "p.parquet"), "-o", str(tmp_path / "o3")])
    assert res.exit_code == 1 and "no column 'text'" in res.output and "--text-field" in res.output
    res = runner.invoke(main, ["scan", str(src), "-o", str(tmp_path / "o4"), "--mode", "fast"])
    assert res.exit_code == 2
    res = runner.invoke(main, ["scan", str(src), "-o", str(tmp_path / "o5"), "--address", "h:1"])
    assert res.exit_code == 2 and "--engine ray" in res.output


def test_profiles_load_once_and_reach_the_detector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile_mod = pytest.importorskip("despin.profile")
    prof = profile_mod.Profile.from_counts("tester", {"utilize": {"use": 3}})
    profile_mod.save(prof, tmp_path / "tester.jsonl")
    seen: list[Any] = []

    def recording_check(text: str, *, profile: Any = None, index: Any = None, config: Config = Config()) -> Report:
        seen.append(profile)
        return fake_check(text, profile=profile, index=index, config=config)

    monkeypatch.setattr(despin.core, "check", recording_check)
    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:2])
    run_scan([src], tmp_path / "out", workers=0, profiles=[str(tmp_path / "tester.jsonl")])
    assert seen and all(len(p) == 1 and p[0].name == "tester" for p in seen)
    from despin.errors import DataError

    (tmp_path / "broken.jsonl").write_text("{nope\n")
    with pytest.raises(DataError):
        run_scan([src], tmp_path / "out2", workers=0, profiles=[str(tmp_path / "broken.jsonl")])
    assert not (tmp_path / "out2").exists()  # a bad profile fails before any output is made


# ------------------------------------------------------------------ start-up: only what a mode needs
# Runs in a new process (no warm caches from other tests, no stand-in detector): an audit
# hook installed before the workers fork logs every data file any process opens.
STARTUP_PROBE = textwrap.dedent("""
    import json, os, sys
    log = os.open(sys.argv[3], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    def hook(event, args):
        if event == "open" and isinstance(args[0], str) and ("/data/" in args[0] or "pocketsphinx" in args[0]):
            os.write(log, f"{os.getpid()} {args[0]}\\n".encode())
    sys.addaudithook(hook)
    from despin.scan import run_scan
    summary = run_scan([sys.argv[1]], sys.argv[2], fmt="jsonl", mode="screen", workers=4)
    # (the workers started; how many of them got a chunk depends on timing: a fast worker may
    # take two of three chunks before the third starts)
    print(json.dumps({"pid": os.getpid(), "workers": summary["workers"],
                      "modules": sorted(m for m in ("pocketsphinx", "lemminflect") if m in sys.modules)}))
""")


def test_screen_scan_loads_only_the_screen_table_and_starts_one_worker_for_a_small_input(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [json.dumps({"id": str(i), "text": t}) for i, t in enumerate(
        ["The council will utilize the old bridge.", "Nothing happened on Tuesday.", "THE NASA PLAN was aforementioned."])])
    log = tmp_path / "opened.log"
    res = subprocess.run([sys.executable, "-c", STARTUP_PROBE, str(src), str(tmp_path / "out"), str(log)],
                         capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1])
    assert res.returncode == 0, res.stderr
    probe = json.loads(res.stdout)
    assert probe["workers"] == 1  # 3 records are one chunk: one worker, not 4
    assert probe["modules"] == []  # no language model, no inflection tables
    opened = [line.split(" ", 1) for line in log.read_text().splitlines()]
    data_files = {Path(path).name for _, path in opened if "/despin/data/" in path}
    assert data_files <= {"screen-evidence.tsv.gz", "calibration.json"}
    assert not [path for _, path in opened if "pocketsphinx" in path]
    # A lone worker reads the table itself (while the scan process imports pyarrow) ...
    table_reads = [int(pid) for pid, path in opened if path.endswith("screen-evidence.tsv.gz")]
    assert len(table_reads) == 1 and table_reads != [probe["pid"]]
    # ... several share the one the scan process read before forking them: not one each.
    many = write_jsonl(tmp_path / "many.jsonl", [json.dumps({"id": str(i), "text": f"Line {i} of the news."})
                                                 for i in range(600)])
    log.unlink()
    res = subprocess.run([sys.executable, "-c", STARTUP_PROBE, str(many), str(tmp_path / "out-many"), str(log)],
                         capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1])
    assert res.returncode == 0, res.stderr
    probe = json.loads(res.stdout)
    assert probe["workers"] == 3  # 600 records: chunks of 256, 256 and 88
    opened = [line.split(" ", 1) for line in log.read_text().splitlines()]
    table_reads = [int(pid) for pid, path in opened if path.endswith("screen-evidence.tsv.gz")]
    assert table_reads == [probe["pid"]]
    assert [r["id"] for r in read_rows(tmp_path / "out")] == ["0", "1", "2"]


def test_words_outside_the_screen_table_get_the_live_value() -> None:
    """The screen never computes evidence live when its table is complete: a word outside it
    must be what the live computation says (ineligible, or no candidates). Words written here."""
    from despin.screen import _raw_table, table_only_evidence, type_evidence

    if not _raw_table():
        pytest.skip("no precomputed screen table in this installation")
    words = ["zorblaxian", "snorfulated", "qwrtp", "mln", "1987", "brrr", "xyzzy's", "glonkish", "ab", "e",
             "vfeldt", "ultrablorp", "mcgrumble", "naïveté", "straße"]
    outside = [w for w in words if w not in _raw_table()]
    assert len(outside) >= 10
    for w in outside:
        assert table_only_evidence(w) == type_evidence.__wrapped__(w, ("wordnet", "moby")), w


def test_screen_features_are_the_same_cold_and_warm_and_case_aware() -> None:
    from despin.screen import screen_features

    text = "The NASA panel will utilize the data. The nasa panel will utilize the data. Qwrtp zorblaxian."
    sources = ("wordnet", "moby")
    first = screen_features(text, sources)
    assert screen_features(text, sources) == first
    # An acronym is skipped; the other spellings of the word share its type's evidence.
    assert screen_features("PANEL", sources) == [0.0, 0.0, 0.0, 0.0]
    one = screen_features("panel", sources)
    assert one == screen_features("Panel", sources) and one[0] != 0.0 and one[3] == 0.0  # log(1 word)


# ------------------------------------------------------------------ engines registry
def test_engines_register_themselves_and_scan_never_imports_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ast

    import despin.scan as scan_mod

    src = write_jsonl(tmp_path / "in.jsonl", GOOD[:2])
    monkeypatch.setattr(scan_mod, "_ENGINES", {})
    with pytest.raises(despin.errors.InputError, match="import despin.engines.ray first"):
        run_scan([src], tmp_path / "o1", fmt="jsonl", engine="ray")
    with pytest.raises(despin.errors.InputError, match="unknown engine"):
        run_scan([src], tmp_path / "o2", fmt="jsonl", engine="spark")

    calls: list[dict[str, Any]] = []

    def batches(files: Any, **kw: Any) -> Any:
        from despin.io.corpus import iter_records
        from despin.scan import row_for_record

        calls.append(kw)
        yield [row_for_record(r, kw["mode"]) for r in iter_records(files, text_field=kw["text_field"],
                                                                    id_field=kw["id_field"])]

    scan_mod.register_engine("ray", batches)
    summary = run_scan([src], tmp_path / "o3", fmt="jsonl", engine="ray", mode="screen")
    assert summary["engine"] == "ray" and summary["documents"] == 2 and calls[0]["mode"] == "screen"
    assert [r["score"] for r in read_rows(tmp_path / "o3")] == [0.81, 0.1]

    # The import graph: engines import scan, never the reverse (not even inside a function).
    def imported(path: Path) -> set[str]:
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names.add("." * node.level + (node.module or ""))
                names.update("." * node.level + (node.module + "." if node.module else "") + a.name for a in node.names)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        return names

    package = Path(scan_mod.__file__).parent
    assert not [n for n in imported(package / "scan.py") if "engines" in n]
    assert "..scan" in imported(package / "engines" / "ray.py")
