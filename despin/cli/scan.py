"""`despin scan`: a thin adapter over `despin.scan.run_scan` (progress bar, summary)."""
from __future__ import annotations

import sys
from typing import Any

import click

from ._common import encoding_option, require_neural_model, user_errors


class _RichProgress:
    """A rich progress bar with docs/s and ETA, on standard error."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("scan"),
            BarColumn(),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} docs/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = self._bar.add_task("scan", total=None, rate="   -")

    def __enter__(self) -> "_RichProgress":
        self._bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._bar.stop()

    def set_total(self, total: int | None) -> None:
        self._bar.update(self._task, total=total)

    def advance(self, n: int) -> None:
        self._bar.advance(self._task, n)
        speed = self._bar.tasks[0].speed
        self._bar.update(self._task, rate=f"{speed:7.1f}" if speed else "   -")


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Output folder (part files + _summary.json + _errors.jsonl).")
@click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl"]), default="parquet", show_default=True,
              help="Format of the part files.")
@click.option("--mode", type=click.Choice(["screen", "check", "restore"]), default="check", show_default=True,
              help="screen: document score only (fastest); check: + spans; restore: + restored text.")
@click.option("--text-field", default="text", show_default=True, help="JSONL key / Parquet column with the text.")
@click.option("--id-field", default="id", show_default=True, help="JSONL key / Parquet column with the id.")
@click.option("--profile", "profiles", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Spinner profile (repeatable).")
@click.option("--index", type=click.Path(exists=True, file_okay=False), default=None,
              help="Trace index folder (despin index).")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Worker processes (default: all CPUs; 0: in this process).")
@click.option("--shard-size", type=click.IntRange(min=1), default=5000, show_default=True,
              help="Records per committed part file (the unit of --resume).")
@click.option("--resume", is_flag=True, help="Continue an interrupted scan into the same output folder.")
@click.option("--overwrite", is_flag=True, help="Replace an existing scan output folder.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: worker processes on this machine; ray: Ray Data (see docs/scan.md).")
@click.option("--address", default=None, help="Ray cluster address (with --engine ray), e.g. 10.0.0.1:6379.")
@click.option("--learn", is_flag=True,
              help="With --mode restore --index: trace every record, learn spinner profiles from the pairs "
                   "found (written to OUTPUT.learn/), restore the rest through them (docs/learn.md).")
@click.option("--neural", is_flag=True,
              help="With --mode check or restore: a neural language model re-ranks the suggestions of spun "
                   "records (after python -m despin.neural_build; seconds per spun article; docs/neural.md).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary on standard error.")
@encoding_option
@user_errors
def scan(inputs: tuple[str, ...], output: str, fmt: str, mode: str, text_field: str, id_field: str,
         profiles: tuple[str, ...], index: str | None, workers: int | None, shard_size: int, resume: bool,
         overwrite: bool, engine: str, address: str | None, learn: bool, neural: bool, quiet: bool,
         encoding: str | None) -> None:
    """Check every record of a corpus: JSONL (.gz/.zst), Parquet, or folders of .txt/.html.

    Writes one row per input record (id, file, line, score, verdict, spans, and with
    --mode restore the restored text) to OUTPUT/part-*.parquet (or .jsonl), in input
    order. Malformed records are kept as rows with an error and listed in
    OUTPUT/_errors.jsonl. Killed? Rerun the same command with --resume.

    \b
    Example:
      despin scan corpus.jsonl.zst -o scored/ --mode screen --workers 8
    """
    from ..scan import run_scan

    if address and engine != "ray":
        raise click.UsageError("--address needs --engine ray")
    if resume and overwrite:
        raise click.UsageError("--resume and --overwrite exclude each other")
    if learn and (mode != "restore" or not index or engine != "local" or profiles):
        raise click.UsageError("--learn needs --mode restore, --index ARCHIVE and the local engine (it learns "
                               "its own profiles: no --profile)")
    if neural:
        if mode == "screen":
            raise click.UsageError("--neural re-ranks suggestions: it needs --mode check or restore")
        require_neural_model()
    runner: Any = _learn_loop if learn else run_scan  # --learn: the same call, through the loop
    if engine == "ray":
        try:
            from ..engines import ray  # noqa: F401  (registers the engine with despin.scan)
        except ImportError as e:
            raise click.ClickException(str(e)) from None
    show = not quiet and sys.stderr.isatty()
    kwargs: dict[str, Any] = dict(mode=mode, fmt=fmt, text_field=text_field, id_field=id_field, profiles=profiles,
                                  index=index, encoding=encoding, workers=workers, shard_size=shard_size,
                                  resume=resume, overwrite=overwrite, engine=engine, address=address,
                                  neural=neural)
    try:
        if show:
            with _RichProgress() as bar:
                summary = runner(inputs, output, progress=bar, **kwargs)
        else:
            summary = runner(inputs, output, **kwargs)
    except KeyboardInterrupt:
        click.echo(f"Interrupted. Committed shards are kept in {output}; rerun with --resume to continue.", err=True)
        raise SystemExit(130) from None
    if not quiet:
        _print_summary(summary)


def _learn_loop(inputs: Any, output: str, **kwargs: Any) -> dict[str, Any]:
    from ..loop import run_learn_loop

    kwargs.pop("mode"), kwargs.pop("profiles"), kwargs.pop("engine"), kwargs.pop("address")
    return run_learn_loop(inputs, output, **kwargs)


def _print_summary(s: dict[str, Any]) -> None:
    lines = [
        f"documents: {s['documents']}  spun: {s['spun']} ({100 * s['share_spun']:.1f}%)  errors: {s['errors']}",
        f"time: {s['seconds_this_run']:.1f} s for {s['documents_this_run']} documents"
        + (f" ({s['docs_per_s_this_run']:.0f} docs/s)" if s["docs_per_s_this_run"] else ""),
    ]
    if s["top_sources"]:  # what flagged the spans: profile:NAME or a lexicon
        lines.append("top sources: " + ", ".join(f"{r} ({n} spans)" for r, n in s["top_sources"][:5]))
    lines.append(f"output: {s['output']}  (summary: _summary.json, errors: _errors.jsonl)")
    if "learn" in s:
        lines.extend(_learn_lines(s["learn"]))
    for line in lines:
        click.echo(line, err=True)


def _learn_lines(learn: dict[str, Any]) -> list[str]:
    lines = [f"learned from {learn['pairs']} traced pairs: "
             + (", ".join(f"{p['name']} ({p['pairs']} pairs, {p['entries']} entries"
                          + (f", {p['from_copies']} of them from the copies" if p.get("from_copies") else "")
                          + f") -> {p['path']}"
                          for p in learn["profiles"]) or "no profile")]
    by_profile = ", ".join(f"{n} {k}" for k, n in sorted(learn["through_profile"].items()))
    lines.append(f"restored through source: {learn['through_source']}; through profile: {by_profile or 0}; "
                 f"detector only: {learn['detector_only']}; unchanged: {learn['unchanged']}")
    return lines
