"""`despin papers`: screen scientific papers for tortured phrases."""
from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ..errors import DataError, InputError
from ..papers.beyond import MARGIN as DEFAULT_MARGIN
from ._common import encoding_option, refuse_output_over_input, user_errors

FORMATS = ("html", "csv", "parquet", "json")


@click.command("papers")
@click.argument("inputs", nargs=-1, metavar="FILES_OR_DIR...")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Report file to write (.html, .csv, .json, .parquet).")
@click.option(
    "--list", "lists", multiple=True, type=click.Path(dir_okay=False),
    help="Tortured-phrase list to add to the default one: TSV 'tortured<TAB>correct' or screener "
    "fingerprints ('\"a b\" AND NOT \"c\"<TAB>expected'). Repeatable.",
)
@click.option("--default-list/--no-default-list", default=True, show_default=True,
              help="Screen with the bundled list (half of the Problematic Paper Screener's) and your "
              "--update-list updates.")
@click.option("--update-list", "update_file", type=click.Path(dir_okay=False),
              help="Merge a newer list you downloaded into your updates (see --lists-dir), then screen "
              "FILES if any are given.")
@click.option("--lists-dir", type=click.Path(file_okay=False), envvar="DESPIN_LISTS_DIR", default=None,
              help="Where --update-list keeps updates [default: $XDG_DATA_HOME/despin, "
              "~/.local/share/despin; env DESPIN_LISTS_DIR].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Report format (default: from the output file's suffix, else csv).")
@click.option("--beyond/--no-beyond", default=True, show_default=True,
              help="Also look for tortured phrases no list contains (slower).")
@click.option("--beyond-margin", type=float, default=None,
              help="Log-odds by which a proposed term must read likelier than an unlisted phrase "
              "for it to be flagged [default: %.1f, set on clean sentences; lower finds more, "
              "with more false alarms]." % DEFAULT_MARGIN)
@click.option("--terms", "terms_files", multiple=True, type=click.Path(dir_okay=False),
              help="Known correct terms of your field, one per line: strengthens --beyond. Repeatable.")
@click.option("--corpus", "corpus_dirs", multiple=True, type=click.Path(file_okay=True),
              help="Clean papers of your field (.txt/.html/.pdf): frequent word pairs become known terms.")
@click.option("--threshold", type=click.FloatRange(min=0.01), default=2.0, show_default=True,
              help="Evidence (distinct listed phrases; unlisted count half their confidence) "
              "at which a paper is 'suspect'.")
@click.option("--quiet", is_flag=True, help="No terminal summary.")
@encoding_option
@user_errors
def papers(
    inputs: Sequence[str],
    output: str | None,
    lists: Sequence[str],
    default_list: bool,
    update_file: str | None,
    lists_dir: str | None,
    fmt: str | None,
    beyond: bool,
    beyond_margin: float | None,
    terms_files: Sequence[str],
    corpus_dirs: Sequence[str],
    threshold: float,
    quiet: bool,
    encoding: str | None,
) -> None:
    """Screen papers (PDF, HTML, text) for tortured phrases.

    \b
    despin ships half of the Problematic Paper Screener's tortured-phrase list
    (Cabanac, Labbé & Magazinov, https://dbrech.irit.fr/pls/apex/f?p=9999:5, CC BY 4.0)
    and screens with it by default; --list adds your own lists, --update-list merges a
    newer list you downloaded. Examples:
      despin papers paper.pdf -o report.html
      despin papers papers/ -o report.csv --list ours.tsv
      despin papers --update-list tortured-2027.tsv
    """
    from ..papers.extract import iter_papers
    from ..papers.lists import load_lists, pairs
    from ..papers.matcher import ListMatcher
    from ..papers.screen import screen_file

    if update_file:
        from ..papers.bundled import update_list

        summary = update_list(update_file, lists_dir)
        if not quiet:
            click.echo(str(summary))
        if not inputs:
            return
    if not inputs:
        raise click.UsageError("missing FILES_OR_DIR: the papers to screen (or --update-list FILE)")
    if not output:
        raise click.UsageError("missing -o/--output: the report file to write")
    refuse_output_over_input(output, [*inputs, *lists])
    if not lists and not beyond and not default_list:
        raise click.UsageError("nothing to look for: pass --list FILE, or leave --beyond or the default list on")
    fmt = fmt or _format_from_suffix(output)
    fingerprints = load_lists(lists)
    used_lists = list(lists)
    if default_list:
        from ..papers.bundled import BUNDLED_NAME, default_list as load_default, lists_dir as where

        fingerprints = load_default(lists_dir) + fingerprints
        used_lists.insert(0, BUNDLED_NAME + ("" if not (where(lists_dir) / "tortured-updates.tsv").exists()
                                             else f" + {where(lists_dir) / 'tortured-updates.tsv'}"))
    matcher = ListMatcher(fingerprints) if fingerprints else None
    finder = None
    if beyond:
        from ..papers.beyond import BeyondDetector, load_corpus_terms, load_terms

        extra_terms: list[str] = []
        for f in terms_files:
            extra_terms.extend(load_terms(f))
        if corpus_dirs:
            extra_terms.extend(load_corpus_terms(corpus_dirs))
        kwargs = {} if beyond_margin is None else {"margin": beyond_margin}
        finder = BeyondDetector.build(known_pairs=pairs(fingerprints), terms=extra_terms, **kwargs)  # type: ignore[arg-type]
    files = list(iter_papers(inputs))
    if not files:
        raise InputError("no PDF, HTML or text files found in " + ", ".join(inputs))
    results = []
    with _progress(len(files), quiet) as advance:
        for paper in files:
            results.append(screen_file(paper, matcher, beyond=finder, threshold=threshold, encoding=encoding))
            advance()
    margin = finder.margin if finder is not None else None
    _write(results, output, fmt, used_lists, threshold, default_list, margin)
    if not quiet:
        _summary(results, output)
        if default_list:
            from ..papers.bundled import ATTRIBUTION

            click.echo(ATTRIBUTION)


