"""Corpus self-learning: a first scan's confident spans become a profile for a second pass."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from despin.cli import main
from despin.learn import learn_from_spans
from despin.profile import load


def test_only_confident_repeated_spans_become_entries() -> None:
    spans = [("Hebdomadary", "weekly", 0.95)] * 2 + [("novel", "new", 0.5)] * 5 + [("quoth", "said", 0.99)]
    p = learn_from_spans(spans, min_score=0.8, min_count=2)
    assert p.originals("hebdomadary") == [("weekly", 1.0)]
    assert p.originals("novel") == []  # never sure enough
    assert p.originals("quoth") == []  # sure, but seen once


def test_learn_from_scan_folder_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "pass1"
    out.mkdir()
    rows = [
        {"id": str(k), "spans": [{"start": 0, "end": 11, "text": "hebdomadary", "score": 0.97, "suggestion": "weekly"}]}
        for k in range(3)
    ]
    (out / "part-00000.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    prof = tmp_path / "corpus.profile"
    r = CliRunner().invoke(main, ["learn", "--from-scan", str(out), "-o", str(prof)])
    assert r.exit_code == 0, r.output
    assert load(prof).originals("hebdomadary")[0][0] == "weekly"


def test_learn_from_scan_without_output_is_an_input_error(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["learn", "--from-scan", str(tmp_path), "-o", str(tmp_path / "p")])
    assert r.exit_code == 1 and "no scan output" in r.output
