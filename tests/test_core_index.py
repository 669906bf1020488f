"""`despin.check(text, index=...)`: exact restoration through a found source."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import despin
from despin.cli import main
from despin.trace import Index

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {
    "bridge": (ROOT / "examples" / "clean-news.txt").read_text(encoding="utf-8"),
    "museum": "The museum will open a new wing next month, the director said on Friday. The wing will "
              "house a collection of maps donated by a retired sea captain from Bristol in 1998.",
    "harvest": "Farmers in the region expect a good harvest this year after heavy rain in the spring, "
               "the agriculture office said, adding that wheat prices could fall by 12 percent.",
}


def build(tmp_path: Path) -> Path:
    src = tmp_path / "sources.jsonl"
    src.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in SOURCES.items()), encoding="utf-8")
    out = tmp_path / "index"
    r = CliRunner().invoke(main, ["index", "build", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_check_with_index_restores_exactly_and_names_the_source(tmp_path: Path) -> None:
    index = Index.open(build(tmp_path))
    spun = (ROOT / "examples" / "spun-news.txt").read_text(encoding="utf-8")
    r = despin.check(spun, index=index)
    assert r.source is not None and r.source["id"] == "bridge"
    assert r.verdict == "spun" and r.spans
    assert r.restored == SOURCES["bridge"]
    assert despin.apply(spun, r.spans) == r.restored


def test_check_with_index_falls_back_without_a_source(tmp_path: Path) -> None:
    index = Index.open(build(tmp_path))
    text = "The physician informed the patient that the operation had been a achievement within a hebdomad."
    r = despin.check(text, index=index)
    assert r.source is None
    assert r.spans and "week" in r.restored


def test_cli_check_index_and_missing_index(tmp_path: Path) -> None:
    out = build(tmp_path)
    r = CliRunner().invoke(main, ["check", "--json", "--index", str(out), str(ROOT / "examples" / "spun-news.txt")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["source"]["id"] == "bridge"
    r = CliRunner().invoke(main, ["check", "--index", str(tmp_path / "nope"), str(ROOT / "examples" / "spun-news.txt")])
    assert r.exit_code in (1, 2) and "Traceback" not in r.output
