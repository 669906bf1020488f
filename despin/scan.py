"""`despin scan`: run `despin.check` over a corpus, in bounded memory, resumably.

One pure function per record (`row_for_record`, a thin wrapper over `despin.check`)
and adapters that run it: a local pool of worker processes (here), Ray Data
(`despin.engines.ray`) and a datatrove step (`despin.engines.datatrove`). The engines
import this module, never the reverse: one that feeds `run_scan` registers itself
(`register_engine`) when imported, and ``despin scan --engine NAME`` imports it.

Output is a folder that Parquet tools read directly (``pandas.read_parquet(out)``,
``duckdb: FROM 'out/*.parquet'``); files starting with ``_`` are bookkeeping that
those tools skip::

    out/part-00000.parquet      rows of records 0..shard_size-1, in input order
    out/_completions/00000.json a shard's marker (written after its part file) + stats
    out/_errors/part-00000.jsonl malformed records of that shard (file, line, error)
    out/_manifest.json          inputs and options; --resume refuses a mismatch
    out/_errors.jsonl           all malformed records, assembled at the end
    out/_summary.json           documents, share spun, errors, time
    out/_SUCCESS                written last

Records are numbered in input order and shard ``k`` holds records
``k*shard_size .. (k+1)*shard_size-1``. A shard is committed by writing its part file
(temp file, fsync, rename) and then its marker, so after ``kill -9`` a rerun with
``--resume`` skips the shards with markers and redoes the others: every input record
ends up in exactly one row.

>>> row_for_record(Record("a.jsonl", 3, "x", "Plain words."), "check")["verdict"]
'clean'
"""
from __future__ import annotations

import itertools
import json
import os
import resource
import signal
import sys
import threading
import time
from collections import Counter, deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

from . import core
from .config import Config
from .errors import DespinError, InputError
from .io.corpus import (
    FORMATS,
    InputFile,
    RawLine,
    Record,
    as_record,
    count_records,
    expand_inputs,
    iter_record_items,
    iter_records,
    record_text,
    write_rows_atomic,
    write_text_atomic,
)

MODES = ("screen", "check", "restore")
ENGINES = ("local", "ray")
# Where the engines despin ships live (named in an error, never imported from here).
_ENGINE_MODULES = {"ray": "despin.engines.ray"}
DEFAULT_SHARD_SIZE = 5000
# Records per task sent to a worker: large enough that handing a task over is small next
# to checking it, small enough to balance load at the end (check/restore take ~50 ms a
# document, so their tasks are smaller). A screen task of 256 news articles is ~40 ms:
# with 64 (~10 ms), a worker waited ~1 ms per task for the next one (the pool's threads
# in this process wait for the interpreter lock while the main thread reads), ~10% of a
# 6,675-record scan.
CHUNK_SIZES = {"screen": 256, "check": 8, "restore": 8}
MANIFEST_VERSION = 1

# Score only: the fast path the core provides for corpora (no suggestions, no restore).
SCREEN_CONFIG = Config(explain=False)
CHECK_CONFIG = Config()
# ``--neural``: stage 5c re-ranks the suggestions of spun records (seconds a spun article).
NEURAL_CONFIG = Config(neural=True)


# --- the per-record function shared by every engine ---------------------------------


@lru_cache(maxsize=8)
def load_resources(profile_paths: tuple[str, ...] = (), index_path: str | None = None) -> tuple[tuple[Any, ...], Any]:
    """Load spinner profiles and a trace index once per process (cached).

    Optional modules: a clear error names what is missing rather than an ImportError.
    """
    profiles: list[Any] = []
    if profile_paths:
        try:
            from . import profile as profile_mod  # type: ignore[attr-defined]
        except ImportError:
            raise InputError("--profile needs despin.profile, which this installation lacks") from None
        profiles = [profile_mod.load(p) for p in profile_paths]
    index = None
    if index_path:
        try:
            from .trace.index import Index  # type: ignore[import-not-found]
        except ImportError:
            raise InputError("--index needs despin.trace, which this installation lacks") from None
        index = Index.open(index_path)
    return tuple(profiles), index


