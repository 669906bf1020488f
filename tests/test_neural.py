"""Stage 5c: the numpy decoder, the GGUF loader and the scoring it gives the re-ranker.

A tiny llama-architecture GGUF is written here with random weights (PyPI ``gguf``'s writer),
so the loading and scoring code runs for real without the 93 MB model; one test reads the
real model where ``python -m despin.neural_build`` has fetched it, and skips otherwise.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
pytest.importorskip("tokenizers")

from despin import neural  # noqa: E402
from despin.config import Config  # noqa: E402
from despin.detector import ranking  # noqa: E402
from despin.detector.records import Candidate, Unit  # noqa: E402
from despin.errors import DataError  # noqa: E402
from despin.tokenize import tokenize  # noqa: E402


def _byte_chars() -> list[str]:
    # GPT-2's byte-to-unicode table: the alphabet of a byte-level BPE.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def write_tiny_gguf(path: Path, seed: int = 0, arch: str = "llama") -> Path:
    rng = np.random.default_rng(seed)
    merges = ["Ġ t", "h e", "Ġt he", "Ġ s", "Ġ m", "a r", "Ġm ar"]
    tokens = ["<|endoftext|>"] + _byte_chars() + ["Ġt", "he", "Ġthe", "Ġs", "Ġm", "ar", "Ġmar"]
    n_embd, n_head, n_kv, n_ff, n_layer = 32, 4, 2, 48, 2
    hd = n_embd // n_head
    w = gguf.GGUFWriter(str(path), arch)
    w.add_block_count(n_layer)
    w.add_context_length(256)
    w.add_embedding_length(n_embd)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("gpt2")
    w.add_token_list(tokens)
    w.add_token_merges(merges)

    def mat(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * 0.3).astype(np.float32)

    w.add_tensor("token_embd.weight", mat(len(tokens), n_embd))
    w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    for i in range(n_layer):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        w.add_tensor(p + "ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        w.add_tensor(p + "attn_q.weight", mat(n_embd, n_embd))
        w.add_tensor(p + "attn_k.weight", mat(n_kv * hd, n_embd))
        w.add_tensor(p + "attn_v.weight", mat(n_kv * hd, n_embd))
        w.add_tensor(p + "attn_output.weight", mat(n_embd, n_embd))
        w.add_tensor(p + "ffn_gate.weight", mat(n_ff, n_embd))
        w.add_tensor(p + "ffn_up.weight", mat(n_ff, n_embd))
        w.add_tensor(p + "ffn_down.weight", mat(n_embd, n_ff))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> neural.Model:
    d = tmp_path_factory.mktemp("neural")
    src = write_tiny_gguf(d / "tiny.gguf")
    folder = neural.build(src, d / "built")
    return neural.load_built(folder)


def test_the_tokenizer_reads_words_after_a_space_with_the_merges(tiny: neural.Model) -> None:
    ids = tiny.word_ids("the", True)
    assert len(ids) == 1  # "Ġthe" is one merged token
    assert tiny.word_ids("the", False) != ids
    assert len(tiny.word_ids("zebra", True)) > 1  # unmerged bytes, never an error


def test_a_continuation_after_the_cached_prefix_equals_the_whole_pass(tiny: neural.Model) -> None:
    ids = [tiny.word_ids(w, k > 0) for k, w in enumerate("the mar sat on the mat".split())]
    flat = [t for w in ids for t in w]
    full, _ = tiny.run(flat, np.arange(len(flat), dtype=np.float32), None, None)
    _, prefix = tiny.run(flat, np.arange(len(flat), dtype=np.float32), None, None)
    # Two continuations in one batch, each after its own point of the prefix.
    a, b = 3, 5
    hs = neural._continuations(tiny, prefix, [a, b], [flat[a:], flat[b:]])
    assert np.allclose(hs[0], full[a:], atol=1e-4)
    assert np.allclose(hs[1], full[b:], atol=1e-4)


def test_scores_are_log_probabilities_of_the_candidate_and_the_right_context(tiny: neural.Model) -> None:
    text = "the market sat on the mat"
    toks = tokenize(text)
    u = Unit(1, 2, "market", (Candidate("mar", 0.5, "moby"), Candidate("stall", 0.3, "moby"),
                              Candidate("bazaar", 0.2, "moby")))
    u.odds = [0.5, 0.3, 0.2]
    neural.score_units(tiny, text, toks, [u], top=2, right_words=2)
    assert math.isnan(u.neural[2])  # only the best two by the ranking are scored

    def seq(words: list[str]) -> list[int]:
        return [t for k, w in enumerate(words) for t in tiny.word_ids(w, k > 0)]

    prefix = seq(["the"])
    for k, cand in enumerate(["mar", "stall"]):
        whole = seq(["the", cand, "sat", "on"])
        expected = tiny.sequence_logprob(whole) - tiny.sequence_logprob(prefix)
        assert u.neural[k] == pytest.approx(expected, abs=1e-3)


def test_the_words_as_written_are_scored_for_the_margin(tiny: neural.Model, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "the market sat on the mat"
    toks = tokenize(text)
    cands = (Candidate("mar", 0.5, "moby"), Candidate("stall", 0.3, "moby"), Candidate("bazaar", 0.2, "moby"))
    reranked, sure = Unit(1, 2, "market", cands), Unit(4, 5, "the", cands[:2])
    reranked.odds, sure.odds = [0.5, 0.3, 0.2], [0.9, 0.1]

    def seq(words: list[str]) -> list[int]:
        return [t for k, w in enumerate(words) for t in tiny.word_ids(w, k > 0)]

    def score(words: list[str], at: int) -> float:
        return tiny.sequence_logprob(seq(words)) - tiny.sequence_logprob(seq(words[:at]))

    monkeypatch.setattr(neural, "MEMO", {})
    neural.score_units(tiny, text, toks, [reranked], top=2, right_words=2, observed=[reranked, sure])
    # A unit the stage re-ranks: the best of its scored candidates against the words as written.
    best = max(score(["the", c, "sat", "on"], 1) for c in ("mar", "stall"))
    assert reranked.neural_margin == pytest.approx(best - score(["the", "market", "sat", "on"], 1), abs=1e-3)
    assert math.isnan(reranked.neural[2])
    # A unit read only as written: its best candidate alone, and no re-ranking scores.
    assert sure.neural == []
    words = "the market sat on".split()
    assert sure.neural_margin == pytest.approx(
        score([*words, "mar", "mat"], 4) - score([*words, "the", "mat"], 4), abs=1e-3)
    # The memo answers the words as written too.
    again = Unit(4, 5, "the", cands[:2])
    again.odds = [0.9, 0.1]
    monkeypatch.setattr(tiny, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("the model ran again")))
    neural.score_units(tiny, text, toks, [], observed=[again])
    assert again.neural_margin == sure.neural_margin


def test_the_margin_revises_the_posterior_where_fitted() -> None:
    from despin.core import weigh_neural_margins
    from despin.detector.records import Analysis

    units = [Unit(0, 1, "x", ()), Unit(1, 2, "y", ()), Unit(2, 3, "z", ())]
    for u, m in zip(units, (6.0, -6.0, math.nan)):
        u.posterior, u.neural_margin = 0.6, m
    a = Analysis([], units, 0.3, 0.0, 10)
    weigh_neural_margins(a, None)
    assert [u.posterior for u in units] == [0.6, 0.6, 0.6]  # not fitted: nothing changes
    weigh_neural_margins(a, (1.0, 0.2, 0.0))
    assert units[0].posterior > 0.6 > units[1].posterior  # likelier than written: more likely spun
    assert units[2].posterior == 0.6  # not read as written


def test_the_rerank_moves_the_share_of_the_scored_candidates_and_keeps_the_total() -> None:
    u = Unit(0, 1, "x", (Candidate("a", 0.5, "moby"), Candidate("b", 0.3, "moby"), Candidate("c", 0.2, "moby")))
    u.odds = [5.0, 3.0, 2.0]
    u.neural = [-9.0, -1.0, math.nan]
    ranking.neural_rerank([u], 1.0)
    assert u.rank[1] > u.rank[0]  # the model's strong preference wins
    assert u.rank[2] == 2.0  # unscored: untouched
    assert sum(u.rank) == pytest.approx(10.0)
    v = Unit(0, 1, "x", u.cands)
    v.odds = [5.0, 3.0, 2.0]
    v.neural = [-9.0, -1.0, math.nan]
    ranking.neural_rerank([v], 0.0)  # weight 0: the order as it was
    assert v.rank == pytest.approx([5.0, 3.0, 2.0])


def test_units_the_stage_reads() -> None:
    c = (Candidate("a", 0.5, "moby"), Candidate("b", 0.5, "moby"))
    sure, unsure, unlikely = Unit(0, 1, "x", c), Unit(1, 2, "y", c), Unit(2, 3, "z", c)
    for u, p, odds in ((sure, 0.9, [9.0, 1.0]), (unsure, 0.9, [6.0, 4.0]), (unlikely, 0.2, [6.0, 4.0])):
        u.posterior, u.odds = p, odds
    assert ranking.neural_units([sure, unsure, unlikely]) == [unsure]


def test_damaged_or_foreign_model_files_get_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model at all" * 10)
    with pytest.raises(DataError, match="not a readable GGUF"):
        neural.read_gguf(bad)
    other = write_tiny_gguf(tmp_path / "gpt.gguf", arch="gpt2")
    with pytest.raises(DataError, match="llama-architecture"):
        neural.read_gguf(other)
    with pytest.raises(DataError, match="damaged neural model folder"):
        neural.load_built(tmp_path)


def test_a_user_model_is_read_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_tiny_gguf(tmp_path / "user.gguf", seed=3)
    monkeypatch.setenv("DESPIN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DESPIN_NEURAL_MODEL", str(src))
    monkeypatch.setattr(neural, "_MODEL", {})
    m = neural.model()
    assert m is not None and m.shape.n_layer == 2
    assert (neural.folder_for(src) / "weights.npy").exists()
    monkeypatch.setenv("DESPIN_NEURAL", "off")
    assert neural.model() is None
    monkeypatch.setenv("DESPIN_NEURAL", "")
    monkeypatch.setenv("DESPIN_NEURAL_MODEL", str(tmp_path / "missing.gguf"))
    monkeypatch.setattr(neural, "_MODEL", {})
    with pytest.raises(DataError, match="no such file"):
        neural.model()


def test_config_neural_false_never_loads_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import despin

    def boom() -> None:
        raise AssertionError("the neural model was asked for")

    monkeypatch.setattr(neural, "model", boom)
    text = "The Top Priest informed journalists on Tuesday that the inventory marketplace would get well swiftly."
    despin.check(text, config=Config(neural=False))
    despin.check(text)  # off by default


@pytest.mark.skipif(not neural.available(), reason="the neural model is not built (python -m despin.neural_build)")
def test_the_stage_reads_a_spun_document_and_leaves_a_clean_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from despin.core import analyse
    from despin.detector import refine

    asked = []
    trees = refine.refine_models
    monkeypatch.setattr(refine, "refine_models", lambda neural=False: (asked.append(neural), trees(neural))[1])
    spun = ("The corporation aforementioned on Monday that its every quarter net income roseate acutely as gross "
            "sales of novel telephones mature in Asia and Europe, and the inventory marketplace got well swiftly.")
    a = analyse(spun, Config(neural=True))
    assert a.neural and any(u.neural for u in a.units)
    assert asked == [True]  # stage 6 with the trees fitted through stage 5c
    assert trees(True) is not None  # despin/data/refine-neural.json ships
    clean = "The company said on Monday that its quarterly net income rose sharply as sales of new phones grew."
    assert not analyse(clean, Config(neural=True)).neural


@pytest.mark.skipif(neural.packaged_gguf() is None, reason="the neural model is not fetched (python -m despin.neural_build)")
def test_the_real_model_prefers_the_original_phrase() -> None:
    m = neural.model()
    assert m is not None

    def lp(sentence: str) -> float:
        return m.sequence_logprob([t for k, w in enumerate(sentence.split()) for t in m.word_ids(w, k > 0)])

    assert lp("Shares fell as the stock market closed lower on Friday .") > \
        lp("Shares fell as the inventory marketplace closed lower on Friday .")


def test_a_memo_answers_a_second_analysis_without_the_model(tiny: neural.Model, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "the market sat on the mat"
    cands = (Candidate("mar", 0.5, "moby"), Candidate("stall", 0.3, "moby"))
    first, second = Unit(1, 2, "market", cands), Unit(1, 2, "market", cands)
    first.odds = second.odds = [0.5, 0.3]
    monkeypatch.setattr(neural, "MEMO", {})
    neural.score_units(tiny, text, tokenize(text), [first])
    assert len(neural.MEMO) == 2

    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model ran again")

    monkeypatch.setattr(tiny, "run", no_model)
    neural.score_units(tiny, text, tokenize(text), [second])
    assert second.neural == first.neural


def test_the_neural_flag_asks_for_the_model_when_there_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from despin.cli import main

    monkeypatch.setattr(neural, "available", lambda: False)
    for verb in (["check"], ["restore"]):
        r = CliRunner().invoke(main, [*verb, "--neural", "-"], input="The town council voted on Thursday.")
        assert r.exit_code == 2 and "neural_build" in r.output


@pytest.mark.skipif(not neural.available(), reason="the neural model is not built (python -m despin.neural_build)")
def test_the_neural_flag_runs_the_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from despin.cli import main

    calls = []
    original = neural.score_units
    monkeypatch.setattr(neural, "score_units", lambda *a, **k: (calls.append(1), original(*a, **k))[1])
    text = ("The corporation aforementioned on Monday that its every quarter net income roseate acutely as gross "
            "sales of novel telephones mature in Asia and Europe, and the inventory marketplace got well swiftly.")
    r = CliRunner().invoke(main, ["check", "--neural", "--json", "-"], input=text)
    assert r.exit_code == 0 and calls
    calls.clear()
    assert CliRunner().invoke(main, ["check", "--json", "-"], input=text).exit_code == 0 and not calls


def test_scan_neural_needs_a_checking_mode_and_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from despin.cli import main
    from despin.errors import InputError
    from despin.scan import run_scan

    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "The town council voted on Thursday."}\n', encoding="utf-8")
    r = CliRunner().invoke(main, ["scan", str(src), "-o", str(tmp_path / "o1"), "--mode", "screen", "--neural"])
    assert r.exit_code == 2 and "--mode check or restore" in r.output
    with pytest.raises(InputError, match="check or restore"):
        run_scan([src], tmp_path / "o2", mode="screen", neural=True)
    monkeypatch.setattr(neural, "available", lambda: False)
    r = CliRunner().invoke(main, ["scan", str(src), "-o", str(tmp_path / "o3"), "--mode", "restore", "--neural"])
    assert r.exit_code == 2 and "neural_build" in r.output
    with pytest.raises(InputError, match="neural_build"):
        run_scan([src], tmp_path / "o4", mode="check", neural=True)
    assert not any((tmp_path / d).exists() for d in ("o1", "o2", "o3", "o4"))  # nothing written


@pytest.mark.skipif(not neural.available(), reason="the neural model is not built (python -m despin.neural_build)")
def test_scan_neural_restores_each_record_as_check_neural(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from click.testing import CliRunner

    import despin
    from despin.cli import main

    calls = []
    original = neural.score_units
    monkeypatch.setattr(neural, "score_units", lambda *a, **k: (calls.append(1), original(*a, **k))[1])
    text = ("The corporation aforementioned on Monday that its every quarter net income roseate acutely as gross "
            "sales of novel telephones mature in Asia and Europe, and the inventory marketplace got well swiftly.")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": text}) + "\n", encoding="utf-8")

    def restored(out: str, *flags: str) -> str:
        r = CliRunner().invoke(main, ["scan", str(src), "-o", str(tmp_path / out), "--mode", "restore",
                                      "--format", "jsonl", "--workers", "0", "--quiet", *flags])
        assert r.exit_code == 0, r.output
        row = json.loads((tmp_path / out / "part-00000.jsonl").read_text(encoding="utf-8"))
        return str(row["restored"])

    assert restored("plain") == despin.check(text).restored and not calls
    assert restored("neural", "--neural") == despin.check(text, config=Config(neural=True)).restored and calls
    manifest = json.loads((tmp_path / "neural" / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["neural"] is True  # resuming without --neural is another scan


@pytest.mark.skipif(not neural.available(), reason="the neural model is not built (python -m despin.neural_build)")
def test_the_ray_engine_checks_with_the_neural_model_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ray.data")
    pa = pytest.importorskip("pyarrow")
    from despin.engines import ray as ray_engine

    calls = []
    original = neural.score_units
    monkeypatch.setattr(neural, "score_units", lambda *a, **k: (calls.append(1), original(*a, **k))[1])
    text = ("The corporation aforementioned on Monday that its every quarter net income roseate acutely as gross "
            "sales of novel telephones mature in Asia and Europe, and the inventory marketplace got well swiftly.")
    batch = pa.Table.from_pylist([{"file": "f", "line": 1, "id": "a", "text": text, "markup": None, "error": None}],
                                 schema=ray_engine._RECORD_SCHEMA)
    plain = ray_engine._RowsUDF("restore", (), None)(batch).to_pylist()[0]
    assert not calls and plain["restored"] == despin_check(text, neural=False)
    row = ray_engine._RowsUDF("restore", (), None, neural=True)(batch).to_pylist()[0]
    assert calls and row["restored"] == despin_check(text, neural=True)


def despin_check(text: str, *, neural: bool) -> str:
    import despin

    return despin.check(text, config=Config(neural=neural)).restored
