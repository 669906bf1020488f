"""`despin spin`: labelled spun text from clean text (a thin adapter over despin.spin)."""
from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click

from ..errors import InputError
from ..io.text import iter_jsonl, read_text_file
from ..lexicon import SOURCES
from ._common import encoding_option, refuse_output_over_input, user_errors

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson")
# Report the first few malformed lines one by one, then only count them.
MAX_LINE_MESSAGES = 20
# Table presets size their table on the first documents so that --rate holds on average.
CALIBRATION_DOCS = 50


def _iter_texts(
    inputs: tuple[str, ...], field: str, encoding: str | None, skipped: list[int]
) -> Iterator[tuple[str, str]]:
    """Yield ``(id, text)`` from text files, directories of ``*.txt`` and JSONL files."""
    for name in inputs:
        path = Path(name)
        if name != "-" and path.is_dir():
            files = sorted(p for p in path.rglob("*.txt") if p.is_file() and not p.name.startswith("."))
            if not files:
                raise InputError(f"{name}: directory has no *.txt files")
            for p in files:
                yield str(p.relative_to(path)), read_text_file(p, encoding)
        elif name.endswith(JSONL_SUFFIXES):
            for rec in iter_jsonl(name):
                why = rec.error
                if rec.value is not None and not isinstance(rec.value.get(field), str):
                    why = f"no string field {field!r}"
                if why:
                    skipped[0] += 1
                    if skipped[0] <= MAX_LINE_MESSAGES:
                        click.echo(f"{rec.path}:{rec.lineno}: skipped: {why}", err=True)
                    continue
                assert rec.value is not None
                doc_id = rec.value.get("id")
                yield (str(doc_id) if doc_id is not None else f"{rec.path}:{rec.lineno}"), rec.value[field]
        else:
            yield ("<stdin>" if name == "-" else name), read_text_file(name, encoding)


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("-o", "--output", default="-", show_default=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="Pairs file to write (JSONL).")
@click.option("--preset", default="table", show_default=True,
              type=click.Choice(["table", "random", "phrase", "damage", "casefold", "dictionary"]),
              help="Spinner style (see docs/eval.md).")
@click.option("--rate", default=0.3, show_default=True, type=click.FloatRange(0.10, 0.60),
              help="Target share of word tokens changed.")
@click.option("--seed", default=0, show_default=True, type=int, help="Same seed, same output.")
@click.option("--resource", default="moby", show_default=True, type=click.Choice(list(SOURCES)),
              help="Thesaurus the simulated spinner draws from; evaluate with a detector built without it.")
@click.option("--field", default="text", show_default=True, help="Text field of JSONL input.")
@click.option("--limit", default=None, type=click.IntRange(min=1), help="Spin at most N documents.")
@encoding_option
@user_errors
def spin(
    inputs: tuple[str, ...],
    output: str,
    preset: str,
    rate: float,
    seed: int,
    resource: str,
    field: str,
    limit: int | None,
    encoding: str | None,
) -> None:
    """Spin clean text into labelled pairs: {"id","original","spun","alignment","spinner"} per line.

    INPUTS are text files, directories (every *.txt inside) or JSONL files with a text
    field. Each alignment entry gives a substitution's char offsets in both texts.

    \b
    despin spin news.jsonl -o pairs.jsonl --preset table --rate 0.3 --resource moby
    despin eval pairs.jsonl --resources wordnet     # cross-resource: honest figures
    despin spin news.jsonl -o pairs.jsonl --preset dictionary --resource wordnet
    """
    from ..spin import Spinner, Thesaurus
    from ..spin_dictionary import DictionarySpinner

    for name in inputs:
        if name != "-" and not Path(name).exists():
            raise InputError(f"{name}: no such file")
    refuse_output_over_input(output, inputs)
    thesaurus = Thesaurus.from_lexicon(resource)
    spinner: Spinner | DictionarySpinner
    if preset == "dictionary":
        spinner = DictionarySpinner(thesaurus, rate=rate, seed=seed)
    else:
        spinner = Spinner(preset, thesaurus, rate=rate, seed=seed)
    skipped = [0]
    empty = n = tokens = changed = 0
    docs = _iter_texts(inputs, field, encoding, skipped)
    head: list[tuple[str, str]] = []
    for doc_id, text in docs:
        if not text.strip():
            empty += 1
            continue
        head.append((doc_id, text))
        if len(head) >= min(CALIBRATION_DOCS, limit or CALIBRATION_DOCS):
            break
    heads = [t for _, t in head]
    spinner = spinner.calibrate(heads) if isinstance(spinner, DictionarySpinner) else spinner.calibrate(heads, rounds=2)
    described = spinner.describe()
    out: TextIO
    out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
    try:
        for doc_id, text in itertools.chain(head, docs):
            if limit is not None and n >= limit:
                break
            if not text.strip():
                empty += 1
                continue
            r = spinner.spin(text)
            record = {"id": doc_id, "original": text, "spun": r.spun, "alignment": r.alignment, "spinner": described}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
            tokens += r.n_tokens
            changed += r.n_changed
    finally:
        if out is not sys.stdout:
            out.close()
    share = changed / tokens if tokens else 0.0
    click.echo(
        f"spun {n} documents with preset={preset} resource={resource} rate={rate:.2f} seed={seed}: "
        f"{share:.1%} of {tokens} tokens changed"
        + (f"; skipped {empty} empty" if empty else "")
        + (f"; skipped {skipped[0]} malformed lines" if skipped[0] else "")
        + (f" -> {output}" if output != "-" else ""),
        err=True,
    )
    other = ",".join(s for s in SOURCES if s != resource)
    click.echo(
        f"note: evaluate with --resources {other} for cross-resource figures; "
        f"a detector using {resource} gives optimistic (same-resource) figures",
        err=True,
    )
