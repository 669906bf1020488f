"""The `despin` command: a click group whose subcommands load on demand.

Each verb lives in its own module (``despin/cli/<verb>.py``) so that ``despin --help``
and start-up stay fast and no module grows into a 3,000-line cli.py.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any

import click

# name -> (module, attribute). One line per verb; the module defines a click command.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("despin.cli.check", "check"),
    "restore": ("despin.cli.check", "restore"),
    "spin": ("despin.cli.spin", "spin"),
    "eval": ("despin.cli.eval", "eval_"),
    "index": ("despin.cli.trace", "index"),
    "trace": ("despin.cli.trace", "trace"),
    "cluster": ("despin.cli.trace", "cluster"),
    "learn": ("despin.cli.learn", "learn"),
    "profile": ("despin.cli.learn", "profile"),
    "scan": ("despin.cli.scan", "scan"),
    "serve": ("despin.cli.serve", "serve"),
    "papers": ("despin.cli.papers", "papers"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name]
        try:
            cmd = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            # A verb whose optional dependency is missing still shows up, with the fix.
            # (`e` is unbound once the except block ends: keep the message, not the name.)
            why = str(e)

            @click.command(name=name, help=f"(unavailable: {why})")
            def _missing(**_: Any) -> None:
                raise click.ClickException(f"'{name}' is unavailable: {why}")

            return _missing
        return cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="despin")
def main() -> None:
    """Find machine-spun text, show what was changed, restore it, trace its source."""


def run() -> None:  # pragma: no cover
    sys.exit(main())
