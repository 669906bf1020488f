"""Ray Data engine: the same per-record function, run by ``map_batches`` on a Ray cluster.

Two entry points:

- `check_dataset(ds)`: for your own `ray.data.Dataset` (any reader, any sink); adds
  the columns ``score``, ``verdict``, ``spans``, ``restored``, ``error``.
- ``despin scan --engine ray [--address HOST:PORT]`` (`scan_batches`, registered with
  `despin.scan` when this module is imported: ``run_scan(engine="ray")``): reads the same
  inputs as the local engine (one Ray task per file, records streamed in blocks), checks
  them in parallel and hands the rows back in input order to the same shard writer, so
  the output folder is identical to the local engine's.

Example (not run here: it starts Ray)::

    import ray, despin.engines.ray as dr
    ds = ray.data.read_parquet("s3://bucket/corpus/")
    dr.check_dataset(ds, mode="screen").write_parquet("s3://bucket/scored/")
"""
from __future__ import annotations

import logging
import os
from typing import Any, Iterator, Sequence

from ..errors import DespinError, InputError
from ..io.corpus import InputFile, Record, iter_file_records, row_schema
from ..scan import MODES, annotate, load_resources, preload_mode, register_engine, row_for_record

try:
    import pyarrow as pa
    import ray
    import ray.data
except ImportError as e:  # pragma: no cover - depends on extras
    raise ImportError(f"the Ray engine needs the 'ray' extra: pip install 'despin[ray,scan]' ({e})") from None

# Records per block handed from a reading task to checking tasks.
READ_BLOCK_RECORDS = 256
TARGET_BLOCK_BYTES = 1 << 20
_RECORD_SCHEMA = pa.schema(
    [("file", pa.string()), ("line", pa.int64()), ("id", pa.string()), ("text", pa.string()),
     ("markup", pa.string()), ("error", pa.string())]
)
_OUT_COLUMNS = ("score", "verdict", "spans", "restored", "error")


def check_dataset(
    ds: "ray.data.Dataset",
    *,
    text_field: str = "text",
    mode: str = "check",
    profile: Sequence[Any] | str | os.PathLike[str] = (),
    index: Any = None,
    batch_size: int = 64,
    **map_batches_kwargs: Any,
) -> "ray.data.Dataset":
    """Add despin's columns to every row of ``ds`` (lazily, like any Ray transform).

    ``profile``/``index`` may be paths (each worker loads them once) or loaded objects
    (shipped to workers by Ray). Columns already named ``score``... are replaced.
    A row whose text is missing or not a string gets ``error`` set, not an exception.
    """
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    profiles = [profile] if isinstance(profile, (str, os.PathLike)) else list(profile)
    as_paths = all(isinstance(p, (str, os.PathLike)) for p in profiles)
    index_is_path = index is None or isinstance(index, (str, os.PathLike))
    kwargs = {
        "text_field": text_field,
        "mode": mode,
        "profile_paths": tuple(str(p) for p in profiles) if as_paths else (),
        "profile_objects": () if as_paths else tuple(profiles),
        "index_path": str(index) if index is not None and index_is_path else None,
        "index_object": None if index_is_path else index,
    }
    return ds.map_batches(_annotate_table, batch_format="pyarrow", batch_size=batch_size,  # type: ignore[arg-type]
                          fn_kwargs=kwargs, **map_batches_kwargs)


def _annotate_table(table: "pa.Table", *, text_field: str, mode: str, profile_paths: tuple[str, ...],
                    profile_objects: tuple[Any, ...], index_path: str | None, index_object: Any) -> "pa.Table":
    profiles, index = load_resources(profile_paths, index_path)
    profiles = profiles or profile_objects
    index = index if index is not None else index_object
    texts = table.column(text_field).to_pylist() if text_field in table.column_names else [None] * table.num_rows
    cols: dict[str, list[Any]] = {c: [] for c in _OUT_COLUMNS}
    for text in texts:
        res: dict[str, Any] = {"score": None, "verdict": None, "spans": None, "restored": None, "error": None}
        if not isinstance(text, str):
            res["error"] = f"text field {text_field!r} is missing or not a string"
        else:
            try:
                res.update(annotate(text, mode, profiles, index))
            except DespinError as e:
                res["error"] = str(e)
            except Exception as e:  # one bad document must not fail the job
                res["error"] = f"check failed: {type(e).__name__}: {e}"
        for c in _OUT_COLUMNS:
            cols[c].append(res[c])
    schema = row_schema()
    for c in _OUT_COLUMNS:
        arr = pa.array(cols[c], type=schema.field(c).type)
        if c in table.column_names:
            table = table.set_column(table.column_names.index(c), c, arr)
        else:
            table = table.append_column(c, arr)
    return table


