"""`despin learn` and `despin profile show|merge|match`: thin adapters over despin.learn/profile."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import click

from ..errors import InputError
from ..io.text import iter_jsonl, read_text_file
from ..lexicon import SOURCES
from ._common import encoding_option, refuse_output_over_input, user_errors

if TYPE_CHECKING:
    from ..profile import Anchor
    from ..report import Report

# Report the first few malformed lines one by one, then only count them.
MAX_LINE_MESSAGES = 20


class _LineReporter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, path: str, lineno: int, why: str) -> None:
        self.count += 1
        if self.count <= MAX_LINE_MESSAGES:
            click.echo(f"{path}:{lineno}: skipped: {why}", err=True)

    def finish(self) -> None:
        if self.count > MAX_LINE_MESSAGES:
            click.echo(f"... {self.count - MAX_LINE_MESSAGES} more skipped lines not shown", err=True)


def _pairs(path: str, report: _LineReporter) -> Iterator[tuple[str, str]]:
    for rec in iter_jsonl(path):
        if rec.value is None:
            report(rec.path, rec.lineno, rec.error or "unreadable")
            continue
        o, s = rec.value.get("original"), rec.value.get("spun")
        if not isinstance(o, str) or not isinstance(s, str):
            report(rec.path, rec.lineno, 'needs string fields "original" and "spun"')
            continue
        yield o, s


def _texts(path: str, fields: tuple[str, ...], report: Callable[[str, int, str], None]) -> Iterator[str]:
    for rec in iter_jsonl(path):
        if rec.value is None:
            report(rec.path, rec.lineno, rec.error or "unreadable")
            continue
        text = next((rec.value[f] for f in fields if isinstance(rec.value.get(f), str)), None)
        if text is None:
            report(rec.path, rec.lineno, f"no string field {' or '.join(repr(f) for f in fields)}")
            continue
        yield text


@click.command()
@click.argument("pairs", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Profile file to write (JSONL).")
@click.option("--name", default=None, help="Profile name (default: the output file's stem).")
@click.option("--min-count", default=1, show_default=True, type=click.IntRange(min=1),
              help="Drop (spun, original) entries seen fewer times.")
@click.option("--max-ngram", default=4, show_default=True, type=click.IntRange(1, 8),
              help="Longest phrase (tokens a side) learned as one substitution.")
@click.option("--spun", "spun_path", default=None, type=click.Path(dir_okay=False),
              help="Unpaired learning: JSONL of one spinner's output (field 'text' or 'spun').")
@click.option("--clean", "clean_path", default=None, type=click.Path(dir_okay=False),
              help="Unpaired learning: JSONL of unrelated clean text (field 'text' or 'original').")
@click.option("--resource", "resources", multiple=True, type=click.Choice(list(SOURCES)),
              help="Unpaired learning: lexicon resources for candidate originals (repeat for several) "
                   "[default: all of them; the corpus statistics keep only the originals the spinner "
                   "made disappear].")
@click.option("--anchors/--no-anchors", default=True, show_default=True,
              help="Unpaired learning: check the first --anchor-copies copies and keep, as the profile's "
                   "anchors, the words `check` restores the same way in several of them "
                   "(`despin.learn.corpus_anchors`).")
@click.option("--anchor-copies", default=2000, show_default=True, type=click.IntRange(min=1),
              help="With --anchors: how many copies the first `check` pass reads (about 0.2 s a spun news article).")
@click.option("--from-scan", "from_scan", default=None, type=click.Path(file_okay=False),
              help="Corpus self-learning: a `despin scan` output folder; learn its confident spans.")
@click.option("--min-score", default=0.8, show_default=True, type=click.FloatRange(0, 1),
              help="With --from-scan: spans at least this sure count as evidence.")
@user_errors
def learn(
    pairs: str | None,
    output: str,
    name: str | None,
    min_count: int,
    max_ngram: int,
    spun_path: str | None,
    clean_path: str | None,
    resources: tuple[str, ...],
    anchors: bool,
    anchor_copies: int,
    from_scan: str | None,
    min_score: float,
) -> None:
    """Learn a spinner profile from PAIRS.jsonl ({"id","original","spun"} per line).

    Or, without pairs, from --spun SPUN.jsonl (many documents of one spinner) and --clean
    CLEAN.jsonl (unrelated clean text of the same kind): spun words, and spun phrases of up
    to three words that some lexicon lists, over-represented against the clean text, whose
    lexicon candidates (or the missing word whose clean-text contexts
    are most like theirs) the spinner made disappear and which fit their contexts (trigram
    model and the clean text's word pairs), become entries.

    With --spun (and --clean or not), `check` also reads the first --anchor-copies copies,
    and the words it restores the same way in several of them become the profile's
    anchors: `check --profile` restores their unsure occurrences the same way. --spun
    alone learns the anchors alone (no clean text needed).

    \b
    Or from a first `despin scan` pass over a corpus (--from-scan): substitutions the
    detector was sure of in at least --min-count documents become a corpus profile for a
    second pass (`despin scan --profile`).

    \b
    despin learn pairs.jsonl -o spinner.profile
    despin learn --spun spun.jsonl --clean news.jsonl -o guessed.profile
    despin learn --spun spun.jsonl -o anchors.profile
    despin learn --from-scan pass1/ -o corpus.profile --min-count 2
    """
    if from_scan:
        _learn_from_scan(from_scan, output, name, min_score, max(2, min_count))
        return
    from .. import learn as L
    from ..profile import save

    refuse_output_over_input(output, [pairs, spun_path, clean_path])
    name = name or Path(output).stem
    report = _LineReporter()
    if pairs is not None:
        if spun_path or clean_path:
            raise click.UsageError("give either PAIRS or --spun/--clean, not both")
        profile = L.learn_pairs(_pairs(pairs, report), name=name, max_ngram=max_ngram, min_count=min_count)
        source = pairs
    elif spun_path and clean_path:
        profile = L.learn_unpaired(
            _texts(spun_path, ("text", "spun"), report),
            _texts(clean_path, ("text", "original"), report),
            L.lexicon_candidates(resources or SOURCES),
            name=name,
        )
        if anchors and profile.entries:
            # The copies were read once for the table; malformed lines are reported already.
            profile.anchors, _ = _copies_anchors(spun_path, anchor_copies, lambda *_: None)
            profile.summary["anchors"] = len(profile.anchors)
        source = spun_path
    elif spun_path and not clean_path:
        if not anchors:
            raise click.UsageError("--spun without --clean learns the corpus anchors alone; drop --no-anchors")
        _learn_anchors(spun_path, output, name, anchor_copies, report)
        return
    else:
        raise click.UsageError("give PAIRS.jsonl, or --spun (with --clean for a table too)")
    report.finish()
    s = profile.summary
    if report.count:
        profile.summary["skipped_lines"] = report.count
    if not profile.entries:
        raise InputError(f"{source}: no substitutions learned ({s.get('pairs', 0)} usable pairs); profile not written")
    save(profile, output)
    click.echo(
        f"{output}: {s['entries']} entries from {s.get('pairs', s.get('tokens_spun', 0))} "
        f"{'pairs' if 'pairs' in s else 'spun tokens'}; coverage {s.get('coverage', 0):.1%}, "
        f"applied share {s.get('applied_share', 0):.1%}"
        + (f"; {len(profile.anchors)} anchors" if profile.anchors else "")
        + (f"; {report.count} malformed lines skipped" if report.count else ""),
        err=True,
    )


def _copies_anchors(spun_path: str, copies: int,
                    report: Callable[[str, int, str], None]) -> tuple[dict[str, Anchor], int]:
    """The corpus anchors of the first ``copies`` copies (`despin.learn.corpus_anchors` over
    `check`'s reports of them), and how many copies were read."""
    import itertools

    from .. import learn as L
    from ..core import check

    n = 0

    def reports() -> Iterator[Report]:
        nonlocal n
        for text in itertools.islice(_texts(spun_path, ("text", "spun"), report), copies):
            n += 1
            yield check(text)

    found = L.corpus_anchors(reports())
    return found, n


def _learn_anchors(spun_path: str, output: str, name: str, copies: int, report: _LineReporter) -> None:
    """`despin learn --spun COPIES` without clean text: the corpus anchors alone."""
    from .. import learn as L
    from ..profile import Profile, save

    found, n = _copies_anchors(spun_path, copies, report)
    profile = Profile(name=name, max_ngram=1, entries={}, anchors=found)
    report.finish()
    if not profile.anchors:
        raise InputError(f"{spun_path}: no word was restored the same way in {L.ANCHOR_DOCS}+ of {n} copies; "
                         "profile not written")
    profile.summary = {"method": "anchors", "copies": n, "anchors": len(profile.anchors)}
    save(profile, output)
    click.echo(f"{output}: {len(profile.anchors)} anchors from {n} copies"
               + (f"; {report.count} malformed lines skipped" if report.count else ""), err=True)


def _learn_from_scan(folder: str, output: str, name: str | None, min_score: float, min_count: int) -> None:
    from .. import learn as L
    from ..profile import save

    profile = L.learn_from_spans(L.spans_from_scan(folder), name=name or Path(output).stem,
                                 min_score=min_score, min_count=min_count)
    if not profile.entries:
        raise InputError(f"{folder}: no substitution was confident in {min_count}+ places; profile not written")
    save(profile, output)
    click.echo(f"{output}: {len(profile.entries)} entries from the confident spans of {folder}", err=True)


@click.group()
def profile() -> None:
    """Inspect, combine and match spinner profiles."""


@profile.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=0), help="Entries to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the header and top entries as JSON.")
@user_errors
def show(path: str, top: int, as_json: bool) -> None:
    """Print a profile's summary, coverage and its most frequent entries."""
    from ..profile import load

    p = load(path)
    rows = p.top(top)
    if as_json:
        click.echo(json.dumps({
            "name": p.name,
            "max_ngram": p.max_ngram,
            "summary": p.summary,
            "casing": p.casing,
            "habits": p.habits,
            "anchors": {w: {"restored": a.word, "docs": a.docs, "score": a.score, "share": a.share}
                        for w, a in sorted(p.anchors.items(), key=lambda kv: (-kv[1].docs, kv[0]))[:top]},
            "top": [{"spun": s, "original": o, "count": c, "p": round(pr, 4)} for s, o, c, pr in rows],
        }, ensure_ascii=False, indent=2))
        return
    s = p.summary
    click.echo(f"profile {p.name}: {p.n_entries} entries, max phrase {p.max_ngram} tokens")
    if "pairs" in s:
        click.echo(f"  learned from {s['pairs']} pairs, {s.get('tokens_spun', 0)} spun tokens, "
                   f"{s.get('substituted_share', 0):.1%} substituted")
    elif s.get("method") == "unpaired":
        click.echo(f"  learned without pairs from {s.get('tokens_spun', 0)} spun tokens "
                   f"and {s.get('clean_tokens', 0)} clean tokens")
    elif s.get("method") == "anchors":
        click.echo(f"  corpus anchors alone, from a check of {s.get('copies', 0)} copies (no table)")
    click.echo(f"  coverage {p.coverage:.1%} of training substitutions; applied share {p.applied_share:.1%}")
    click.echo(f"  ambiguous entries {s.get('ambiguous_entries', 0)}; multiword entries {s.get('multiword_entries', 0)}")
    if p.casing.get("capital_kept") or p.casing.get("capital_lowered"):
        click.echo(f"  capitalised originals lowered by the spinner: {p.lowered_share():.1%}")
    if p.casing:
        kept, subs = p.capitals_counts()
        if kept or subs:
            written = ", ".join(f"{w} {n}" for w, n in sorted(subs.items(), key=lambda kv: (-kv[1], kv[0]))[:8])
            click.echo(f"  words in capitals: {kept + sum(subs.values())} seen, {sum(subs.values())} written as "
                       f"substitutes{' (' + written + ')' if written else ''}; "
                       + ("others stay as written" if p.leaves_capitals_alone() else "their entries' rates stand"))
        kept, compounds = p.hyphened_counts()
        if kept or compounds:
            top = ", ".join(f"{c} {n}" for c, n in sorted(compounds.items(), key=lambda kv: (-kv[1], kv[0]))[:5])
            alone = p.unseen_compound_rate() is not None
            click.echo(f"  words in hyphenated compounds: {kept} left, {sum(compounds.values())} compounds written as "
                       f"substitutes{' (' + top + ')' if top else ''}; "
                       + ("other compounds stay as written" if alone else "their entries' rates stand"))
    _show_habits(p.habits)
    if p.anchors:
        most = sorted(p.anchors.items(), key=lambda kv: (-kv[1].docs, kv[0]))[:8]
        click.echo(f"  anchors: {len(p.anchors)} words restored the same way across the corpus ("
                   + ", ".join(f"{w} -> {a.word} in {a.docs} copies" for w, a in most) + ")")
    if rows:
        width = max(len(r[0]) for r in rows)
        click.echo(f"  {'spun'.ljust(width)}  ->  original  (count, P)")
        for spun, orig, count, pr in rows:
            click.echo(f"  {spun.ljust(width)}  ->  {orig}  ({count}, {pr:.2f})")


