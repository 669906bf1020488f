"""Read user text safely: clear errors for binary, undecodable, missing or huge input.

Shared by every command that reads files (check, spin, eval, trace, scan, papers).
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError

# 10 MB of text checks in bounded memory (check() segments it); beyond this we refuse
# rather than surprise the user with minutes of work.
MAX_TEXT_BYTES = 64 * 1024 * 1024


def decode_bytes(data: bytes, name: str, encoding: str | None = None) -> str:
    """Decode ``data`` or raise `InputError` naming ``name``.

    Binary input (NUL bytes in the first 8 KiB) is refused unless an encoding is given.
    """
    if encoding is None:
        if b"\x00" in data[:8192]:
            raise InputError(f"{name}: looks like a binary file (NUL bytes); pass --encoding to force")
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except LookupError:
        raise InputError(f"{name}: unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as e:
        raise InputError(
            f"{name}: not valid {encoding} at byte {e.start}; pass --encoding (e.g. latin-1)"
        ) from None


def read_text_file(path: str | os.PathLike[str], encoding: str | None = None, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Read a whole text file; ``-`` means standard input."""
    name = str(path)
    try:
        if name == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
            name = "<stdin>"
        else:
            p = Path(path)
            if p.is_dir():
                raise InputError(f"{name}: is a directory")
            size = p.stat().st_size
            if size > max_bytes:
                raise InputError(f"{name}: {size} bytes is over the {max_bytes} byte limit; split it first")
            data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory") from None
    if len(data) > max_bytes:
        raise InputError(f"{name}: over the {max_bytes} byte limit; split it first")
    return decode_bytes(data, name, encoding)


@dataclass(frozen=True)
class JsonlRecord:
    """One line of a JSONL file: ``value`` is the parsed object, or ``error`` says why not."""

    path: str
    lineno: int  # 1-based
    value: dict[str, Any] | None
    error: str | None = None


def iter_jsonl(path: str | os.PathLike[str], encoding: str = "utf-8") -> Iterator[JsonlRecord]:
    """Yield every non-blank line of a JSONL file (``.gz``/``.zst`` too), malformed ones as errors.

    Never raises for a bad line: callers report ``error`` with ``path:lineno`` and go on.
    A missing file raises `InputError`.
    """
    name = str(path)
    for lineno, raw in raw_jsonl_lines(name):
        value, error = parse_jsonl_line(raw, encoding)
        yield JsonlRecord(name, lineno, value, error)


def raw_jsonl_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of a JSONL file (``.gz``/``.zst`` too), unparsed, with their line
    numbers. A missing file raises `InputError`."""
    name = str(path)
    try:
        fh = _open_maybe_compressed(name)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    with fh:
        for lineno, raw in enumerate(fh, 1):
            if raw.strip():
                yield lineno, raw


def parse_jsonl_line(raw: bytes, encoding: str = "utf-8") -> tuple[dict[str, Any] | None, str | None]:
    """One non-blank JSONL line: ``(object, None)``, or ``(None, why not)``.

    >>> parse_jsonl_line(b'{"a": 1}\\n'), parse_jsonl_line(b'[1]')
    (({'a': 1}, None), (None, 'expected a JSON object, got list'))
    """
    try:
        line = raw.decode(encoding)
    except UnicodeDecodeError as e:
        return None, f"not valid {encoding} at byte {e.start}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        return None, f"malformed JSON: {e.msg} at column {e.colno}"
    except RecursionError:
        return None, "malformed JSON: nested too deeply"
    if not isinstance(obj, dict):
        return None, f"expected a JSON object, got {type(obj).__name__}"
    return obj, None


def _open_maybe_compressed(name: str):  # type: ignore[no-untyped-def]
    if name == "-":
        return os.fdopen(os.dup(sys.stdin.fileno()), "rb")
    if name.endswith(".gz"):
        import gzip

        return gzip.open(name, "rb")
    if name.endswith(".zst"):
        try:
            import zstandard
        except ImportError:  # pragma: no cover - depends on extras
            raise InputError(f"{name}: reading .zst needs the 'scan' extra: pip install 'despin[scan]'") from None
        import io

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(name, "rb")))  # type: ignore[arg-type]
    return open(name, "rb")
