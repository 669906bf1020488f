"""`check` and `restore`: text in, a `Report` out. Pure: no I/O beyond loading shipped data."""
from __future__ import annotations

from typing import Any, Sequence

from .config import DEFAULT, Config, SubstitutionSource
from .report import Report, empty_report


def check(
    text: str,
    *,
    profile: SubstitutionSource | Sequence[SubstitutionSource] | None = None,
    index: Any = None,
    config: Config = DEFAULT,
) -> Report:
    """Is ``text`` spun, where, and what did it say?

    >>> check("").verdict
    'clean'
    """
    if not text.strip():
        return empty_report(text)
    # Placeholder until the detector lands: never changes anything.
    return empty_report(text)


def restore(text: str, **kwargs: Any) -> str:
    """The most likely original wording; only flagged spans change."""
    return check(text, **kwargs).restored