def _show_habits(h: dict) -> None:  # type: ignore[type-arg]
    """The spinner's habits (`despin.habits`), a few lines."""
    rel = h.get("relations") or {}
    if rel:
        click.echo("  substitutions explained by: "
                   + ", ".join(f"{k} {v:.1%}" for k, v in sorted(rel.items(), key=lambda kv: -kv[1])))
    click.echo(f"  rate {h.get('rate', 0):.1%} of tokens; an unseen word is a substitute {h.get('new_type_substituted', 0):.1%}"
               f"; new mapping {h.get('new_mapping', 0):.1%}, new original {h.get('new_original', 0):.1%}")
    click.echo(f"  {h.get('alternatives_per_original', 0):.2f} substitutes per original; leaves a replaced word "
               f"{h.get('kept_share_of_replaced', 0):.1%} of the time; function words {h.get('function_word_share', 0):.1%}"
               f" of substitutions; inflection kept {h.get('inflection_matched', 0):.1%}")
    lengths = h.get("phrase_lengths") or {}
    if lengths:
        click.echo("  phrase lengths (original>spun words): " + ", ".join(f"{k} {v}" for k, v in list(lengths.items())[:6]))


@profile.command()
@click.argument("profiles", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Merged profile to write.")
@click.option("--name", default=None, help="Name of the merged profile (default: the output file's stem).")
@user_errors
def merge(profiles: tuple[str, ...], output: str, name: str | None) -> None:
    """Add the counts of several profiles of the same spinner: A B ... -o C."""
    from ..profile import load, save
    from ..profile import merge as merge_profiles

    merged = merge_profiles([load(p) for p in profiles], name=name or Path(output).stem)
    save(merged, output)
    click.echo(f"{output}: {merged.n_entries} entries from {len(profiles)} profiles", err=True)


@profile.command()
@click.argument("text_file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--profile", "-p", "profile_paths", multiple=True, required=True, type=click.Path(),
              help="A profile file, or a directory of them; repeat for several.")
@click.option("--json", "as_json", is_flag=True, help="Print the ranking as JSON.")
@encoding_option
@user_errors
def match(text_file: str, profile_paths: tuple[str, ...], as_json: bool, encoding: str | None) -> None:
    """Which known spinner most likely produced TEXT_FILE? Best first, with scores.

    The score is the mean per-token log-likelihood ratio of the text under each
    spinner against plain English; > 0 means "looks like this spinner's output".
    """
    from ..profile import load_many
    from ..profile import match as match_text

    text = read_text_file(text_file, encoding=encoding)
    ranked = match_text(text, load_many(profile_paths))
    if as_json:
        best = ranked[0][0] if ranked and ranked[0][1] > 0 else None
        click.echo(json.dumps({"file": text_file, "best": best,
                               "scores": [{"profile": n, "score": round(s, 6)} for n, s in ranked]}))
        return
    for n, s in ranked:
        click.echo(f"{s:+.4f}\t{n}")
    if ranked and ranked[0][1] <= 0:
        click.echo("no profile matches: every score is <= 0 (not, or not recognisably, their output)", err=True)