def _read_files(batch: "pa.Table", *, text_field: str, id_field: str, encoding: str | None) -> Iterator["pa.Table"]:
    """One input file per call, its records streamed out in blocks (bounded memory)."""
    for path, kind in zip(batch.column("path").to_pylist(), batch.column("kind").to_pylist()):
        buf: list[dict[str, Any]] = []
        for rec in iter_file_records(InputFile(path, kind), text_field=text_field, id_field=id_field,
                                     encoding=encoding):
            buf.append({"file": rec.file, "line": rec.line, "id": rec.id, "text": rec.text,
                        "markup": rec.markup, "error": rec.error})
            if len(buf) >= READ_BLOCK_RECORDS:
                yield pa.Table.from_pylist(buf, schema=_RECORD_SCHEMA)
                buf = []
        if buf:
            yield pa.Table.from_pylist(buf, schema=_RECORD_SCHEMA)


class _RowsUDF:
    """Checks blocks of records in a long-lived actor: resources load once per actor."""

    def __init__(self, mode: str, profile_paths: tuple[str, ...], index_path: str | None,
                 neural: bool = False) -> None:
        self.mode, self.neural = mode, neural
        self.profiles, self.index = load_resources(profile_paths, index_path)
        preload_mode(mode, self.profiles)  # as local scan workers: what the mode needs, no more

    def __call__(self, batch: "pa.Table") -> "pa.Table":
        rows = [
            row_for_record(Record(r["file"], r["line"], r["id"], r["text"], r["markup"], r["error"]),
                           self.mode, self.profiles, self.index, self.neural)
            for r in batch.to_pylist()
        ]
        return pa.Table.from_pylist(rows, schema=row_schema())


def scan_batches(
    files: Sequence[InputFile],
    *,
    mode: str = "check",
    text_field: str = "text",
    id_field: str = "id",
    profiles: tuple[str, ...] = (),
    index: str | None = None,
    encoding: str | None = None,
    address: str | None = None,
    num_cpus: int | None = None,
    batch_size: int = 64,
    neural: bool = False,
) -> Iterator[list[dict[str, Any]]]:
    """Rows for every record of ``files``, in input order, computed on Ray.

    Connects to ``address`` (a running cluster: ``ray start --head``) or starts a local
    Ray with ``num_cpus`` CPUs; a Ray already initialised by the caller is used as is.
    Input paths must be readable from every node (a shared file system).
    """
    started_here = _ensure_ray(address, num_cpus)
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # rows come back in input order
        ctx.enable_progress_bars = False  # despin shows its own
        # Small blocks, so that even one big input file is spread over all checking actors
        # (Ray's default coalesces a task's output into blocks of up to 128 MiB).
        ctx.target_max_block_size = TARGET_BLOCK_BYTES
        if not files:
            return
        ds: Any = ray.data.from_items([{"path": f.path, "kind": f.kind} for f in files], override_num_blocks=len(files))
        # Reading is light (parse JSON, decode files): zero CPUs reserved, so it streams
        # while every CPU runs a checking actor. Separate operators, not fused, so that a
        # single large file is still checked in parallel.
        ds = ds.map_batches(_read_files, batch_size=1, batch_format="pyarrow", num_cpus=0,
                            fn_kwargs={"text_field": text_field, "id_field": id_field, "encoding": encoding})
        actors = max(1, int(ray.cluster_resources().get("CPU", 1)))
        ds = ds.map_batches(_RowsUDF, batch_size=batch_size, batch_format="pyarrow", num_cpus=1,
                            concurrency=actors,
                            fn_constructor_kwargs={"mode": mode, "profile_paths": profiles, "index_path": index,
                                                   "neural": neural})
        for table in ds.iter_batches(batch_format="pyarrow", batch_size=None):
            yield table.to_pylist()  # type: ignore[union-attr]
    finally:
        if started_here:
            ray.shutdown()


register_engine("ray", scan_batches)  # `despin scan --engine ray`, `run_scan(engine="ray")`


def _ensure_ray(address: str | None, num_cpus: int | None) -> bool:
    """Initialise Ray unless the caller did; True when we started it (and must stop it)."""
    if ray.is_initialized():
        return False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    try:
        if address:
            ray.init(address=address, logging_level=logging.WARNING)
        else:
            ray.init(num_cpus=num_cpus, include_dashboard=False, logging_level=logging.WARNING)
    except (ConnectionError, ValueError, RuntimeError) as e:
        raise InputError(f"cannot start or reach Ray{' at ' + address if address else ''}: {e}") from None
    return True
