"""Trace, learn, restore: one run over a corpus of spun copies (`despin scan --learn`).

A publisher finds copies of its articles spun by a content farm. Some copies can be
traced to the archive, most cannot. `run_learn_loop`:

1. **traces** every record against the archive's trace index; each copy with a confident
   source (`despin.trace.restore.MIN_SIMILARITY`) gives an (original, spun) pair, the
   original being the part of the source the copy covers (`source_excerpt`);
2. **learns** spinner profiles from those pairs: one per spinner, the pairs grouped with
   profile match when several spinners are mixed (`cluster_pairs`); a single spinner's
   table is completed from the copies themselves (`complete_from_corpus`);
3. **restores** every record with `despin.scan.run_scan` in restore mode with the index
   and the learned profiles: through its source where one was found, through the
   best-matching profile (and the detector) elsewhere.

The pairs and profiles are written to a folder next to the output, ``OUT.learn/``
(``pairs.jsonl``, ``spinner-N.profile``, ``learned.json``), for reuse with
`despin check --profile` or `despin scan --profile`. Resumable: a run killed while
tracing starts tracing again (nothing was committed yet); once ``learned.json`` exists a
``--resume`` run reuses the profiles and the restore scan resumes its committed shards.

Pure apart from the files named above; the per-record work is `despin.scan`'s.
"""
from __future__ import annotations

import itertools
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from .errors import InputError
from .io.corpus import expand_inputs, iter_records, read_rows, record_text, write_text_atomic

if TYPE_CHECKING:
    from .profile import Profile

LEARN_SUFFIX = ".learn"
LEARNED = "learned.json"
LEARNED_VERSION = 1
# A spinner needs a few pairs before its profile means anything; smaller groups join
# the group their pairs match best (10 pairs already restore ~37% of a table spinner's
# WER, docs/learn.md). Measured: 100 copies of one real spinner left 96 + 4 after seeding
# and merging; WP 60 + ProThemes 40 + a simulator 40 gave 57 / 40 / 36 and a group of 7.
MIN_CLUSTER_PAIRS = 10
# A pair starts a new spinner group when its spun text scores at most this under every
# existing group's profile (mean per-token log-likelihood ratio, `despin.profile.match_score`).
# Copies from the spinner a profile was learned from score > 0 (the gate restoration
# uses); another spinner's output scores <= 0 because it holds words this one always
# replaces, and leaves out this one's substitutes.
NEW_GROUP_SCORE = 0.0
# Two groups are one spinner when each one's profile scores the other's copies above this
# (median). Measured on real-engines-dev with profiles of 10+ pairs: one spinner split in
# two scored -0.003 / +0.016; WP against ProThemes (one dictionary family, other engines)
# -0.061 / -0.002; a simulator against either below -0.07.
MERGE_SCORE = -0.02
# Passes re-assigning every pair to its best-matching group profile after seeding.
REFINE_PASSES = 2
# With one spinner, its table is completed from the copies themselves: `despin.learn.
# learn_unpaired` over every copy (at most CORPUS_COPIES) against the archive's texts (at
# most CORPUS_CLEAN) as clean text; its entries for spun words the pairs never showed, as
# a substitute or left alone, join the profile (`complete_from_corpus`). Fewer copies than
# CORPUS_MIN_COPIES: the corpus says too little.
CORPUS_COPIES = 20_000
CORPUS_CLEAN = 5_000
CORPUS_MIN_COPIES = 100


def learn_dir(output: str | os.PathLike[str]) -> Path:
    """Where the loop keeps its pairs and profiles: a sibling of the output folder."""
    out = Path(output)
    return out.with_name(out.name + LEARN_SUFFIX)


# ------------------------------------------------------------------------------- trace
def trace_pairs(files: Sequence[Any], index: Any, *, text_field: str = "text", id_field: str = "id",
                encoding: str | None = None) -> list[dict[str, Any]]:
    """(original, spun) pairs for the records ``index`` holds a confident source of.

    Each pair: ``seq`` (record number in input order), ``id``, ``source_id``,
    ``similarity``, ``original`` (the part of the source the copy covers), ``spun``.
    """
    from .trace import align, source_excerpt
    from .trace.restore import MIN_SIMILARITY

    pairs: list[dict[str, Any]] = []
    for seq, rec, text in _record_texts(files, text_field=text_field, id_field=id_field, encoding=encoding):
        matches = index.query(text, top=1)
        if not matches or matches[0].similarity < MIN_SIMILARITY:
            continue
        best = matches[0]
        original = source_excerpt(text, best.source_text, align(text, best.source_text))
        pairs.append({"seq": seq, "id": rec.id, "source_id": best.id, "similarity": round(best.similarity, 4),
                      "original": original, "spun": text})
    return pairs


