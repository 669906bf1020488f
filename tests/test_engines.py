"""Engines: Ray Data gives the same rows as the local engine; the datatrove step annotates and drops.

The Ray test starts a local Ray with 2 CPUs (as in CI); Ray workers are fresh processes,
so it runs the real detector on both engines and asserts identical rows.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import despin.core
from despin.config import Config
from despin.io.corpus import read_rows
from despin.report import Report, Span, Suggestion, apply
from despin.scan import annotate, run_scan

pytest.importorskip("pyarrow")

TEXTS = [
    "The committee will utilize the hall for its weekly meeting on Tuesday.",
    "Prices rose sharply in the first quarter, the company said in a statement.",
    "A quiet street, two bakeries and a library that opens late on Thursdays.",
    "Officials said the new bridge would open to traffic next spring.",
]


def corpus(tmp_path: Path) -> list[Path]:
    lines = [json.dumps({"id": f"n{i}", "text": t}) for i, t in enumerate(TEXTS * 3)]
    lines.insert(5, "{broken json")
    lines.insert(8, json.dumps({"id": "no-text"}))
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "one.txt").write_text(TEXTS[0], encoding="utf-8")
    (folder / "two.txt").write_text(TEXTS[1], encoding="utf-8")
    return [src, folder]


@pytest.fixture(scope="module")
def local_ray() -> Any:
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    import despin.engines.ray  # noqa: F401  (registers engine="ray" with despin.scan)

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_rows_identical_to_local(tmp_path: Path, local_ray: Any) -> None:
    inputs = corpus(tmp_path)
    run_scan(inputs, tmp_path / "local", mode="check", workers=2, shard_size=5)
    summary = run_scan(inputs, tmp_path / "ray", mode="check", engine="ray", shard_size=5)
    local_rows, ray_rows = read_rows(tmp_path / "local"), read_rows(tmp_path / "ray")
    assert len(local_rows) == 12 + 2 + 2
    assert ray_rows == local_rows
    assert summary["engine"] == "ray" and summary["errors"] == 2
    assert [e["line"] for e in map(json.loads, (tmp_path / "ray" / "_errors.jsonl").read_text().splitlines())] == [6, 9]


@pytest.mark.slow
def test_check_dataset_adds_columns(local_ray: Any) -> None:
    from despin.engines.ray import check_dataset

    ds = local_ray.data.from_items([{"doc": i, "body": t} for i, t in enumerate(TEXTS)] + [{"doc": 99, "body": None}])
    rows = sorted(check_dataset(ds, text_field="body", mode="restore", batch_size=2).take_all(), key=lambda r: r["doc"])
    assert [r["doc"] for r in rows] == [0, 1, 2, 3, 99]
    for r, text in zip(rows, TEXTS):
        expected = annotate(text, "restore")
        assert (r["score"], r["verdict"], r["restored"], r["error"]) == (
            expected["score"], expected["verdict"], expected["restored"], None)
        assert list(r["spans"]) == expected["spans"] or [dict(s) for s in r["spans"]] == expected["spans"]
    assert rows[-1]["error"] == "text field 'body' is missing or not a string" and rows[-1]["score"] is None


def fake_check(text: str, *, profile: Any = None, index: Any = None, config: Config = Config()) -> Report:
    spans = tuple(Span(m.start(), m.end(), m.group(), 0.9, (Suggestion("use", 0.8),), "fake")
                  for m in re.finditer(r"\butilize\b", text))
    return Report(score=0.9 if spans else 0.1, verdict="spun" if spans else "clean", spans=spans,
                  restored=apply(text, spans))


def test_datatrove_step_annotates_and_drops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("datatrove")
    from datatrove.data import Document
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.writers import JsonlWriter

    from despin.engines.datatrove import DespinFilter

    monkeypatch.setattr(despin.core, "check", fake_check)  # workers=1 runs in this process
    docs = [Document(text=t, id=f"d{i}") for i, t in enumerate(TEXTS)]
    LocalPipelineExecutor(
        pipeline=[
            docs,
            DespinFilter(mode="check", drop_spun=True, exclusion_writer=JsonlWriter(str(tmp_path / "spun"), compression=None)),
            JsonlWriter(str(tmp_path / "kept"), compression=None),
        ],
        tasks=1, workers=1, logging_dir=str(tmp_path / "logs"),
    ).run()
    kept = [json.loads(x) for f in sorted((tmp_path / "kept").glob("*.jsonl")) for x in f.read_text().splitlines()]
    spun = [json.loads(x) for f in sorted((tmp_path / "spun").glob("*.jsonl")) for x in f.read_text().splitlines()]
    assert [d["id"] for d in kept] == ["d1", "d2", "d3"]
    assert [d["id"] for d in spun] == ["d0"]
    assert spun[0]["metadata"]["despin_verdict"] == "spun" and spun[0]["metadata"]["filter_reason"] == "despin_spun"
    assert spun[0]["metadata"]["despin_spans"][0]["suggestion"] == "use"
    assert kept[0]["metadata"]["despin_score"] == 0.1 and kept[0]["metadata"]["despin_spans"] == []
    stats = json.loads((tmp_path / "logs" / "stats.json").read_text())
    assert "despin" in json.dumps(stats) and '"spun"' in json.dumps(stats)

    # Without drop_spun it is an annotator: every document passes, annotated.
    step = DespinFilter(mode="restore")
    out = list(step.run(iter([Document(text=TEXTS[0], id="x")])))
    assert out[0].metadata["despin_restored"].startswith("The committee will use the hall")
