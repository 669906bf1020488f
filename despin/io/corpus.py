"""Corpus readers and shard writers for `despin scan`.

Readers turn the inputs of a scan (JSONL plain/.gz/.zst, Parquet, directories of
.txt/.html files) into one deterministic stream of `Record`s: the same inputs always
give the same records in the same order, which is what makes ``scan --resume`` exact.
A malformed record is a `Record` with ``error`` set, never an exception, so a scan
reports it and goes on. Writers commit rows atomically (temp file, fsync, rename).

>>> import json, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.jsonl").write_text('{"id": 7, "text": "hello"}\\nnot json\\n')
>>> [(r.id, r.line, r.text, r.error is not None) for r in iter_records(expand_inputs([d]))]
[('7', 1, 'hello', False), (None, 2, None, True)]
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ..errors import DespinError, InputError
from .text import MAX_TEXT_BYTES, decode_bytes, parse_jsonl_line, raw_jsonl_lines

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
COMPRESSED = ("", ".gz", ".zst")
PARQUET_SUFFIXES = (".parquet", ".pq")
TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm")

# Rows read from Parquet per batch: bounded memory whatever the file size.
PARQUET_BATCH_ROWS = 1024


@dataclass(frozen=True)
class InputFile:
    """One input file and how to read it (``kind``: jsonl, parquet, text or html)."""

    path: str
    kind: str


@dataclass(frozen=True)
class Record:
    """One input record: a JSONL line, a Parquet row or a whole .txt/.html file.

    ``line`` is the 1-based line (JSONL) or row (Parquet); 0 for a whole file.
    ``markup == "html"`` means ``text`` is HTML whose main text `record_text` extracts
    (in the worker, so extraction runs in parallel). ``error`` is set when the record
    cannot be used; ``text`` is then None.
    """

    file: str
    line: int
    id: str | None
    text: str | None
    markup: str = "text"
    error: str | None = None


def file_kind(name: str) -> str | None:
    """The reader for a file name, or None when despin does not read it.

    >>> file_kind("x.jsonl.zst"), file_kind("a.HTML"), file_kind("b.csv")
    ('jsonl', 'html', None)
    """
    low = name.lower()
    if any(low.endswith(s + c) for s in JSONL_SUFFIXES for c in COMPRESSED):
        return "jsonl"
    if low.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if low.endswith(TEXT_SUFFIXES):
        return "text"
    if low.endswith(HTML_SUFFIXES):
        return "html"
    return None


def expand_inputs(
    inputs: Iterable[str | os.PathLike[str]],
    *,
    text_field: str = "text",
    id_field: str = "id",
    exclude: str | os.PathLike[str] | None = None,
) -> list[InputFile]:
    """Resolve files and directories (walked recursively, sorted) into `InputFile`s.

    Checked up front so that a usage mistake fails before any work: a missing path,
    an unsupported file type given explicitly, a Parquet file without ``text_field``.
    Files under ``exclude`` (the scan's own output) are skipped.
    """
    excluded = Path(exclude).resolve() if exclude is not None else None
    files: list[InputFile] = []
    for raw in inputs:
        p = Path(raw)
        if str(raw) == "-":
            raise InputError("scan reads files, not standard input; save it to a .jsonl file first")
        if p.is_dir():
            for sub in sorted(_walk(p)):
                if excluded is not None and (sub.resolve() == excluded or excluded in sub.resolve().parents):
                    continue
                kind = file_kind(sub.name)
                if kind is not None:
                    files.append(InputFile(str(sub), kind))
        elif p.is_file():
            kind = file_kind(p.name)
            if kind is None:
                raise InputError(
                    f"{p}: unsupported input type; expected .jsonl[.gz|.zst], .parquet, .txt, .html or a directory"
                )
            files.append(InputFile(str(p), kind))
        else:
            raise InputError(f"{p}: no such file or directory")
    for f in files:
        if f.kind == "parquet":
            _check_parquet_columns(f.path, text_field)
    return files


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        # Hidden folders (.git, our own .tmp files) are never corpus content.
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
        for name in filenames:
            if not name.startswith((".", "_")):
                yield Path(dirpath) / name


def _check_parquet_columns(path: str, text_field: str) -> None:
    pq = _pyarrow_parquet()
    try:
        names = pq.ParquetFile(path).schema_arrow.names
    except Exception:
        return  # unreadable: reported as an error record when the scan reaches it
    if text_field not in names:
        raise InputError(f"{path}: no column {text_field!r} (columns: {', '.join(names)}); pass --text-field")


def iter_records(
    files: Sequence[InputFile],
    *,
    text_field: str = "text",
    id_field: str = "id",
    encoding: str | None = None,
) -> Iterator[Record]:
    """Every record of every file, in order; never raises for a bad record."""
    for f in files:
        yield from iter_file_records(f, text_field=text_field, id_field=id_field, encoding=encoding)


def iter_file_records(
    f: InputFile, *, text_field: str = "text", id_field: str = "id", encoding: str | None = None
) -> Iterator[Record]:
    """The records of one file (see `iter_records`)."""
    if f.kind == "jsonl":
        yield from _jsonl_records(f.path, text_field, id_field, encoding)
    elif f.kind == "parquet":
        yield from _parquet_records(f.path, text_field, id_field)
    else:
        yield _file_record(f, encoding)


def _jsonl_records(path: str, text_field: str, id_field: str, encoding: str | None) -> Iterator[Record]:
    for item in jsonl_lines(path):
        yield as_record(item, text_field, id_field, encoding)


# A JSONL line not parsed yet: (file, 1-based line number, the line's bytes).
RawLine = tuple[str, int, bytes]


def iter_record_items(
    files: Sequence[InputFile],
    *,
    text_field: str = "text",
    id_field: str = "id",
    encoding: str | None = None,
) -> Iterator[Record | RawLine]:
    """`iter_records`, except that a JSONL line comes unparsed, as a `RawLine`.

    Whoever checks the record parses it (`as_record`): a scan's workers parse their own
    chunks in parallel, and the process that reads only splits lines. Order, numbering
    and errors are those of `iter_records`.
    """
    for f in files:
        if f.kind == "jsonl":
            yield from jsonl_lines(f.path)
        else:
            yield from iter_file_records(f, text_field=text_field, id_field=id_field, encoding=encoding)


def jsonl_lines(path: str) -> Iterator[Record | RawLine]:
    """The non-blank lines of a JSONL file as `RawLine`s; a file that cannot be read (or
    stops being readable: a truncated .gz) ends with one error `Record`."""
    try:
        for lineno, raw in raw_jsonl_lines(path):
            yield path, lineno, raw
    except (OSError, EOFError, DespinError) as e:
        # A truncated .gz or corrupt .zst: what was read stands, the rest is one error.
        yield Record(path, 0, None, None, error=f"unreadable: {e}")
    except Exception as e:  # zstandard raises its own ZstdError, not an OSError
        yield Record(path, 0, None, None, error=f"unreadable: {type(e).__name__}: {e}")


def jsonl_record(path: str, line: int, raw: bytes, text_field: str = "text", id_field: str = "id",
                 encoding: str | None = None) -> Record:
    """The `Record` of one non-blank JSONL line; a malformed line is an error `Record`.

    >>> jsonl_record("a.jsonl", 3, b'{"id": 7, "text": "hi"}')
    Record(file='a.jsonl', line=3, id='7', text='hi', markup='text', error=None)
    """
    value, error = parse_jsonl_line(raw, encoding or "utf-8")
    if value is None:
        return Record(path, line, None, None, error=error)
    return _with_text(path, line, _id_str(value.get(id_field)), value.get(text_field, _MISSING), text_field)


def as_record(item: Record | RawLine, text_field: str = "text", id_field: str = "id",
              encoding: str | None = None) -> Record:
    """An item of `iter_record_items` as its `Record` (parsing a `RawLine`)."""
    return item if isinstance(item, Record) else jsonl_record(*item, text_field, id_field, encoding)


def _parquet_records(path: str, text_field: str, id_field: str) -> Iterator[Record]:
    pq = _pyarrow_parquet()
    row = 0
    try:
        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
        if text_field not in names:
            yield Record(path, 0, None, None, error=f"no column {text_field!r}")
            return
        columns = [text_field] + ([id_field] if id_field in names and id_field != text_field else [])
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns):
            texts = batch.column(text_field).to_pylist()
            ids = batch.column(id_field).to_pylist() if id_field in columns else [None] * len(texts)
            for text, rid in zip(texts, ids):
                row += 1
                yield _with_text(path, row, _id_str(rid), text, text_field)
    except Exception as e:  # pyarrow's errors (ArrowInvalid, OSError) for a damaged file
        yield Record(path, 0 if row == 0 else row + 1, None, None, error=f"unreadable Parquet: {e}")


def _file_record(f: InputFile, encoding: str | None) -> Record:
    try:
        size = os.path.getsize(f.path)
        if size > MAX_TEXT_BYTES:
            raise InputError(f"{f.path}: {size} bytes is over the {MAX_TEXT_BYTES} byte limit")
        with open(f.path, "rb") as fh:
            text = decode_bytes(fh.read(), f.path, encoding)
    except InputError as e:
        return Record(f.path, 0, _file_id(f.path), None, error=str(e))
    except OSError as e:
        return Record(f.path, 0, _file_id(f.path), None, error=f"unreadable: {e.strerror or e}")
    return Record(f.path, 0, _file_id(f.path), text, markup="html" if f.kind == "html" else "text")


_MISSING = object()


def _with_text(path: str, line: int, rid: str | None, text: Any, field: str) -> Record:
    if text is _MISSING:
        return Record(path, line, rid, None, error=f"missing text field {field!r}")
    if text is None:
        return Record(path, line, rid, None, error=f"text field {field!r} is null")
    if not isinstance(text, str):
        return Record(path, line, rid, None, error=f"text field {field!r} is {type(text).__name__}, not a string")
    return Record(path, line, rid, text)


def _id_str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _file_id(path: str) -> str:
    return Path(path).name


def record_text(rec: Record) -> str:
    """The text to check: ``rec.text``, or the main text of an HTML page.

    Main-text extraction uses trafilatura (boilerplate such as menus and footers is
    left out); pages where it finds no main text fall back to all visible text.
    """
    if rec.text is None:
        raise InputError(f"{rec.file}:{rec.line}: {rec.error or 'no text'}")
    if rec.markup != "html":
        return rec.text
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - depends on extras
        raise InputError("reading .html needs the 'scan' extra: pip install 'despin[scan]'") from None
    text = trafilatura.extract(rec.text, include_comments=False, include_tables=False)
    if text is None:
        text = trafilatura.html2txt(rec.text) or ""
    return text


def count_records(files: Sequence[InputFile]) -> int:
    """How many records `iter_records` will yield, cheaply (for progress bars).

    Parquet from its footer, text/html files count one each, JSONL by counting its
    non-blank lines (a fast byte scan, no JSON parsing).
    """
    total = 0
    for f in files:
        try:
            if f.kind == "parquet":
                total += _pyarrow_parquet().ParquetFile(f.path).metadata.num_rows
            elif f.kind == "jsonl":
                total += sum(1 for _ in raw_jsonl_lines(f.path))
            else:
                total += 1
        except Exception:
            total += 1  # unreadable: one error record
    return total


# --- writers -------------------------------------------------------------------------

FORMATS = ("parquet", "jsonl")


@lru_cache(maxsize=1)
def row_schema():  # type: ignore[no-untyped-def]
    """The fixed Arrow schema of a scan output row (Parquet needs one schema for all shards)."""
    import pyarrow as pa

    span = pa.struct(
        [
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
            ("score", pa.float64()),
            ("suggestion", pa.string()),
            ("reason", pa.string()),
        ]
    )
    return pa.schema(
        [
            ("id", pa.string()),
            ("file", pa.string()),
            ("line", pa.int64()),
            ("score", pa.float64()),
            ("verdict", pa.string()),
            ("spans", pa.list_(span)),
            ("restored", pa.string()),
            ("error", pa.string()),
        ]
    )


ROW_FIELDS = ("id", "file", "line", "score", "verdict", "spans", "restored", "error")


def write_rows_atomic(path: str | os.PathLike[str], rows: Sequence[dict[str, Any]], fmt: str) -> None:
    """Write ``rows`` to ``path`` as Parquet or JSONL, all or nothing.

    The rows go to a hidden temp file in the same folder, which is fsynced and then
    renamed over ``path``: after a crash the file is either absent or complete.
    """
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = rows_table(rows)

        def write(fh: Any) -> None:
            pq.write_table(table, fh, compression="zstd")

    elif fmt == "jsonl":

        def write(fh: Any) -> None:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n")

    else:
        raise InputError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")
    _atomic(path, write)


# `rows_table` goes through Arrow's JSON reader for a process's first this-many rows.
_JSON_ROUTE_ROWS = 50_000
_json_route_used = 0


def rows_table(rows: Sequence[dict[str, Any]]) -> Any:
    """``rows`` as an Arrow table of `row_schema`.

    ``pa.Table.from_pylist`` makes pyarrow import pandas the first time (0.26 CPU-s, half
    of a 5-record scan), so a process's first 50,000 rows go through Arrow's JSON reader
    instead, C++ that never imports it: 6.6 µs a screen row against 1.7 µs, so after
    ~50,000 rows the import has paid for itself and from_pylist takes over. Anything
    the reader refuses (a lone surrogate) goes through from_pylist, which decides as before.
    """
    global _json_route_used
    import pyarrow as pa

    schema = row_schema()
    if rows and _json_route_used < _JSON_ROUTE_ROWS and "pandas" not in sys.modules:
        import io

        import pyarrow.json as pa_json

        _json_route_used += len(rows)
        data = b"".join(json.dumps(r).encode("ascii") + b"\n" for r in rows)
        options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
        try:
            table = pa_json.read_json(io.BytesIO(data), read_options=pa_json.ReadOptions(use_threads=False),
                                      parse_options=options)
            return table.select(schema.names)
        except pa.ArrowInvalid:
            pass
    return pa.Table.from_pylist(list(rows), schema=schema)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write a small text file (marker, manifest, summary) all or nothing."""
    _atomic(path, lambda fh: fh.write(text.encode("utf-8")))


def _atomic(path: str | os.PathLike[str], write: Any) -> None:
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix="." + target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(target.parent)


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make a rename durable: fsync the folder that holds it (no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def read_rows(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """All rows of a scan output folder (or one part file), in input order (for tests, small outputs)."""
    p = Path(path)
    parts = sorted(p.glob("part-*")) if p.is_dir() else [p]
    rows: list[dict[str, Any]] = []
    for part in parts:
        if part.name.endswith(".parquet"):
            rows.extend(_pyarrow_parquet().read_table(part).to_pylist())
        elif part.name.endswith(".jsonl"):
            with open(part, encoding="utf-8") as fh:
                rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def _pyarrow_parquet():  # type: ignore[no-untyped-def]
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - depends on extras
        raise InputError("Parquet needs the 'scan' extra: pip install 'despin[scan]'") from None
    return pq