def annotate(text: str, mode: str = "check", profiles: Sequence[Any] = (), index: Any = None,
             neural: bool = False) -> dict[str, Any]:
    """The scan columns for one text: score, verdict, spans (not in screen mode), restored (restore mode).

    ``neural``: check and restore with stage 5c (`despin.neural`), as ``despin check --neural``.

    >>> sorted(annotate("Some words.", "screen"))
    ['restored', 'score', 'spans', 'verdict']
    """
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    config = SCREEN_CONFIG if mode == "screen" else NEURAL_CONFIG if neural else CHECK_CONFIG
    # Looked up at call time (core.check, not a bound name) so one definition serves all engines.
    report = core.check(text, profile=tuple(profiles) or None, index=index, config=config)
    spans = None
    if mode != "screen":
        spans = [
            {
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "score": round(float(s.score), 4),
                "suggestion": s.best,
                "reason": s.reason or None,
            }
            for s in report.spans
        ]
    return {
        "score": round(float(report.score), 4),
        "verdict": report.verdict,
        "spans": spans,
        "restored": report.restored if mode == "restore" else None,
    }


def row_for_record(rec: Record, mode: str = "check", profiles: Sequence[Any] = (), index: Any = None,
                   neural: bool = False) -> dict[str, Any]:
    """One output row for one input record; a failure becomes the row's ``error``, never an exception."""
    row: dict[str, Any] = {
        "id": rec.id,
        "file": rec.file,
        "line": rec.line,
        "score": None,
        "verdict": None,
        "spans": None,
        "restored": None,
        "error": rec.error,
    }
    if rec.error is not None:
        return row
    try:
        row.update(annotate(record_text(rec), mode, profiles, index, neural))
    except DespinError as e:
        row["error"] = str(e)
    except Exception as e:  # a detector bug on one document must not end a million-document scan
        row["error"] = f"check failed: {type(e).__name__}: {e}"
    return row


def span_source(reason: str) -> str:
    """What flagged a span, from its reason: ``profile:NAME``, a lexicon name, ...

    >>> span_source("profile:news: 'use' lists 'utilize' as a synonym")
    'profile:news'
    """
    return reason.split(": ", 1)[0]


# --- the output folder ------------------------------------------------------------------


@dataclass
class ShardStats:
    rows: int = 0
    spun: int = 0
    errors: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, row: dict[str, Any]) -> None:
        self.rows += 1
        if row["error"] is not None:
            self.errors += 1
        elif row["verdict"] == "spun":
            self.spun += 1
        for s in row["spans"] or ():
            if s.get("reason"):
                self.reasons[span_source(s["reason"])] += 1

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "spun": self.spun, "errors": self.errors, "reasons": dict(self.reasons)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ShardStats":
        return cls(int(d["rows"]), int(d["spun"]), int(d["errors"]), Counter(d.get("reasons", {})))


