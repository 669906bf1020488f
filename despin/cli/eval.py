"""`despin eval`: the quality figures of despin (or a baseline) on a pairs file.

A thin adapter over `despin.evaluate`: reads pairs, builds the checker, prints.
"""
from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click

from .. import lm
from ..errors import InputError
from ..evaluate import (
    DocResult,
    Metrics,
    Pair,
    evaluate_pair,
    peak_rss_mb,
    resource_setting,
    summarize,
    worst,
)
from ..io.text import iter_jsonl, read_text_file
from ..lexicon import DEFAULT_SOURCES, SOURCES
from ..report import Report
from ._common import require_neural_model, user_errors

# Report the first few malformed lines one by one, then only count them.
MAX_LINE_MESSAGES = 20
RESOURCES = DEFAULT_SOURCES  # the checker's default; any of SOURCES may be named


def _default_check() -> Callable[..., Report]:
    """`despin.check`; tests replace this to inject a fake checker."""
    from ..core import check

    return check


class PairReader:
    """Valid pairs of a JSONL file; malformed lines and empty texts are reported and counted."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.malformed = 0
        self.empty = 0
        self.spinner_resources: set[str] = set()

    def _skip(self, lineno: int, why: str) -> None:
        self.malformed += 1
        if self.malformed <= MAX_LINE_MESSAGES:
            click.echo(f"{self.path}:{lineno}: skipped: {why}", err=True)
        elif self.malformed == MAX_LINE_MESSAGES + 1:
            click.echo(f"{self.path}: more malformed lines; only counting them from now on", err=True)

    def __iter__(self) -> Iterator[Pair]:
        for rec in iter_jsonl(self.path):
            if rec.value is None:
                self._skip(rec.lineno, rec.error or "unreadable")
                continue
            orig, spun = rec.value.get("original"), rec.value.get("spun")
            if not isinstance(orig, str) or not isinstance(spun, str):
                self._skip(rec.lineno, 'needs string fields "original" and "spun"')
                continue
            if not orig.strip() or not spun.strip():
                self.empty += 1
                continue
            spinner = rec.value.get("spinner")
            self.spinner_resources.update(_spinner_resources(spinner))
            doc_id = rec.value.get("id")
            yield Pair(str(doc_id) if doc_id is not None else f"line {rec.lineno}", orig, spun, spinner)


def _spinner_resources(spinner: Any) -> set[str]:
    """Which thesaurus a spinner drew from: `despin spin` records it; others may name it."""
    if isinstance(spinner, dict):
        r = spinner.get("resource")
        return {r} if isinstance(r, str) else set()
    if isinstance(spinner, str):  # e.g. "nlpaug-wordnet"
        return {r for r in SOURCES if r in spinner.lower()}
    return set()


def _parse_resources(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    res = tuple(r.strip() for r in value.split(",") if r.strip())
    bad = [r for r in res if r not in SOURCES]
    if not res or bad:
        raise click.BadParameter(f"choose from {', '.join(SOURCES)} (comma-separated), got {value!r}")
    return res


def build_checker(
    baseline: str | None,
    resources: tuple[str, ...],
    profiles: Sequence[str],
    list_path: str | None,
    check: Callable[..., Report] | None = None,
    neural: bool = False,
) -> tuple[str, Callable[[str], Report]]:
    """The checker to evaluate and its display name."""
    if baseline is not None:
        from ..baselines import make_baseline, parse_list

        entries = parse_list(read_text_file(list_path), list_path) if list_path else None
        return baseline, make_baseline(baseline, resources=resources, entries=entries)
    from ..config import Config

    loaded: Any = None
    if profiles:
        from ..profile import load_many

        loaded = load_many(profiles)
    check = check or _default_check()
    config = Config(resources=resources, neural=neural)
    done = itertools.count()

    def checker(text: str) -> Report:
        lm.load_batch_model_after(next(done))  # the baselines do not use it
        return check(text, profile=loaded, config=config)

    return "despin", checker


def run_eval(
    path: str,
    checker: Callable[[str], Report],
    *,
    name: str,
    resources: tuple[str, ...],
    limit: int | None = None,
) -> tuple[Metrics, list[DocResult]]:
    """Evaluate ``checker`` on the pairs in ``path``; the CLI and benchmarks/quality.py share this."""
    reader = PairReader(path)
    docs: list[DocResult] = []
    t0 = time.perf_counter()
    for pair in reader:
        if limit is not None and len(docs) >= limit:
            break
        docs.append(evaluate_pair(pair, checker))
    wall = time.perf_counter() - t0
    metrics = summarize(
        docs,
        checker=name,
        resources=",".join(resources),
        setting=resource_setting(reader.spinner_resources, resources),
        skipped_malformed=reader.malformed,
        skipped_empty=reader.empty,
        seconds=wall,
        peak_rss_mb=peak_rss_mb(),
    )
    return metrics, docs


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def format_metrics(path: str, m: Metrics) -> str:
    d = m.to_dict()
    skipped = []
    if d["skipped_malformed"]:
        skipped.append(f"{d['skipped_malformed']} malformed")
    if d["skipped_empty"]:
        skipped.append(f"{d['skipped_empty']} empty")
    setting = d["setting"]
    note = {
        "same-resource (optimistic)": " - the spinner used a thesaurus the checker also uses: figures are optimistic",
        "cross-resource": " - the spinner's thesaurus is not one the checker uses",
        "external spinner": "",
    }.get(setting, "")
    lines = [
        f"{d['checker']} on {path}: {d['n']} pairs" + (f" (skipped: {', '.join(skipped)})" if skipped else ""),
        f"setting       {setting}, checker resources {d['resources']}{note}",
        f"detection     AUC {_num(d['auc'])}   TPR at FPR<=1% {_num(d['tpr_at_fpr1'])}",
        f"localisation  P {_num(d['loc_p'])}   R {_num(d['loc_r'])}   F1 {_num(d['loc_f1'])}",
        f"restoration   WER {_pct(d['wer_before'])} -> {_pct(d['wer_after'])} "
        f"(reduction {_pct(d['wer_reduction'])})   false change {_pct(d['false_change'])}",
        f"speed         {d['docs_per_s']:.1f} texts/s (2 per pair)   peak RSS {d['peak_rss_mb']:.0f} MiB",
    ]
    return "\n".join(lines)


def format_worst(docs: Sequence[DocResult], n: int, max_items: int = 12) -> str:
    lines = [f"worst {min(n, len(docs))} documents by residual word errors after restoration:"]
    for d in worst(docs, n):
        lines.append(
            f"- {d.id}: {d.edits_after} residual errors of {d.n_orig} words "
            f"(before {d.edits_before}); spans: {d.tp} right, {d.fp} false, {d.fn} gold tokens missed"
        )
        for s in d.spans[:max_items]:
            lines.append(f"    flagged {s.text!r} -> {s.best!r} ({s.score:.2f}{', ' + s.reason if s.reason else ''})")
        if len(d.spans) > max_items:
            lines.append(f"    ... {len(d.spans) - max_items} more spans")
        for spun, orig in d.missed[:max_items]:
            lines.append(f"    missed  {spun!r} (original {orig!r})")
        if len(d.missed) > max_items:
            lines.append(f"    ... {len(d.missed) - max_items} more missed")
    return "\n".join(lines)


@click.command(name="eval")
@click.argument("pairs", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--profile", "profiles", multiple=True, type=click.Path(dir_okay=False),
              help="Spinner profile(s) for despin.check (repeatable).")
@click.option("--resources", default=None,
              help=f"Lexicon resources of the checker, comma-separated (default: {','.join(DEFAULT_SOURCES)}). "
              "Use one the spinner did not use for honest, cross-resource figures.")
@click.option("--baseline", default=None, type=click.Choice(["known-list", "thesaurus-unigram"]),
              help="Evaluate a baseline instead of despin.")
@click.option("--list", "list_path", default=None, type=click.Path(dir_okay=False),
              help="known-list baseline: substitution list, spun<TAB>original per line.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--worst", "n_worst", default=0, type=click.IntRange(min=0),
              help="List the N documents with the most residual errors, with their spans.")
@click.option("--limit", default=None, type=click.IntRange(min=1), help="Evaluate the first N valid pairs only.")
@click.option("--neural", is_flag=True, help="despin with stage 5c, the neural model (python -m despin.neural_build).")
@user_errors
def eval_(
    pairs: str,
    profiles: tuple[str, ...],
    resources: str | None,
    baseline: str | None,
    list_path: str | None,
    as_json: bool,
    n_worst: int,
    limit: int | None,
    neural: bool,
) -> None:
    """Measure detection, localisation, restoration and speed on PAIRS.jsonl.

    Each line: {"id", "original", "spun"}. Definitions: docs/eval.md.

    \b
    despin eval pairs.jsonl --resources wordnet --json
    despin eval pairs.jsonl --baseline thesaurus-unigram
    despin eval pairs.jsonl --baseline known-list --list known.tsv --worst 5
    """
    res = _parse_resources(resources) or RESOURCES
    if baseline == "known-list" and not list_path:
        raise click.UsageError("--baseline known-list needs --list FILE")
    if list_path and baseline != "known-list":
        raise click.UsageError("--list is for --baseline known-list")
    if pairs != "-":
        import os

        if not os.path.exists(pairs):
            raise InputError(f"{pairs}: no such file")
    if neural:
        require_neural_model()
    name, checker = build_checker(baseline, res, profiles, list_path, neural=neural)
    if neural:
        name = "despin --neural"
    metrics, docs = run_eval(pairs, checker, name=name, resources=res, limit=limit)
    if metrics.n == 0:
        # Zero pairs would print zeros that read like a measurement.
        d = metrics.to_dict()
        raise InputError(f"{pairs}: no usable pairs (each line needs non-empty string fields \"original\" and "
                         f"\"spun\"; skipped: {d['skipped_malformed']} malformed, {d['skipped_empty']} empty)")
    if as_json:
        click.echo(json.dumps(metrics.to_dict()))
    else:
        click.echo(format_metrics(pairs, metrics))
    if n_worst:
        click.echo(format_worst(docs, n_worst), err=as_json)
