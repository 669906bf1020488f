"""`despin index`, `despin trace`, `despin cluster`: thin adapters over `despin.trace`."""
from __future__ import annotations

import itertools
import json
import sys
from typing import Any, Iterator, TextIO

import click

from ..errors import InputError
from ._common import encoding_option, refuse_output_over_input, user_errors

# Report the first few unusable records one by one, then only count them.
MAX_LINE_MESSAGES = 20

text_field_option = click.option("--text-field", default="text", show_default=True, help="Text field of JSONL/Parquet input.")
id_field_option = click.option("--id-field", default="id", show_default=True, help="Id field of JSONL/Parquet input.")


def _documents(
    sources: tuple[str, ...], text_field: str, id_field: str, encoding: str | None, stats: dict[str, int]
) -> Iterator[tuple[str, str]]:
    """``(id, text)`` from JSONL/Parquet files and directories; bad records are reported and skipped."""
    from ..io.corpus import expand_inputs, iter_records, record_text

    files = expand_inputs(sources, text_field=text_field, id_field=id_field)
    if not files:
        raise InputError(f"{', '.join(sources)}: no .jsonl, .parquet, .txt or .html files found")
    for rec in iter_records(files, text_field=text_field, id_field=id_field, encoding=encoding):
        why = rec.error
        text = None
        if why is None:
            try:
                text = record_text(rec)
            except InputError as e:
                why = str(e)
        if why is not None or text is None:
            stats["skipped"] = stats.get("skipped", 0) + 1
            if stats["skipped"] <= MAX_LINE_MESSAGES:
                click.echo(f"{rec.file}:{rec.line}: skipped: {why}", err=True)
            continue
        stats["read"] = stats.get("read", 0) + 1
        yield (rec.id if rec.id is not None else f"{rec.file}:{rec.line}"), text


# ---------------------------------------------------------------------------- index
@click.group()
def index() -> None:
    """Build, extend and inspect a trace index of source documents.

    \b
    despin index build sources.jsonl -o news.idx
    despin index add news.idx more.jsonl
    despin index info news.idx
    """


