"""Shared CLI plumbing: error mapping and input reading for every verb."""
from __future__ import annotations

import functools
import os
from typing import Any, Callable, Iterable, TypeVar

import click

from ..errors import DespinError, InputError

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(fn: F) -> F:
    """Turn `DespinError` into a one-line message and exit code 1 (never a traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DespinError as e:
            click.echo(f"Error: {e}", err=True)
            raise SystemExit(e.exit_code) from None
        except BrokenPipeError:  # `despin check big.txt | head`
            raise SystemExit(0) from None

    return wrapper  # type: ignore[return-value]


encoding_option = click.option(
    "--encoding", default=None, help="Input encoding (default: UTF-8; binary files are refused)."
)


def require_neural_model() -> None:
    """``--neural`` without a built model is a usage error that says how to build it."""
    from .. import neural

    if not neural.available():
        raise click.UsageError("--neural needs the neural model: run python -m despin.neural_build first")


def refuse_output_over_input(output: str | None, inputs: Iterable[str | None]) -> None:
    """An output file that is also one of the input files would be truncated before it is
    read (or replaced after): a usage mistake that loses the input, refused before anything
    is opened for writing (`InputError`). Standard streams and outputs that do not exist yet
    pass; a folder given as input is not searched.

    >>> refuse_output_over_input("-", ["-"])
    """
    if not output or output == "-" or not os.path.isfile(output):
        return
    for path in inputs:
        if path and path != "-" and os.path.isfile(path) and os.path.samefile(path, output):
            raise InputError(f"{output}: is also an input; write the output to another file")