class ShardedOutput:
    """The output folder: part files, completion markers, errors, manifest, summary."""

    def __init__(self, path: str | os.PathLike[str], fmt: str) -> None:
        if fmt not in FORMATS:
            raise InputError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")
        self.path = Path(path)
        self.fmt = fmt
        self.completions = self.path / "_completions"
        self.errors_dir = self.path / "_errors"

    def load_writer(self) -> None:
        """Import what writing a part file needs now (pyarrow, ~0.2 s), not at the first commit."""
        if self.fmt == "parquet":
            import pyarrow.json  # noqa: F401
            import pyarrow.parquet  # noqa: F401

    def part(self, shard: int) -> Path:
        return self.path / f"part-{shard:05d}.{self.fmt}"

    def marker(self, shard: int) -> Path:
        return self.completions / f"{shard:05d}.json"

    def prepare(self, manifest: dict[str, Any], *, resume: bool, overwrite: bool) -> dict[int, ShardStats]:
        """Create or reopen the folder; returns the shards already committed (resume)."""
        mpath = self.path / "_manifest.json"
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"{self.path}: exists and is not a folder (scan output is a folder of part files)")
        existing = self.path.is_dir() and any(self.path.iterdir())
        if existing and not resume:
            if not overwrite:
                raise InputError(f"{self.path}: not empty; pass --resume to continue that scan or --overwrite")
            if not mpath.exists():
                raise InputError(f"{self.path}: not a despin scan output; refusing to overwrite it")
            self._clear()
        if resume and mpath.exists():
            old = json.loads(mpath.read_text(encoding="utf-8"))
            if old != manifest:
                diff = sorted(k for k in set(old) | set(manifest) if old.get(k) != manifest.get(k))
                raise InputError(
                    f"{self.path}: was made from other inputs or options ({', '.join(diff)} differ); "
                    "rerun with the same ones or use a new output folder"
                )
        elif resume and existing:
            raise InputError(f"{self.path}: not a despin scan output (no _manifest.json); cannot resume it")
        self.path.mkdir(parents=True, exist_ok=True)
        self.completions.mkdir(exist_ok=True)
        self.errors_dir.mkdir(exist_ok=True)
        for stale in [*self.path.glob(".*.tmp"), *self.completions.glob(".*.tmp"), *self.errors_dir.glob(".*.tmp")]:
            stale.unlink()  # a crash mid-write leaves only hidden temp files behind
        for done in (self.path / "_SUCCESS", self.path / "_summary.json", self.path / "_errors.jsonl"):
            done.unlink(missing_ok=True)
        if not mpath.exists():
            write_text_atomic(mpath, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        return self.completed()

    def completed(self) -> dict[int, ShardStats]:
        done: dict[int, ShardStats] = {}
        for m in self.completions.glob("*.json"):
            shard = int(m.stem)
            if self.part(shard).exists():  # marker is written after the part: both or redo
                done[shard] = ShardStats.from_dict(json.loads(m.read_text(encoding="utf-8")))
        return done

    def commit(self, shard: int, rows: list[dict[str, Any]]) -> ShardStats:
        stats = ShardStats()
        errors = []
        for r in rows:
            stats.add(r)
            if r["error"] is not None:
                errors.append({"file": r["file"], "line": r["line"], "id": r["id"], "error": r["error"]})
        err_path = self.errors_dir / f"part-{shard:05d}.jsonl"
        if errors:
            write_rows_atomic(err_path, errors, "jsonl")
        else:
            err_path.unlink(missing_ok=True)
        write_rows_atomic(self.part(shard), rows, self.fmt)
        write_text_atomic(self.marker(shard), json.dumps(stats.to_dict(), sort_keys=True) + "\n")
        return stats

    def finalize(self, summary: dict[str, Any]) -> None:
        """Assemble the errors file, write the summary, then ``_SUCCESS``."""
        parts = sorted(self.errors_dir.glob("part-*.jsonl"))

        def copy(fh: Any) -> None:
            for p in parts:
                with open(p, "rb") as src:
                    while block := src.read(1 << 20):
                        fh.write(block)

        from .io.corpus import _atomic

        _atomic(self.path / "_errors.jsonl", copy)
        write_text_atomic(self.path / "_summary.json", json.dumps(summary, indent=1) + "\n")
        write_text_atomic(self.path / "_SUCCESS", "")

    def _clear(self) -> None:
        import shutil

        for p in self.path.iterdir():
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()


class ShardCommitter:
    """Takes rows in input order, numbers them, and commits each shard when it is full."""

    def __init__(self, out: ShardedOutput, shard_size: int, done: dict[int, ShardStats]) -> None:
        self.out = out
        self.shard_size = shard_size
        self.stats = dict(done)
        self.next_seq = 0
        self.buffer: list[dict[str, Any]] = []

    def skip(self, n: int) -> None:
        """Advance past ``n`` records of already committed shards."""
        assert not self.buffer
        self.next_seq += n

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        for r in rows:
            self.buffer.append(r)
            self.next_seq += 1
            if self.next_seq % self.shard_size == 0:
                self._flush()

    def finish(self) -> None:
        if self.buffer:
            self._flush()

    def _flush(self) -> None:
        shard = (self.next_seq - 1) // self.shard_size
        self.stats[shard] = self.out.commit(shard, self.buffer)
        self.buffer = []


# --- engines ------------------------------------------------------------------------------


class RowEngine(Protocol):
    """Rows for every record of ``files``, in input order, in batches (the Ray engine's `scan_batches`)."""

    def __call__(self, files: Sequence[InputFile], *, mode: str, text_field: str, id_field: str,
                 profiles: tuple[str, ...], index: str | None, encoding: str | None, address: str | None,
                 num_cpus: int | None, batch_size: int, neural: bool) -> Iterable[list[dict[str, Any]]]: ...


_ENGINES: dict[str, RowEngine] = {}


def register_engine(name: str, engine: RowEngine) -> None:
    """Make ``run_scan(engine=name)`` hand its inputs to ``engine`` (an engine module calls this on import)."""
    _ENGINES[name] = engine


def _engine(name: str) -> RowEngine:
    try:
        return _ENGINES[name]
    except KeyError:
        module = _ENGINE_MODULES.get(name, f"the module of engine {name!r}")
        raise InputError(f"engine {name!r} is not loaded: import {module} first "
                         "(despin scan --engine does it)") from None


# --- the local engine -------------------------------------------------------------------


class Progress(Protocol):
    def set_total(self, total: int | None) -> None: ...

    def advance(self, n: int) -> None: ...


_worker_state: dict[str, Any] = {}


def _init_worker(mode: str, profile_paths: tuple[str, ...], index_path: str | None, fields: tuple[str, str],
                 encoding: str | None, load_here: bool, neural: bool = False) -> None:
    # Ctrl-C is handled once, by the parent; workers would each print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    profiles, index = load_resources(profile_paths, index_path)  # cached from before the fork
    if load_here:  # not loaded before the fork (one screen worker), or not forked at all
        preload_mode(mode, profiles)
    _worker_state.update(mode=mode, profiles=profiles, index=index, fields=fields, encoding=encoding, neural=neural)


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this worker when the scan process dies (kill -9 too)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # pragma: no cover - exotic libc
        return
    if os.getppid() == 1:  # parent already gone before prctl took effect
        os._exit(1)


def _work(items: list[Record | RawLine]) -> tuple[list[dict[str, Any]], int, int]:
    st = _worker_state
    text_field, id_field = st["fields"]
    mode, profiles, index, encoding, neural = st["mode"], st["profiles"], st["index"], st["encoding"], st["neural"]
    # JSONL lines arrive unparsed: parsing is per-record work, done here in parallel.
    rows = [row_for_record(as_record(item, text_field, id_field, encoding), mode, profiles, index, neural)
            for item in items]
    # ru_maxrss is in KiB on Linux: the per-worker peak reported in the summary.
    return rows, os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class _InlineExecutor:
    """``--workers 0``: run in this process (debugging, tiny inputs)."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        f: Future[Any] = Future()
        f.set_result(fn(*args))
        return f

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


def run_scan(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    mode: str = "check",
    fmt: str = "parquet",
    text_field: str = "text",
    id_field: str = "id",
    profiles: Sequence[str] = (),
    index: str | None = None,
    encoding: str | None = None,
    workers: int | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    chunk_size: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    engine: str = "local",
    address: str | None = None,
    progress: Progress | None = None,
    neural: bool = False,
) -> dict[str, Any]:
    """Scan ``inputs`` into the folder ``output``; returns the summary (also in ``_summary.json``).

    ``neural`` (check and restore modes): stage 5c re-ranks the suggestions of spun records
    (`despin.neural`, built by ``python -m despin.neural_build``; seconds per spun article).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "in.jsonl").write_text('{"id": "a", "text": "One."}\\n{"id": "b"}\\n')
    >>> s = run_scan([d / "in.jsonl"], d / "out", fmt="jsonl", workers=0)
    >>> s["documents"], s["errors"]
    (2, 1)
    """
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if engine not in ENGINES and engine not in _ENGINES:
        raise InputError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    remote = None if engine == "local" else _engine(engine)
    chunk_size = CHUNK_SIZES[mode] if chunk_size is None else chunk_size
    if shard_size < 1 or chunk_size < 1:
        raise InputError("--shard-size must be at least 1")
    if engine != "local" and resume:
        raise InputError(f"--resume works with the local engine; {engine} retries failed tasks itself")
    if neural:
        from . import neural as neural_mod

        if mode == "screen":
            raise InputError("--neural re-ranks suggestions: it needs --mode check or restore")
        if not neural_mod.available():
            raise InputError("--neural needs the neural model: run python -m despin.neural_build first")
    workers = default_workers() if workers is None else workers
    if workers < 0:
        raise InputError("--workers must be 0 (in this process) or more")
    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    files = expand_inputs(inputs, text_field=text_field, id_field=id_field, exclude=output)
    profile_paths = tuple(str(p) for p in profiles)
    index_path = str(index) if index else None
    manifest = _manifest(files, mode=mode, fmt=fmt, text_field=text_field, id_field=id_field,
                         profiles=profile_paths, index=index_path, encoding=encoding, shard_size=shard_size,
                         # (named only when set: a scan begun before the option existed resumes)
                         **({"neural": True} if neural else {}))
    # Load before the output is touched: a bad --profile fails cleanly; workers forked
    # later share these pages copy-on-write instead of each loading a copy.
    load_resources(profile_paths, index_path)
    out = ShardedOutput(output, fmt)
    done = out.prepare(manifest, resume=resume, overwrite=overwrite)
    if progress is not None:
        # Counting reads the whole input: in the background, so checking starts at once.
        threading.Thread(target=lambda: progress.set_total(count_records(files)), name="despin-count",
                         daemon=True).start()
    committer = ShardCommitter(out, shard_size, done)
    rss: dict[int, int] = {}
    processed = 0
    if remote is not None:
        for rows in remote(files, mode=mode, text_field=text_field, id_field=id_field,
                                 profiles=profile_paths, index=index_path, encoding=encoding,
                                 address=address, num_cpus=workers or None, batch_size=chunk_size,
                                 neural=neural):
            committer.add(rows)
            processed += len(rows)
            if progress is not None:
                progress.advance(len(rows))
    else:
        # (the summary reports the workers started: fewer than asked for a small input)
        processed, workers = _run_local(
            files, committer, done, mode=mode, text_field=text_field, id_field=id_field, encoding=encoding,
            profile_paths=profile_paths, index_path=index_path, workers=workers, shard_size=shard_size,
            chunk_size=min(chunk_size, shard_size), progress=progress, rss=rss, neural=neural)
    committer.finish()
    elapsed = time.perf_counter() - started
    cpu = [round(b - a, 3) for a, b in zip(cpu_started, _cpu_seconds())]
    summary = _summary(committer.stats, out, mode=mode, engine=engine, workers=workers,
                       elapsed=elapsed, processed=processed, rss=rss, cpu=cpu)
    out.finalize(summary)
    return summary


def _run_local(
    files: Sequence[InputFile],
    committer: ShardCommitter,
    done: dict[int, ShardStats],
    *,
    mode: str,
    text_field: str,
    id_field: str,
    encoding: str | None,
    profile_paths: tuple[str, ...],
    index_path: str | None,
    workers: int,
    shard_size: int,
    chunk_size: int,
    progress: Progress | None,
    rss: dict[int, int],
    neural: bool = False,
) -> tuple[int, int]:
    """Read records, check them in worker processes, commit shards in order; returns the records
    checked and the workers started (0: checked in this process).

    Start-up is what a small scan pays, so it starts only what the input needs: the first
    chunks are read before the pool starts, and an input of fewer chunks than ``workers``
    starts one worker a chunk (5 records: one). What the mode needs (a screen's table,
    ~0.1 s; a check's detector, ~3.5 s) is loaded once, here, and the workers are forked
    after it, so they share it copy-on-write and start checking at once; a lone screen
    worker loads the table itself, while this process imports the Parquet writer.
    """
    fields = (text_field, id_field)
    # Parsing JSON is ~10 µs a record, against ~150 for a screen. One worker leaves this
    # process a core of its own: parsing here overlaps that worker's checking. With more
    # workers this process only splits lines and the workers parse their own chunks, so
    # the reading process never holds them back and N workers get the N cores.
    parse_here = workers <= 1 and default_workers() > 1
    reader = iter_records if parse_here else iter_record_items
    chunks = _chunks(reader(files, text_field=text_field, id_field=id_field, encoding=encoding),
                     shard_size, chunk_size, done)
    if workers == 0:
        _init_worker_inline(mode, profile_paths, index_path, fields, encoding, neural)
        executor: Any = _InlineExecutor()
    else:
        head: list[tuple[str, Any]] = []
        for item in chunks:  # read ahead: how many chunks are there, up to one a worker?
            head.append(item)
            if sum(kind == "chunk" for kind, _ in head) >= workers:
                break
        workers = max(1, min(workers, sum(kind == "chunk" for kind, _ in head)))
        chunks = itertools.chain(head, chunks)
        import multiprocessing as mp

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        forked = ctx.get_start_method() == "fork"
        # Loaded here before forking, what the mode needs is shared by all workers. One
        # worker and a screen's small table: that worker loads it while this process
        # imports the Parquet writer (a 5-record scan is ~0.05 s sooner done).
        load_here = forked and (workers > 1 or not _loads_little(mode, profile_paths))
        if load_here:
            _warm_up(mode, profile_paths, index_path)
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                       initargs=(mode, profile_paths, index_path, fields, encoding, not load_here,
                                                 neural))
    # Bounded window of tasks in flight, consumed in submission order: memory stays at
    # about window x chunk records whatever the corpus size, and shards close in order.
    window = max(2, 4 * max(workers, 1))
    pending: deque[tuple[int, Future[Any]]] = deque()
    processed = 0
    writer_loaded = False

    def drain_one() -> None:
        nonlocal processed, writer_loaded
        if not writer_loaded:  # while the workers start: pyarrow's import, ~0.2 s
            committer.out.load_writer()
            writer_loaded = True
        n, fut = pending.popleft()
        rows, pid, maxrss = fut.result()
        rss[pid] = max(rss.get(pid, 0), maxrss)
        committer.add(rows)
        processed += n
        if progress is not None:
            progress.advance(n)

    try:
        for kind, payload in chunks:
            if kind == "skip":
                while pending:  # rows before a skipped shard must be committed first
                    drain_one()
                committer.skip(payload)
                if progress is not None:
                    progress.advance(payload)
                continue
            pending.append((len(payload), executor.submit(_work, payload)))
            while len(pending) >= window:
                drain_one()
        while pending:
            drain_one()
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    return processed, workers


def _init_worker_inline(mode: str, profile_paths: tuple[str, ...], index_path: str | None,
                        fields: tuple[str, str], encoding: str | None, neural: bool = False) -> None:
    profiles, index = load_resources(profile_paths, index_path)
    if _loads_little(mode, profile_paths):
        preload_mode(mode, profiles)
    _worker_state.update(mode=mode, profiles=profiles, index=index, fields=fields, encoding=encoding, neural=neural)


def _loads_little(mode: str, profile_paths: Sequence[str]) -> bool:
    """Does ``mode`` need only the screen's table, not the detector?"""
    return mode == "screen" and not profile_paths


def preload_mode(mode: str, profiles: Sequence[Any] = ()) -> None:
    """Load what ``mode`` needs before its first record, and no more.

    A screen without profiles needs only the screen's table (~0.3 s): no language model,
    lexicons or candidate table (`despin.preload`, ~3.5 s), which only check and restore
    (and a screen with a profile, which runs the detector) use; those also load the batch
    language model.
    """
    if mode == "screen" and not profiles:
        from .screen import preload_screen

        if preload_screen(tuple(SCREEN_CONFIG.resources)):
            return
    from .core import preload

    preload(batch=mode != "screen")


def _warm_up(mode: str, profile_paths: tuple[str, ...], index_path: str | None) -> None:
    """Check one sentence before forking so lazily loaded data is shared by all workers."""
    profiles, index = load_resources(profile_paths, index_path)
    try:
        preload_mode(mode, profiles)
        annotate("The quick brown fox jumps over the lazy dog.", mode, profiles, index)
    except Exception:
        pass  # the real records will report it


def _chunks(records: Iterator[Record | RawLine], shard_size: int, chunk_size: int,
            done: dict[int, ShardStats]) -> Iterator[tuple[str, Any]]:
    """("chunk", [records]) never spanning two shards, or ("skip", n) for a committed shard."""
    buf: list[Record | RawLine] = []
    skipped = 0
    for seq, rec in enumerate(records):
        shard = seq // shard_size
        if shard in done:
            if buf:
                yield "chunk", buf
                buf = []
            skipped += 1
            if (seq + 1) % shard_size == 0:
                yield "skip", skipped
                skipped = 0
            continue
        if skipped:  # pragma: no cover - a committed last shard is always whole or final
            yield "skip", skipped
            skipped = 0
        buf.append(rec)
        if len(buf) >= chunk_size or (seq + 1) % shard_size == 0:
            yield "chunk", buf
            buf = []
    if skipped:
        yield "skip", skipped
    if buf:
        yield "chunk", buf


def _manifest(files: Sequence[InputFile], **options: Any) -> dict[str, Any]:
    inputs = []
    for f in files:
        st = os.stat(f.path)
        inputs.append({"path": os.path.abspath(f.path), "kind": f.kind, "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    return {"version": MANIFEST_VERSION, "inputs": inputs, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()}}


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) of this process, and of its children that have ended (the workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def _summary(stats: dict[int, ShardStats], out: ShardedOutput, *, mode: str, engine: str, workers: int,
             elapsed: float, processed: int, rss: dict[int, int], cpu: Sequence[float]) -> dict[str, Any]:
    docs = sum(s.rows for s in stats.values())
    spun = sum(s.spun for s in stats.values())
    errors = sum(s.errors for s in stats.values())
    reasons: Counter[str] = Counter()
    for s in stats.values():
        reasons.update(s.reasons)
    checked = docs - errors
    return {
        "documents": docs,
        "spun": spun,
        "share_spun": round(spun / checked, 4) if checked else 0.0,
        "errors": errors,
        "top_sources": reasons.most_common(10),
        "mode": mode,
        "engine": engine,
        "workers": workers,
        "shards": len(stats),
        "documents_this_run": processed,
        "seconds_this_run": round(elapsed, 3),
        "docs_per_s_this_run": round(processed / elapsed, 1) if elapsed > 0 else None,
        # Where the CPU went (local engine; Ray's workers are not this process's children).
        "cpu_s_this_run": {"main": cpu[0], "workers": cpu[1]},
        "peak_rss_mb_per_worker": sorted(round(v / 1024, 1) for v in rss.values()),
        "output": str(out.path),
        "errors_file": str(out.path / "_errors.jsonl"),
    }