def _record_texts(files: Sequence[Any], *, text_field: str, id_field: str,
                  encoding: str | None) -> Iterator[tuple[int, Any, str]]:
    """(record number in input order, record, text) of every readable, non-empty record."""
    for seq, rec in enumerate(iter_records(files, text_field=text_field, id_field=id_field, encoding=encoding)):
        if rec.error is not None:
            continue
        try:
            text = record_text(rec)
        except Exception:  # an unreadable record is the scan's to report
            continue
        if text.strip():
            yield seq, rec, text


# ------------------------------------------------------------------------------- learn
def _median(xs: Sequence[float]) -> float:
    import statistics

    return statistics.median(xs) if xs else 0.0


def cluster_pairs(pairs: Sequence[tuple[str, str]], *, min_pairs: int = MIN_CLUSTER_PAIRS) -> list[list[int]]:
    """Group (original, spun) pairs by spinner with profile match; lists of pair indices.

    Seeding: each pair in turn joins the group whose profile (learned from the group so
    far) gives its spun text the best `match_score`, or starts a new group when every
    score is <= ``NEW_GROUP_SCORE``. Then ``REFINE_PASSES`` passes move every pair to the
    best-matching group profile, and groups smaller than ``min_pairs`` join the group
    their pairs match best. One spinner gives one group.

    >>> cluster_pairs([("a big dog", "a sizable dog")] * 4)
    [[0, 1, 2, 3]]
    """
    from .learn import learn_pairs
    from .profile import match_score
    from .tokenize import tokenize

    n = len(pairs)
    if n < 2 * min_pairs:
        return [list(range(n))] if n else []
    spun_tokens = [[t.text for t in tokenize(s)] for _, s in pairs]
    groups: list[list[int]] = []
    profiles: list[Any] = []
    learned_at: list[int] = []

    def relearn(g: int) -> None:
        profiles[g] = learn_pairs((pairs[i] for i in groups[g]), name=f"g{g}")
        learned_at[g] = len(groups[g])

    for i in range(n):
        scores = [match_score(p, spun_tokens[i]) for p in profiles]
        best = max(range(len(scores)), key=scores.__getitem__) if scores else -1
        if best < 0 or scores[best] <= NEW_GROUP_SCORE:
            groups.append([i])
            profiles.append(None)
            learned_at.append(0)
            relearn(len(groups) - 1)
            continue
        groups[best].append(i)
        if len(groups[best]) >= 2 * learned_at[best]:  # relearn when the group doubled
            relearn(best)
    def merge_same_spinner() -> None:
        # Seeding splits one spinner when a copy scores <= 0 under a profile of a few
        # pairs; two groups whose profiles each score the other's copies > 0 (median) are
        # one spinner. Two spinners with one dictionary family do not: the one that
        # replaces a word every time scores the other's copies, which keep it, below 0.
        nonlocal groups, profiles, learned_at
        while len(groups) > 1:
            for g in range(len(groups)):
                if learned_at[g] != len(groups[g]):
                    relearn(g)
            best_pair, best_score = None, MERGE_SCORE
            for a in range(len(groups)):
                for b in range(a + 1, len(groups)):
                    ab = _median([match_score(profiles[a], spun_tokens[i]) for i in groups[b]])
                    ba = _median([match_score(profiles[b], spun_tokens[i]) for i in groups[a]])
                    if min(ab, ba) > best_score:
                        best_pair, best_score = (a, b), min(ab, ba)
            if best_pair is None:
                return
            a, b = best_pair
            groups[a] = sorted(groups[a] + groups[b])
            del groups[b], profiles[b], learned_at[b]

    merge_same_spinner()
    for _ in range(REFINE_PASSES):
        for g in range(len(groups)):
            relearn(g)
        assign = [max(range(len(groups)), key=lambda g: match_score(profiles[g], spun_tokens[i])) for i in range(n)]
        new = [[i for i in range(n) if assign[i] == g] for g in range(len(groups))]
        keep = [g for g in range(len(groups)) if new[g]]
        groups, profiles = [new[g] for g in keep], [profiles[g] for g in keep]
        learned_at = [0] * len(groups)
    merge_same_spinner()
    # Too small to stand alone: join the best-matching big group.
    big = [g for g in range(len(groups)) if len(groups[g]) >= min_pairs]
    if not big:
        return [list(range(n))]
    for g in range(len(groups)):
        relearn(g)
    out = {g: list(groups[g]) for g in big}
    for g in range(len(groups)):
        if g in out:
            continue
        for i in groups[g]:
            target = max(big, key=lambda b: match_score(profiles[b], spun_tokens[i]))
            out[target].append(i)
    return [sorted(v) for v in sorted(out.values(), key=lambda v: (-len(v), v[0]))]


