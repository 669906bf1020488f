"""`despin check` and `despin restore`: one document (or a JSONL of them) at a time."""
from __future__ import annotations

import json
import sys
from typing import Any, Sequence

import click

from ..config import Config
from ..io.text import iter_jsonl, read_text_file
from ..report import Report, replaces
from ._common import encoding_option, require_neural_model, user_errors


def _load_profiles(paths: Sequence[str]) -> list[Any]:
    if not paths:
        return []
    from ..profile import load_many

    return list(load_many(paths))


def _open_index(path: str | None) -> Any:
    if not path:
        return None
    from ..trace import Index

    return Index.open(path)


def _config(threshold: float | None, resources: str | None, neural: bool = False) -> Config:
    cfg = Config(neural=neural)
    if neural:
        require_neural_model()
    if threshold is not None:
        cfg = cfg.replace(threshold=threshold)
    if resources:
        cfg = cfg.replace(resources=tuple(r.strip() for r in resources.split(",") if r.strip()))
        from .. import lexicon

        for r in cfg.resources:
            lexicon._check_source(r)
    return cfg


def detector_options(fn: Any) -> Any:
    """Options every verb that runs the detector shares."""
    for opt in reversed(
        [
            click.option("--profile", "profiles", multiple=True, type=click.Path(),
                         help="Spinner profile from `despin learn`, or a directory of them (repeatable)."),
            click.option("--index", "index_dir", type=click.Path(file_okay=False),
                         help="Trace index: restore exactly from a found source document."),
            click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None,
                         help="Span threshold on P(substituted) (default 0.45; higher = fewer, surer spans)."),
            click.option("--resources", default=None, metavar="wordnet,moby,...",
                         help="Lexicons for candidate originals, comma-separated (default: wordnet, moby, "
                              "wordnet-similar, wordnet-derived, mythes-related, function, numbers, abbreviations)."),
            click.option("--neural", is_flag=True,
                         help="Re-rank suggestions of spun text with the neural model (stage 5c; build it once with "
                              "python -m despin.neural_build): restores more, ~2-5 s a spun article."),
        ]
    ):
        fn = opt(fn)
    return fn


def render(report: Report, text: str, color: bool) -> str:
    """Inline view: ``[spun → suggestion]`` for each span, then the verdict."""
    out: list[str] = []
    pos = 0
    unsure = 0
    for s in report.spans:
        out.append(text[pos:s.start])
        # A span `restored` leaves unchanged (its best suggestion is not more likely than
        # the text as written) is shown with a question mark.
        mark = "" if replaces(s) else "?"
        unsure += bool(mark)
        label = f"[{s.text} → {s.best if s.best is not None else ''}{mark}]"
        out.append(click.style(label, fg="red" if not mark else "yellow", bold=True) if color else label)
        pos = s.end
    out.append(text[pos:])
    body = "".join(out)
    verdict = f"verdict: {report.verdict} (score {report.score:.2f}, {len(report.spans)} spans"
    verdict += f", {unsure} left unchanged: ?)" if unsure else ")"
    if report.source:
        verdict += f", source {report.source.get('id')}"
    return body.rstrip("\n") + "\n\n" + (click.style(verdict, bold=True) if color else verdict)


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print the Report JSON.")
@click.option("--jsonl", "jsonl", type=click.Path(dir_okay=False, allow_dash=True),
              help="Read JSON lines; print one Report JSON per input line, same order.")
@click.option("--field", default="text", show_default=True, help="Text field of --jsonl records.")
@detector_options
@encoding_option
@user_errors
def check(files: tuple[str, ...], as_json: bool, jsonl: str | None, field: str, profiles: tuple[str, ...],
          index_dir: str | None, threshold: float | None, resources: str | None, neural: bool,
          encoding: str | None) -> None:
    """Is it spun, where, and what did it say? Reads FILES (standard input when none).

    \b
    Exit codes: 0 ok, 1 input error, 2 usage error.
    """
    from ..core import check as run_check

    cfg = _config(threshold, resources, neural)
    prof = _load_profiles(profiles)
    index = _open_index(index_dir)
    if jsonl:
        if files:
            raise click.UsageError("give either FILES or --jsonl, not both")
        _check_jsonl(jsonl, field, prof, index, cfg)
        return
    color = sys.stdout.isatty() and not as_json
    for name in files or ("-",):
        text = read_text_file(name, encoding)
        report = run_check(text, profile=prof or None, index=index, config=cfg)
        if as_json:
            click.echo(report.to_json())
        else:
            if len(files) > 1:
                click.echo(click.style(f"== {name}", bold=True) if color else f"== {name}")
            click.echo(render(report, text, color))


def _check_jsonl(path: str, field: str, prof: list[Any], index: Any, cfg: Config) -> None:
    from .. import lm
    from ..core import check as run_check

    bad = 0
    for n, rec in enumerate(iter_jsonl(path)):
        lm.load_batch_model_after(n)
        error = rec.error
        if rec.value is not None:
            text = rec.value.get(field)
            if not isinstance(text, str):
                error = f"no string field {field!r}"
            else:
                click.echo(run_check(text, profile=prof or None, index=index, config=cfg).to_json())
                continue
        # Keep one output line per input line so outputs stay aligned with inputs.
        bad += 1
        click.echo(f"{rec.path}:{rec.lineno}: {error}", err=True)
        click.echo(json.dumps({"error": error, "line": rec.lineno}))
    if bad:
        click.echo(f"{bad} line(s) could not be checked; see the messages above", err=True)


@click.command()
@click.argument("file", required=False, default="-", type=click.Path(dir_okay=False, allow_dash=True))
@detector_options
@encoding_option
@user_errors
def restore(file: str, profiles: tuple[str, ...], index_dir: str | None, threshold: float | None,
            resources: str | None, neural: bool, encoding: str | None) -> None:
    """Print the most likely original wording of FILE (standard input when none)."""
    from ..core import check as run_check

    text = read_text_file(file, encoding)
    report = run_check(text, profile=_load_profiles(profiles) or None, index=_open_index(index_dir),
                       config=_config(threshold, resources, neural))
    sys.stdout.write(report.restored)
    if report.restored and not report.restored.endswith("\n"):
        sys.stdout.write("\n")