@index.command("build")
@click.argument("sources", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Index directory to create.")
@click.option("--force", is_flag=True, help="Replace an existing index at OUTPUT.")
@click.option("--shingles", default="skeleton9+anchor3", show_default=True,
              type=click.Choice(["skeleton9+anchor3", "plain5"]),
              help="skeleton9+anchor3: spinner-proof skeletons and name/number anchors; plain5: word 5-grams (baseline).")
@text_field_option
@id_field_option
@encoding_option
def index_build(sources: tuple[str, ...], output: str, force: bool, shingles: str, text_field: str,
                id_field: str, encoding: str | None) -> None:
    """Index SOURCES (JSONL/Parquet with id and text fields, or directories of text files)."""
    _index_build(sources, output, force, shingles, text_field, id_field, encoding)


@user_errors
def _index_build(sources: tuple[str, ...], output: str, force: bool, shingles: str, text_field: str,
                 id_field: str, encoding: str | None) -> None:
    from ..trace import Index

    stats: dict[str, int] = {}
    docs = _documents(sources, text_field, id_field, encoding, stats)
    # Read up to the first usable document before touching OUTPUT: input with none would
    # otherwise replace an index given with --force by an empty one.
    first = next(docs, None)
    if first is None:
        raise InputError(f"{', '.join(sources)}: no usable documents ({stats.get('skipped', 0)} unusable records "
                         f"skipped); {output} not written")
    docs = itertools.chain([first], docs)
    with Index.build(output, docs, overwrite=force, shingles=shingles) as ix:
        n = len(ix)
    dup = stats.get("read", 0) - n
    click.echo(f"{output}: indexed {n} documents" + (f", {dup} repeated ids skipped" if dup else "")
               + (f", {stats['skipped']} unusable records skipped" if stats.get("skipped") else ""), err=True)


@index.command("add")
@click.argument("index_dir", type=click.Path())
@click.argument("sources", nargs=-1, required=True, type=click.Path())
@text_field_option
@id_field_option
@encoding_option
def index_add(index_dir: str, sources: tuple[str, ...], text_field: str, id_field: str, encoding: str | None) -> None:
    """Add SOURCES to INDEX_DIR; ids already indexed are skipped (adding twice is harmless)."""
    _index_add(index_dir, sources, text_field, id_field, encoding)


@user_errors
def _index_add(index_dir: str, sources: tuple[str, ...], text_field: str, id_field: str, encoding: str | None) -> None:
    from ..trace import Index

    stats: dict[str, int] = {}
    with Index.open(index_dir, writable=True) as ix:
        added, skipped = ix.add(_documents(sources, text_field, id_field, encoding, stats))
        total = len(ix)
    click.echo(f"{index_dir}: added {added}, already present {skipped}, now {total} documents", err=True)


@index.command("info")
@click.argument("index_dir", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def index_info(index_dir: str, as_json: bool) -> None:
    """Documents, size and parameters of INDEX_DIR."""
    _index_info(index_dir, as_json)


@user_errors
def _index_info(index_dir: str, as_json: bool) -> None:
    from ..trace import Index

    with Index.open(index_dir) as ix:
        info = ix.info()
    if as_json:
        click.echo(json.dumps(info))
        return
    for k, v in info.items():
        click.echo(f"{k:20s} {json.dumps(v) if isinstance(v, dict) else v}")


# ---------------------------------------------------------------------------- trace
@click.command()
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--jsonl", "jsonl", default=None, type=click.Path(dir_okay=False, allow_dash=True),
              help="Trace every record of a JSONL file (id and text fields).")
@click.option("--index", "index_dir", required=True, type=click.Path(), help="Index directory (despin index build).")
@click.option("--top", default=3, show_default=True, type=click.IntRange(1, 100), help="Sources to list per input.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input.")
@click.option("--emit-pairs", default=None, type=click.Path(dir_okay=False),
              help='Write {"id","original","spun"} pairs (for learn) for every confident match.')
@text_field_option
@id_field_option
@encoding_option
def trace(files: tuple[str, ...], jsonl: str | None, index_dir: str, top: int, as_json: bool, emit_pairs: str | None,
          text_field: str, id_field: str, encoding: str | None) -> None:
    """Find the source of each spun text in an index and align it word by word.

    \b
    despin trace copy.txt --index news.idx
    despin trace --jsonl crawl.jsonl --index news.idx --json --emit-pairs pairs.jsonl
    """
    _trace(files, jsonl, index_dir, top, as_json, emit_pairs, text_field, id_field, encoding)


def _inputs(files: tuple[str, ...], jsonl: str | None, text_field: str, id_field: str,
            encoding: str | None, stats: dict[str, int]) -> Iterator[tuple[str, str]]:
    from ..io.text import iter_jsonl, read_text_file

    for name in files:
        yield ("<stdin>" if name == "-" else name), read_text_file(name, encoding)
    if jsonl is not None:
        for rec in iter_jsonl(jsonl, encoding=encoding or "utf-8"):
            why = rec.error
            if rec.value is not None and not isinstance(rec.value.get(text_field), str):
                why = f"no string field {text_field!r}"
            if why or rec.value is None:
                stats["skipped"] = stats.get("skipped", 0) + 1
                if stats["skipped"] <= MAX_LINE_MESSAGES:
                    click.echo(f"{rec.path}:{rec.lineno}: skipped: {why}", err=True)
                continue
            rid = rec.value.get(id_field)
            yield (str(rid) if rid is not None else f"{rec.path}:{rec.lineno}"), rec.value[text_field]


@user_errors
def _trace(files: tuple[str, ...], jsonl: str | None, index_dir: str, top: int, as_json: bool,
           emit_pairs: str | None, text_field: str, id_field: str, encoding: str | None) -> None:
    from ..trace import Index, align, source_excerpt
    from ..trace.restore import MIN_SIMILARITY

    if not files and jsonl is None:
        raise click.UsageError("give FILE arguments, '-' for standard input, or --jsonl PATH")
    refuse_output_over_input(emit_pairs, [*files, jsonl])
    stats: dict[str, int] = {}
    pairs: TextIO | None = None
    with Index.open(index_dir) as ix:
        try:
            if emit_pairs is not None:
                pairs = open(emit_pairs, "w", encoding="utf-8")  # noqa: SIM115
            n = found = 0
            for name, text in _inputs(files, jsonl, text_field, id_field, encoding, stats):
                n += 1
                matches = ix.query(text, top=top)
                best = matches[0] if matches and matches[0].similarity >= MIN_SIMILARITY else None
                aligned = align(text, best.source_text) if best else []
                found += best is not None
                if as_json:
                    rec: dict[str, Any] = {
                        "input": name,
                        "source": best.id if best else None,
                        "matches": [m.to_dict() for m in matches],
                        "alignment": [a.to_dict(text, best.source_text) for a in aligned] if best else [],
                    }
                    click.echo(json.dumps(rec, ensure_ascii=False))
                else:
                    _print_text(name, text, matches, best, aligned)
                if pairs is not None and best is not None:
                    original = source_excerpt(text, best.source_text, aligned)
                    pairs.write(json.dumps({"id": name, "original": original, "spun": text, "source_id": best.id},
                                           ensure_ascii=False) + "\n")
        finally:
            if pairs is not None:
                pairs.close()
    click.echo(f"traced {n} inputs: {found} with a confident source"
               + (f", {stats['skipped']} unusable records skipped" if stats.get("skipped") else ""), err=True)


def _print_text(name: str, text: str, matches: list[Any], best: Any, aligned: list[Any]) -> None:
    if best is None:
        click.echo(f"{name}: no confident source" + (f" (best {matches[0].id}, similarity {matches[0].similarity:.2f})" if matches else ""))
        return
    subs = [a for a in aligned if a.op == "replace"]
    click.echo(f"{name}: source {best.id} (similarity {best.similarity:.2f}, {len(subs)} substitutions)")
    for m in matches[1:]:
        click.echo(f"  also {m.id} (similarity {m.similarity:.2f})")
    for a in subs:
        src = best.source_text[a.source_start : a.source_end]
        click.echo(f"  {a.spun_start}-{a.spun_end} {text[a.spun_start:a.spun_end]!r} <- {src!r} ({a.source_start}-{a.source_end})")


# ---------------------------------------------------------------------------- cluster
@click.command()
@click.argument("corpus", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", default="-", show_default=True, type=click.Path(dir_okay=False, allow_dash=True),
              help='JSONL: {"id", "cluster"} per document, in input order.')
@click.option("--min-similarity", default=None, type=click.FloatRange(0.0, 1.0),
              help="Aligned share that verifies a pair (default 0.40).")
@text_field_option
@id_field_option
@encoding_option
def cluster(corpus: tuple[str, ...], output: str, min_similarity: float | None, text_field: str, id_field: str,
            encoding: str | None) -> None:
    """Give spun copies of one source (and the source) one cluster id; verified pairs only.

    \b
    despin cluster crawl.jsonl -o clusters.jsonl
    """
    _cluster(corpus, output, min_similarity, text_field, id_field, encoding)


@user_errors
def _cluster(corpus: tuple[str, ...], output: str, min_similarity: float | None, text_field: str, id_field: str,
             encoding: str | None) -> None:
    from ..trace import cluster as cluster_texts
    from ..trace.cluster import MIN_SIMILARITY

    refuse_output_over_input(output, corpus)
    stats: dict[str, int] = {}
    docs = list(_documents(corpus, text_field, id_field, encoding, stats))
    ids = cluster_texts([t for _, t in docs], min_similarity=MIN_SIMILARITY if min_similarity is None else min_similarity)
    out: TextIO = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
    try:
        for (doc_id, _), c in zip(docs, ids):
            out.write(json.dumps({"id": doc_id, "cluster": c}, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    sizes: dict[int, int] = {}
    for c in ids:
        sizes[c] = sizes.get(c, 0) + 1
    click.echo(f"{len(docs)} documents, {len(sizes)} clusters, {sum(1 for s in sizes.values() if s > 1)} with copies"
               + (f", {stats['skipped']} unusable records skipped" if stats.get("skipped") else ""), err=True)