def _format_from_suffix(output: str) -> str:
    suffix = Path(output).suffix.lower().lstrip(".")
    return {"csv": "csv", "parquet": "parquet", "pq": "parquet", "json": "json", "html": "html",
            "htm": "html"}.get(suffix, "csv")


class _progress:
    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.quiet = total, quiet

    def __enter__(self):  # type: ignore[no-untyped-def]
        if self.quiet or self.total < 5:
            return lambda: None
        from rich.progress import Progress

        self._p = Progress(transient=True)
        self._p.__enter__()
        task = self._p.add_task("screening", total=self.total)
        return lambda: self._p.advance(task)

    def __exit__(self, *exc: object) -> None:
        if hasattr(self, "_p"):
            self._p.__exit__(*exc)


def _write(  # type: ignore[no-untyped-def]
    results: list, output: str, fmt: str, lists: Sequence[str], threshold: float,  # type: ignore[type-arg]
    bundled: bool, margin: float | None,
) -> None:
    from ..papers.bundled import ATTRIBUTION

    attribution = ATTRIBUTION if bundled else None
    try:
        if fmt == "html":
            from ..papers.html import render_report

            Path(output).write_text(render_report(results, lists=lists, threshold=threshold, margin=margin,
                                                  attribution=attribution), encoding="utf-8")
        elif fmt == "json":
            doc = {"threshold": threshold, "beyond_margin": margin, "lists": list(lists),
                   "attribution": attribution, "papers": [r.to_dict() for r in results]}
            Path(output).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        elif fmt == "csv":
            rows = [r.to_row() | ({"attribution": attribution} if attribution else {}) for r in results]
            with open(output, "w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                w.writeheader()
                w.writerows(rows)
        else:
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError:
                raise DataError("Parquet output needs the 'scan' extra: pip install 'despin[scan]'") from None
            schema = _parquet_schema(pa)
            if attribution:
                schema = schema.with_metadata({"attribution": attribution})
            pq.write_table(pa.Table.from_pylist([r.to_dict() for r in results], schema=schema), output)
    except OSError as e:
        raise InputError(f"{output}: cannot write ({e.strerror})") from None


def _parquet_schema(pa: Any) -> Any:
    finding = pa.struct([
        ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()), ("kind", pa.string()),
        ("phrase", pa.string()), ("expected", pa.list_(pa.string())), ("score", pa.float64()),
        ("source", pa.string()), ("context", pa.string()),
        ("substitutions", pa.list_(pa.struct([("observed", pa.string()), ("original", pa.string()),
                                              ("kind", pa.string()), ("detail", pa.string())]))),
        ("evidence", pa.list_(pa.string())), ("log_odds", pa.float64()),
    ])
    return pa.schema([
        ("path", pa.string()), ("verdict", pa.string()), ("score", pa.float64()), ("chars", pa.int64()),
        ("n_listed", pa.int64()), ("n_unlisted", pa.int64()), ("distinct_listed", pa.int64()),
        ("distinct_unlisted", pa.int64()), ("findings", pa.list_(finding)), ("error", pa.string()),
    ])


def _summary(results: list, output: str) -> None:  # type: ignore[type-arg]
    from rich.console import Console
    from rich.table import Table

    colour = {"suspect": "red", "review": "yellow", "clean": "green", "error": "magenta"}
    table = Table(title="Tortured-phrase screening", show_lines=False)
    for col in ("paper", "verdict", "score", "listed", "unlisted", "phrases / error"):
        table.add_column(col, overflow="fold")
    for r in results:
        row = r.to_row()
        detail = r.error or "; ".join(p for p in (row["listed"], row["unlisted"]) if p)
        table.add_row(
            r.path, f"[{colour[r.verdict]}]{r.verdict}[/]", f"{r.score:.2f}",
            str(r.distinct_listed), str(r.distinct_unlisted), detail[:300],
        )
    console = Console()
    console.print(table)
    counts = {v: sum(r.verdict == v for r in results) for v in colour}
    console.print(
        f"{len(results)} papers: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n) + f" -> {output}"
    )
