"""The default tortured-phrase list: the bundled PPS half, plus the user's updates.

despin ships half of the *Problematic Paper Screener* list (Cabanac, Labbé & Magazinov,
CC BY 4.0; built by ``scripts/build_tortured_list.py``, attribution in
``despin/data/NOTICE``). A newer list the user downloads is merged with
``despin papers --update-list FILE`` into a file of the user's data directory
(`lists_dir`); the default list is the bundled one with those updates on top (an updated
entry replaces the bundled entry for the same phrase).

Nothing here is used unless asked for: `despin.papers.beyond` and `ListMatcher` learn
only from the lists they are given, so a benchmark that holds phrases out of its lists
stays honest.
"""
from __future__ import annotations

import gzip
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import DataError
from ..io.text import read_text_file
from .lists import Fingerprint, Phrase, Query, normalize_phrase, parse_list_text, parse_query

BUNDLED_FILE = "tortured-pps.tsv.gz"
BUNDLED_NAME = "bundled PPS list"
UPDATES_FILE = "tortured-updates.tsv"
LISTS_DIR_ENV = "DESPIN_LISTS_DIR"
ATTRIBUTION = (
    "Default list: half of the Problematic Paper Screener's tortured-phrase list by "
    "Guillaume Cabanac, Cyril Labbé and Alexander Magazinov "
    "(https://dbrech.irit.fr/pls/apex/f?p=9999:5), CC BY 4.0; changed: half of their list, "
    "as TSV, 14 context-dependent entries dropped."
)
PPS_URL = "https://dbrech.irit.fr/pls/apex/f?p=9999:5"


def drop_correct_terms(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(tortured, correct)`` rows without those whose tortured phrase the list itself gives
    as a correct term (an established term of the field, listed with a correction that only
    holds in some context, while another row restores that very term): flat copies of PPS
    fingerprints that need their AND/NOT context, which flag sound papers alone. What the
    bundled list drops (14 of 3,984 rows). (Invented example below.)

    >>> drop_correct_terms([("haze figuring", "cloud computing"), ("cloud computing", "cloud setting")])
    [('haze figuring', 'cloud computing')]
    """
    from .beyond import _clean_expected

    correct_terms = {normalize_phrase(_clean_expected(c)) for _, c in rows}
    return [(t, c) for t, c in rows if normalize_phrase(t) not in correct_terms]


def lists_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Where `--update-list` keeps the user's updates: ``override``, else ``$DESPIN_LISTS_DIR``,
    else ``$XDG_DATA_HOME/despin`` (``~/.local/share/despin`` when unset).

    >>> str(lists_dir("/tmp/x"))
    '/tmp/x'
    """
    if override:
        return Path(override)
    if os.environ.get(LISTS_DIR_ENV):
        return Path(os.environ[LISTS_DIR_ENV])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "despin"


@lru_cache(maxsize=1)
def bundled_text() -> str:
    """The bundled list's text (TSV with a comment header)."""
    try:
        data = resources.files("despin").joinpath("data", BUNDLED_FILE).read_bytes()
        return gzip.decompress(data).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise DataError(f"the bundled tortured-phrase list ({BUNDLED_FILE}) is missing or corrupt: {e}") from None


def bundled_list() -> list[Fingerprint]:
    """The bundled PPS half, as fingerprints (source ``bundled PPS list:LINE``)."""
    return parse_list_text(bundled_text(), BUNDLED_NAME)


def default_list(directory: str | os.PathLike[str] | None = None) -> list[Fingerprint]:
    """The bundled list with the user's updates (from `lists_dir`) on top."""
    updates_path = lists_dir(directory) / UPDATES_FILE
    if not updates_path.exists():
        return bundled_list()
    updates = parse_list_text(read_text_file(updates_path), str(updates_path))
    replaced = {_fingerprint_key(fp) for fp in updates}
    return [fp for fp in bundled_list() if _fingerprint_key(fp) not in replaced] + updates


@dataclass(frozen=True)
class UpdateSummary:
    """What `update_list` did."""

    path: Path
    read: int
    new: int
    changed: int
    unchanged: int
    total: int

    def __str__(self) -> str:
        return (f"{self.read} entries read: {self.new} new, {self.changed} changed, "
                f"{self.unchanged} already known; {self.total} updates in {self.path} "
                f"(used with the bundled list unless --no-default-list)")


def update_list(source: str | os.PathLike[str], directory: str | os.PathLike[str] | None = None) -> UpdateSummary:
    """Merge a list file the user downloaded into the updates file of `lists_dir`.

    Entries are keyed by their phrase (plain TSV, normalised) or their query (fingerprints);
    a newer entry replaces an older one for the same key; entries the bundled list already
    has with the same expected text are not stored. The file is validated first (a bad line
    raises `DataError` naming ``FILE:LINE``, and nothing is written).
    """
    text = read_text_file(source)
    parse_list_text(text, str(source))  # validate: FILE:LINE errors before anything changes
    incoming = _entries(text)
    target = lists_dir(directory) / UPDATES_FILE
    stored = _entries(read_text_file(target)) if target.exists() else {}
    bundled = _entries(bundled_text())
    new = changed = unchanged = 0
    for key, (left, right) in incoming.items():
        before = stored.get(key) or bundled.get(key)
        if before is not None and before[1].strip() == right.strip():
            unchanged += 1
            continue
        if before is None:
            new += 1
        else:
            changed += 1
        stored[key] = (left, right)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        body = "# despin: tortured-phrase list updates (despin papers --update-list); TSV or fingerprints\n"
        body += "".join(f"{left}\t{right}\n" for left, right in stored.values())
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".updates-", suffix=".tsv")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        os.replace(tmp, target)
    except OSError as e:
        raise DataError(f"{target}: cannot write the list updates ({e.strerror})") from None
    return UpdateSummary(target, len(incoming), new, changed, unchanged, len(stored))


def _key(left: str) -> str:
    left = left.strip()
    if left.startswith(('"', "(", "NOT ")):
        return _query_key(parse_query(left))
    return "p:" + normalize_phrase(left)


def _fingerprint_key(fp: Fingerprint) -> str:
    return _query_key(fp.query)


def _query_key(query: Query) -> str:
    """One key per phrase: a plain phrase and the same phrase quoted replace each other."""
    if isinstance(query.expr, Phrase) and query.expr.slop is None:
        return "p:" + query.expr.text
    return "q:" + repr(query.expr)


def _entries(text: str) -> dict[str, tuple[str, str]]:
    """Non-comment lines as key -> (left, right); a header line is skipped; later lines win."""
    out: dict[str, tuple[str, str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        left, _, right = line.partition("\t")
        if (left.strip().lower(), right.strip().lower()) in {("tortured", "correct"), ("tortured", "expected"),
                                                             ("phrase", "expected"), ("fingerprint", "expected")}:
            continue
        out[_key(left)] = (left.strip(), right.strip())
    return out