def learn_profiles(pairs: Sequence[dict[str, Any]], folder: Path, *, min_pairs: int = MIN_CLUSTER_PAIRS,
                   copies: Sequence[str] = (), clean: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Learn one profile per spinner group and save them in ``folder``; their descriptions.

    With one group, ``copies`` (every spun record) and ``clean`` (the archive's texts)
    complete its table (`complete_from_corpus`); with several, the copies are a mixture of
    spinners and are not used.
    """
    from .learn import learn_pairs
    from .profile import save

    texts = [(p["original"], p["spun"]) for p in pairs]
    out: list[dict[str, Any]] = []
    groups = cluster_pairs(texts, min_pairs=min_pairs)
    for k, members in enumerate(groups, 1):
        name = f"spinner-{k}"
        profile = learn_pairs((texts[i] for i in members), name=name)
        if not profile.entries:
            continue
        added = 0
        if len(groups) == 1:
            profile, added = complete_from_corpus(profile, copies, clean)
        path = folder / f"{name}.profile"
        save(profile, path)
        out.append({"name": name, "path": str(path), "pairs": len(members), "entries": profile.n_entries,
                    "from_copies": added, "rate": round(profile.spin_rate, 4),
                    "coverage": round(profile.coverage, 4),
                    "sources": sorted({pairs[i]["source_id"] for i in members})[:5]})
    return out


def complete_from_corpus(profile: Profile, copies: Sequence[str], clean: Sequence[str]) -> tuple[Profile, int]:
    """``profile`` with what the copies themselves say of spun words its pairs never showed,
    and the number of entries that added.

    A new copy holds substitutions the pairs never showed (Aiksaurus-based engines pick
    among ~3 substitutes per head, per article). `despin.learn.learn_unpaired` finds, from
    the copies and clean text of the same kind alone, word types over-represented against
    the clean text whose candidates are missing; `despin.profile.with_fallback` takes its
    entries for spun words the pairs saw neither replaced nor left alone (the pairs know
    better wherever they saw the word). The profile is then read as any pair profile: its
    context posterior decides each occurrence. 100 WP pairs, 300 copies, documents
    100-149: `check --profile` 61.1 -> 62.0% (false change 0.263 -> 0.256%); docs/learn.md.
    """
    if len(copies) < CORPUS_MIN_COPIES or not clean:
        return profile, 0
    from .learn import UnpairedSettings, learn_unpaired, lexicon_candidates
    from .lexicon import SOURCES
    from .profile import with_fallback

    # The settings this completion was measured with (twenty-ninth session), not the no-pairs
    # learner's newer defaults: its spun phrases added nothing behind 100 WP pairs (the pairs
    # hold the frequent ones) and cost ProThemes 0.5 points (the loop's 200 untraced copies,
    # 48.6 -> 48.1 %), and its context bar of 2.5 nats cost WP 0.2 (60.1 -> 59.9 %;
    # ProThemes 48.6 -> 48.7 %; docs/learn.md, thirty-second session).
    guessed = learn_unpaired(copies, clean, lexicon_candidates(SOURCES), name=f"{profile.name}-copies",
                             settings=UnpairedSettings(phrase_words=1, min_gain=1.5))
    completed = with_fallback(profile, guessed, name=profile.name)
    return completed, len(completed.entries) - len(profile.entries)


def corpus_texts(files: Sequence[Any], *, text_field: str, id_field: str, encoding: str | None,
                 limit: int) -> list[str]:
    """The first ``limit`` readable, non-empty texts of ``files``."""
    texts = _record_texts(files, text_field=text_field, id_field=id_field, encoding=encoding)
    return [text for _, _, text in itertools.islice(texts, limit)]


# -------------------------------------------------------------------------------- loop
def run_learn_loop(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    index: str,
    fmt: str = "parquet",
    text_field: str = "text",
    id_field: str = "id",
    encoding: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    min_pairs: int = MIN_CLUSTER_PAIRS,
    **scan_options: Any,
) -> dict[str, Any]:
    """Trace every record, learn profiles from the pairs found, restore every record.

    Returns the scan summary (also in ``OUT/_summary.json``) with a ``learn`` block: the
    profiles learned (name, path, pairs, entries) and what restored the records —
    ``through_source`` (traced), ``through_profile`` (a profile span, by profile name)
    and ``detector_only``.
    """
    from .scan import run_scan

    folder = learn_dir(output)
    marker = folder / LEARNED
    files = expand_inputs(inputs, text_field=text_field, id_field=id_field, exclude=output)
    learned: dict[str, Any] | None = None
    if folder.exists():
        if resume and marker.exists():
            learned = json.loads(marker.read_text(encoding="utf-8"))
            if learned.get("version") != LEARNED_VERSION or learned.get("index") != os.path.abspath(index):
                raise InputError(f"{folder}: learned from another index or by another despin; "
                                 "rerun with --overwrite")
        elif overwrite or resume:
            shutil.rmtree(folder)  # an unfinished trace pass is simply redone
        else:
            raise InputError(f"{folder}: exists; pass --resume to continue that run or --overwrite")
    if learned is None:
        if not resume and not overwrite and Path(output).exists() and any(Path(output).iterdir()):
            raise InputError(f"{output}: not empty; pass --resume to continue that scan or --overwrite")
        from .trace.index import Index

        with Index.open(index) as ix:
            pairs = trace_pairs(files, ix, text_field=text_field, id_field=id_field, encoding=encoding)
            clean: list[str] = []
            if pairs:
                for doc_id in ix.ids():
                    if len(clean) >= CORPUS_CLEAN:
                        break
                    doc = ix.get(doc_id)
                    if doc:
                        clean.append(doc)
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(folder / "pairs.jsonl",
                          "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs))
        copies = corpus_texts(files, text_field=text_field, id_field=id_field, encoding=encoding,
                              limit=CORPUS_COPIES) if pairs else []
        profiles = learn_profiles(pairs, folder, min_pairs=min_pairs, copies=copies, clean=clean)
        learned = {"version": LEARNED_VERSION, "index": os.path.abspath(index), "pairs": len(pairs),
                   "traced": [p["seq"] for p in pairs], "profiles": profiles}
        write_text_atomic(marker, json.dumps(learned, indent=1) + "\n")
    summary = run_scan(inputs, output, mode="restore", fmt=fmt, text_field=text_field, id_field=id_field,
                       profiles=[p["path"] for p in learned["profiles"]], index=index, encoding=encoding,
                       resume=resume, overwrite=overwrite and not resume, **scan_options)
    summary["learn"] = {
        "folder": str(folder),
        "pairs": learned["pairs"],
        "profiles": learned["profiles"],
        **_coverage(Path(output)),
    }
    write_text_atomic(Path(output) / "_summary.json", json.dumps(summary, indent=1) + "\n")
    return summary


def _coverage(output: Path) -> dict[str, Any]:
    """What restored each record: its source, a profile (by name), or the detector alone."""
    through_source = detector_only = unchanged = 0
    by_profile: dict[str, int] = {}
    for part in sorted(output.glob("part-*")):
        for row in read_rows(part):
            if row.get("error") is not None:
                continue
            reasons = [str(s.get("reason") or "") for s in row.get("spans") or ()]
            if any(r == "source" for r in reasons):
                through_source += 1
                continue
            names = [r.split(":")[1] for r in reasons if r.startswith("profile:")]
            if names:
                # restore_with_profile applies the best-matching profile: the most frequent name
                name = max(set(names), key=names.count)
                by_profile[name] = by_profile.get(name, 0) + 1
            elif reasons:
                detector_only += 1
            else:
                unchanged += 1
    return {"through_source": through_source, "through_profile": by_profile,
            "detector_only": detector_only, "unchanged": unchanged}
