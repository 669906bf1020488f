"""despin scan --learn: trace, learn profiles from the pairs found, restore every record."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from despin.cli import main
from despin.io.corpus import read_rows
from despin.loop import cluster_pairs, learn_dir, run_learn_loop
from despin.profile import load

from .test_learn import PARAGRAPHS, table_spin

pytest.importorskip("datasketch")

OTHER_TABLE = {"big": "huge", "said": "declared", "council": "board", "town": "village", "old": "ancient",
               "work": "job", "river": "stream", "children": "kids", "strong": "powerful"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from despin.trace import Index

    d = tmp_path_factory.mktemp("loop")
    # The archive holds the sources of the first five copies and nothing else.
    Index.build(d / "archive.idx", [(f"src{i}", p) for i, p in enumerate(PARAGRAPHS[:5])])
    with open(d / "copies.jsonl", "w", encoding="utf-8") as fh:
        for i, p in enumerate(PARAGRAPHS):
            fh.write(json.dumps({"id": f"c{i}", "text": table_spin(p)}) + "\n")
        fh.write("not json\n")
    return {"dir": d, "index": d / "archive.idx", "copies": d / "copies.jsonl"}


def _run(corpus: dict[str, Path], out: Path, *extra: str) -> CliRunner:
    r = CliRunner().invoke(main, ["scan", str(corpus["copies"]), "-o", str(out), "--mode", "restore",
                                  "--index", str(corpus["index"]), "--learn", "--format", "jsonl",
                                  "--workers", "0", *extra])
    assert r.exit_code == 0, r.output
    return r


def test_the_loop_restores_untraced_copies_through_the_learned_profile(corpus: dict[str, Path]) -> None:
    out = corpus["dir"] / "out"
    r = _run(corpus, out)
    rows = read_rows(out)
    assert [row["id"] for row in rows[:8]] == [f"c{i}" for i in range(8)] and rows[8]["error"]
    folder = learn_dir(out)
    learned = json.loads((folder / "learned.json").read_text(encoding="utf-8"))
    traced = learned["traced"]
    # Only archive sources are found (a short, heavily spun paragraph may stay untraced).
    assert 3 <= len(traced) <= 5 and set(traced) <= set(range(5)) and learned["pairs"] == len(traced)
    for i in traced:  # traced copies come back exactly as the author wrote them
        assert rows[i]["restored"] == PARAGRAPHS[i]
        assert {s["reason"] for s in rows[i]["spans"]} == {"source"}
    # Untraced copies: the table words the pairs showed are restored through the profile.
    prof = load(learned["profiles"][0]["path"])
    for i in range(5, 8):
        restored = rows[i]["restored"]
        assert any(str(s["reason"]).startswith("profile:spinner-1") for s in rows[i]["spans"])
        for spun in prof.entries:
            if prof.substitution_prob(spun) >= 0.5 and f" {spun} " in f" {table_spin(PARAGRAPHS[i])} ":
                assert f" {spun} " not in f" {restored} ", (spun, restored)
    assert prof.name == "spinner-1" and prof.originals("sizable") == [("big", 1.0)]
    assert "habits" in json.loads(Path(learned["profiles"][0]["path"]).read_text(encoding="utf-8").splitlines()[0])
    summary = json.loads((out / "_summary.json").read_text(encoding="utf-8"))
    assert summary["learn"]["through_source"] == len(traced)
    assert summary["learn"]["through_profile"] == {"spinner-1": 8 - len(traced)}
    assert f"learned from {len(traced)} traced pairs: spinner-1 ({len(traced)} pairs" in r.output


def test_a_killed_loop_resumes_without_loss(corpus: dict[str, Path]) -> None:
    out = corpus["dir"] / "resumed"
    _run(corpus, out, "--shard-size", "3")
    before = read_rows(out)
    # As after kill -9 in the restore pass: the last shard and the end markers never written.
    for p in (out / "part-00002.jsonl", out / "_completions" / "00002.json", out / "_SUCCESS"):
        p.unlink()
    _run(corpus, out, "--shard-size", "3", "--resume")
    assert read_rows(out) == before
    # Killed while tracing (no learned.json yet): --resume traces again.
    (learn_dir(out) / "learned.json").unlink()
    _run(corpus, out, "--shard-size", "3", "--resume")
    assert read_rows(out) == before


def test_usage_and_input_errors(corpus: dict[str, Path]) -> None:
    r = CliRunner().invoke(main, ["scan", str(corpus["copies"]), "-o", str(corpus["dir"] / "x"), "--learn"])
    assert r.exit_code == 2 and "--learn needs --mode restore" in r.output
    out = corpus["dir"] / "twice"
    _run(corpus, out)
    r = CliRunner().invoke(main, ["scan", str(corpus["copies"]), "-o", str(out), "--mode", "restore",
                                  "--index", str(corpus["index"]), "--learn", "--workers", "0"])
    assert r.exit_code == 1 and "--resume" in r.output and "Traceback" not in r.output
    _run(corpus, out, "--overwrite")


def test_no_pairs_found_restores_with_the_detector_alone(corpus: dict[str, Path], tmp_path: Path) -> None:
    from despin.trace import Index

    Index.build(tmp_path / "empty.idx", [("x", "Rain fell on the hills of the north for most of the week.")])
    summary = run_learn_loop([corpus["copies"]], tmp_path / "out", index=str(tmp_path / "empty.idx"),
                             fmt="jsonl", workers=0)
    assert summary["learn"]["pairs"] == 0 and summary["learn"]["profiles"] == []
    assert summary["documents"] == 9


def test_cluster_pairs_separates_two_spinners() -> None:
    def other(text: str) -> str:
        return table_spin(text, OTHER_TABLE)

    paragraphs = PARAGRAPHS * 3
    pairs = [(p, table_spin(p)) for p in paragraphs] + [(p, other(p)) for p in paragraphs]
    groups = cluster_pairs(pairs, min_pairs=5)
    assert len(groups) == 2
    n = len(paragraphs)
    assert sorted(groups, key=min) == [list(range(n)), list(range(n, 2 * n))]
    assert cluster_pairs(pairs[:n], min_pairs=5) == [list(range(n))]


def test_the_copies_complete_the_table_only_where_the_pairs_are_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    import despin.learn
    from despin import loop
    from despin.profile import Profile

    pairs = Profile.from_counts("spinner-1", {"sizable": {"big": 3}}, kept={"board": 4, "sizable": 0})
    guessed = Profile.from_counts("guess", {"sizable": {"large": 9}, "board": {"council": 5},
                                            "vessel": {"boat": 6}, "fresh fish": {"seafood": 2}})
    seen: list[tuple[int, int]] = []

    def fake(copies: list[str], clean: list[str], candidates: object, **kw: object) -> Profile:
        seen.append((len(copies), len(clean)))
        return guessed

    monkeypatch.setattr(despin.learn, "learn_unpaired", fake)
    copies, clean = ["a copy"] * loop.CORPUS_MIN_COPIES, ["an article"] * 3
    assert loop.complete_from_corpus(pairs, copies[:-1], clean) == (pairs, 0) and not seen  # too few copies
    done, added = loop.complete_from_corpus(pairs, copies, clean)
    assert added == 2 and seen == [(len(copies), 3)] and done.name == "spinner-1"
    # Added: what the pairs never showed (`despin.profile.with_fallback`); kept: what they saw
    # replaced ("sizable") or left alone ("board"). The pair profile itself is not changed.
    assert done.originals("vessel") == [("boat", 1.0)] and done.originals("sizable") == [("big", 1.0)]
    assert done.originals("fresh fish") == [("seafood", 1.0)] and done.max_ngram == 2
    assert "board" not in done.entries and set(pairs.entries) == {"sizable"}
    assert done.applied_counts == {"big": 3, "boat": 6, "seafood": 2}  # read from the whole table
