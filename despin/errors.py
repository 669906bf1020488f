"""One exception type per kind of failure; the CLI maps them to exit codes."""
from __future__ import annotations


class DespinError(Exception):
    """Base class: a user-facing failure with a one-line message."""

    exit_code = 1


class InputError(DespinError):
    """The input (file, text, JSONL line) cannot be read or is not usable."""


class DataError(DespinError):
    """A shipped or user-supplied data file (lexicon, profile, list) is missing or corrupt."""


class IndexCorruptError(DataError):
    """A trace index directory is missing, incomplete or from an incompatible version."""


class ProfileError(DataError):
    """A spinner profile file cannot be read."""
