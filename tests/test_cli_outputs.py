"""Every verb that writes a file refuses to write it over one of its inputs (the input would be
truncated or replaced: lost), before anything is opened for writing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from despin.cli import main

TEXT = "The council voted on Thursday to build a new bridge across the river, officials said."
SPUN = "The council voted on Thursday to construct a novel bridge across the stream, officials said."


def _jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("verb", ["spin", "cluster", "learn", "learn-unpaired", "papers", "trace"])
def test_an_output_that_is_also_an_input_is_refused_and_the_input_kept(tmp_path: Path, verb: str) -> None:
    docs = _jsonl(tmp_path / "docs.jsonl", [{"id": f"d{k}", "text": TEXT} for k in range(3)])
    pairs = _jsonl(tmp_path / "pairs.jsonl", [{"id": "p", "original": TEXT, "spun": SPUN}])
    paper = tmp_path / "paper.txt"
    paper.write_text(SPUN, encoding="utf-8")
    runner = CliRunner()
    if verb == "trace":
        assert runner.invoke(main, ["index", "build", str(docs), "-o", str(tmp_path / "idx")]).exit_code == 0
    args, victim = {
        "spin": (["spin", str(docs), "-o", str(docs)], docs),
        "cluster": (["cluster", str(docs), "-o", str(docs)], docs),
        "learn": (["learn", str(pairs), "-o", str(pairs)], pairs),
        "learn-unpaired": (["learn", "--spun", str(docs), "--clean", str(pairs), "-o", str(pairs)], pairs),
        "papers": (["papers", str(paper), "-o", str(paper)], paper),
        "trace": (["trace", "--jsonl", str(docs), "--index", str(tmp_path / "idx"), "--emit-pairs", str(docs)], docs),
    }[verb]
    before = victim.read_bytes()
    r = runner.invoke(main, args)
    assert r.exit_code == 1, r.output
    assert "is also an input" in r.output and "Traceback" not in r.output
    assert victim.read_bytes() == before
