"""`despin check` / `despin restore` from the command line: output and exit codes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from despin.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
SPUN = "The physician informed the patient that the operation had been a achievement within a hebdomad."
CLEAN = "The museum will open a new wing next month, the director said on Friday."


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def test_terminal_view_marks_spans_inline(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text(SPUN, encoding="utf-8")
    r = run("check", str(f))
    assert r.exit_code == 0, r.output
    assert "[hebdomad → week]" in r.output  # applied
    assert "[physician → doctor?]" in r.output  # suggested, too unsure to apply
    assert "verdict: spun" in r.output


def test_json_is_the_report_contract(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text(SPUN, encoding="utf-8")
    r = run("check", "--json", str(f))
    assert r.exit_code == 0
    d = json.loads(r.output)
    assert d["verdict"] == "spun" and d["spans"] and d["restored"] != SPUN


def test_stdin_when_no_file() -> None:
    r = run("check", "--json", input=CLEAN)
    assert r.exit_code == 0
    assert json.loads(r.output)["restored"] == CLEAN


def test_jsonl_one_report_per_line_in_order_with_bad_lines_kept(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    f.write_text(
        json.dumps({"text": SPUN}) + "\n{not json\n" + json.dumps({"body": CLEAN}) + "\n" + json.dumps({"text": CLEAN}) + "\n",
        encoding="utf-8",
    )
    r = run("check", "--jsonl", str(f))
    assert r.exit_code == 0
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    assert len(lines) == 4
    assert lines[0]["verdict"] == "spun"
    assert "error" in lines[1] and lines[1]["line"] == 2
    assert "error" in lines[2] and "text" in lines[2]["error"]
    assert lines[3]["restored"] == CLEAN


def test_jsonl_custom_field(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"body": CLEAN}) + "\n", encoding="utf-8")
    r = run("check", "--jsonl", str(f), "--field", "body")
    assert r.exit_code == 0
    assert json.loads(r.output.splitlines()[0])["restored"] == CLEAN


def test_restore_prints_restored_text(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text(SPUN, encoding="utf-8")
    r = run("restore", str(f))
    assert r.exit_code == 0
    assert "week" in r.output and "hebdomad" not in r.output


def test_missing_file_exits_1_naming_it() -> None:
    r = run("check", "no/such/file.txt")
    assert r.exit_code == 1
    assert "no/such/file.txt" in r.output and "Traceback" not in r.output


def test_binary_file_exits_1(tmp_path: Path) -> None:
    f = tmp_path / "blob.bin"
    f.write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    r = run("check", str(f))
    assert r.exit_code == 1 and "blob.bin" in r.output and "binary" in r.output


def test_wrong_encoding_exits_1_and_encoding_option_fixes_it(tmp_path: Path) -> None:
    f = tmp_path / "latin.txt"
    f.write_bytes("Le café était fermé.".encode("latin-1"))
    r = run("check", str(f))
    assert r.exit_code == 1 and "latin.txt" in r.output and "--encoding" in r.output
    r = run("check", "--encoding", "latin-1", "--json", str(f))
    assert r.exit_code == 0 and json.loads(r.output)["restored"] == "Le café était fermé."


def test_usage_errors_exit_2() -> None:
    assert run("check", "--no-such-option").exit_code == 2
    assert run("check", "--threshold", "7").exit_code == 2


def test_unknown_resource_is_an_input_error(tmp_path: Path) -> None:
    r = run("check", "--resources", "nosuch", input=CLEAN)
    assert r.exit_code == 1 and "nosuch" in r.output


def test_empty_input_is_clean_with_no_spans() -> None:
    r = run("check", "--json", input="")
    assert r.exit_code == 0
    d = json.loads(r.output)
    assert d["score"] == 0 and d["spans"] == []


def test_every_command_has_help() -> None:
    for name in COMMANDS:
        r = run(name, "--help")
        assert r.exit_code == 0, (name, r.output)
        assert "unavailable" not in r.output, (name, r.output)
        assert len(r.output.strip().splitlines()) >= 3, name


def test_a_verb_whose_module_is_missing_says_why_and_exits_1(monkeypatch) -> None:
    monkeypatch.setitem(COMMANDS, "ghost", ("despin.cli.no_such_module", "ghost"))
    r = run("ghost")
    assert r.exit_code == 1, r.output
    assert "'ghost' is unavailable" in r.output and "no_such_module" in r.output
    assert "unavailable" in run("ghost", "--help").output


def test_readme_first_command_works_on_the_bundled_example() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "despin.cli", "check", str(ROOT / "examples" / "spun-news.txt")],
        capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert "verdict: spun" in p.stdout and "→" in p.stdout


def test_readme_before_and_after_is_the_real_output(tmp_path: Path) -> None:
    """The README's first example says "its real output": the quoted spun text, checked, prints
    the block shown under it, character for character."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    before = readme.split("After `despin check`")[0]
    quoted = [line[2:] for line in before.splitlines() if line.startswith("> ")]
    shown = readme.split("After `despin check`", 1)[1].split("```\n", 2)[1]
    assert quoted and "verdict:" in shown
    f = tmp_path / "before.txt"
    f.write_text("\n".join(quoted) + "\n", encoding="utf-8")
    r = run("check", str(f))
    assert r.exit_code == 0, r.output
    assert r.output.strip() == shown.strip()
