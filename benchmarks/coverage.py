"""Coverage benchmark: is the original among despin's candidates for what a spinner wrote?

    python benchmarks/coverage.py --limit 100
    python benchmarks/coverage.py --limit 30 --views single,cumulative --files wp-auto

For each dev proxy pair file (``../shared/data/real-engines-dev/*.jsonl``: two real spinner
engines with a dictionary despin does not have; ``../shared/data/dev-pairs/nlpaug-wordnet.jsonl``:
a WordNet spinner), the original and spun texts are aligned at word level with despin's own
gold definition (`despin.evaluate.gold_changes`: difflib over `despin.tokenize` tokens), and
every changed block is classed by shape: 1:1 (one spun word for one original word), 2:2, 1:2
(one spun word for two original words) and 2:1. A block is *covered* by a set of lexicon
sources when its original (lower-cased, words joined by spaces) is among
``compute_candidates(spun, sources)`` (the detector's candidate generation: inflected, ranked
and cut to its 16 best); 2:2 blocks are also counted word by word (both words identical or
covered). Blocks that only change letter case are counted apart, not as substitutions.

Views (each a tuple of sources, computed as one candidate call, because the candidate cut
makes sources compete):
  single      each source alone
  plus        today's default (wordnet+moby) plus one source: what that source adds
  cumulative  today's default, then sources added one bundle at a time, up to all
  loo         all sources but one (leave-one-resource-out): what only that source covers

Noise: the mean number of candidates of a substituted spun word, and of an unchanged word
(the detector scores every word, so candidates on clean words are what it must reject).
Uncovered 1:1 blocks under all sources are split by category (number / function word /
capitalised / other) and the 30 most frequent are printed for inspection, never saved.
Printed only; nothing is written.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from despin import lexicon  # noqa: E402
# The one import of candidate generation.
import despin.detector.candidates as generation  # noqa: E402
from despin.evaluate import gold_changes, token_strings  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = (
    DATA / "real-engines-dev" / "wp-auto-spinner-engine-aiksaurus.jsonl",
    DATA / "real-engines-dev" / "prothemes-engine-aiksaurus.jsonl",
    DATA / "dev-pairs" / "nlpaug-wordnet.jsonl",
)
TODAY = ("wordnet", "moby")
# Bundles added in turn for the cumulative view (and named in the report).
BUNDLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wordnet-rel", ("wordnet-similar", "wordnet-derived")),
    ("mythes-related", ("mythes-related",)),
    ("function", ("function",)),
    ("numbers", ("numbers",)),
    ("abbreviations", ("abbreviations",)),
)
SHAPES = ("1:1", "2:2", "1:2", "2:1")
_DIGIT = re.compile(r"\d")


# The detector's limits on candidates: entries read per inverse list, lemmas kept before
# inflecting, candidates kept. "listed" lifts all three (what the lexicons know at all).
_LIMITS = ("_PER_LIST", "_MAX_LEMMAS", "MAX_CANDIDATES")
_CUT = {"top16": True, "listed": False}
MODE = "top16"
_cache: dict[tuple[str, tuple[str, ...], str], tuple[str, ...]] = {}
# Deeper cuts of the full ranking shown in "listed" mode: would a longer list help?
DEPTHS = (32, 64)


def candidate_texts(phrase: str, sources: tuple[str, ...], depth: int | None = None) -> frozenset[str]:
    """The candidate originals despin proposes for ``phrase`` with ``sources`` (memoised),
    cut as the detector cuts them (``MODE == "top16"``) or all of them (``"listed"``),
    optionally only the ``depth`` best."""
    return frozenset(_ranked(phrase, sources)[:depth])


def _ranked(phrase: str, sources: tuple[str, ...]) -> tuple[str, ...]:
    key = (phrase, sources, MODE)
    hit = _cache.get(key)
    if hit is None:
        if _CUT[MODE]:
            cands = generation.compute_candidates(phrase, sources)
        else:
            saved = {name: getattr(generation, name) for name in _LIMITS}
            try:
                for name in _LIMITS:
                    setattr(generation, name, 10**9)
                cands = generation.compute_candidates(phrase, sources)
            finally:
                for name, value in saved.items():
                    setattr(generation, name, value)
        hit = _cache[key] = tuple(c.text for c in cands)
    return hit


@dataclass
class Block:
    spun: str  # lower-cased, words joined by spaces
    orig: str
    spun_raw: str  # as written (for categories)
    orig_raw: str
    shape: str


@dataclass
class FileData:
    name: str
    blocks: list[Block] = field(default_factory=list)
    case_only: int = 0
    other_shapes: int = 0  # changed blocks of other shapes (3+ words a side, insertions, deletions)
    unchanged: list[str] = field(default_factory=list)  # lower-cased unchanged spun words (noise sample)


def read_pairs(path: Path, limit: int) -> Iterator[tuple[str, str]]:
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= limit:
                break
            rec = json.loads(line)
            yield rec["original"], rec["spun"]


def collect(path: Path, limit: int, noise_docs: int) -> FileData:
    return collect_pairs(path.stem, read_pairs(path, limit), noise_docs)


def collect_pairs(name: str, pairs: Iterable[tuple[str, str]], noise_docs: int) -> FileData:
    """`collect` over (original, spun) pairs already in memory."""
    data = FileData(name)
    for d, (original, spun) in enumerate(pairs):
        s_tok, o_tok = token_strings(spun), token_strings(original)
        changed, ops = gold_changes(s_tok, o_tok)
        if d < noise_docs:
            data.unchanged += [s_tok[i].lower() for i in range(len(s_tok)) if i not in changed]
        for i1, i2, j1, j2 in ops:
            shape = f"{i2 - i1}:{j2 - j1}"
            s_raw, o_raw = " ".join(s_tok[i1:i2]), " ".join(o_tok[j1:j2])
            if shape not in SHAPES:
                data.other_shapes += 1
            elif s_raw.lower() == o_raw.lower():
                data.case_only += 1
            else:
                data.blocks.append(Block(s_raw.lower(), o_raw.lower(), s_raw, o_raw, shape))
    return data


def covered(block: Block, sources: tuple[str, ...], depth: int | None = None) -> bool:
    return block.orig in candidate_texts(block.spun, sources, depth)


def covered_wordwise(block: Block, sources: tuple[str, ...]) -> bool:
    """A 2:2 block whose words are each identical or covered one for one."""
    return all(s == o or o in candidate_texts(s, sources) for s, o in zip(block.spun.split(" "), block.orig.split(" ")))


def category(block: Block) -> str:
    words = set(block.orig.split(" ")) | set(block.spun.split(" "))
    if _DIGIT.search(block.orig + block.spun) or words & _number_words():
        return "number"
    if block.orig in lexicon.headwords("function") or block.orig in _closed_class():
        return "function"
    if block.orig_raw[:1].isupper():
        return "capitalised"
    return "other"


def _number_words() -> set[str]:
    return {w for k in lexicon.headwords("numbers") for w in k.split(" ") if not _DIGIT.search(w)}


# Pronouns and determiners the function table leaves out (it pairs words that replace each
# other; these mostly do not, but an uncovered swap of them is still a function-word swap).
_EXTRA_CLOSED = frozenset("i me my mine you your yours he him his she her hers we us our ours they them their theirs "
                          "it its itself themselves himself herself a an the of to in for on with as by at from".split())


def _closed_class() -> frozenset[str]:
    return _EXTRA_CLOSED


def views(kinds: list[str], every: tuple[str, ...]) -> list[tuple[str, str, tuple[str, ...]]]:
    """``(view kind, label, sources)`` for the requested kinds."""
    out: list[tuple[str, str, tuple[str, ...]]] = [("today", "wordnet+moby (today)", TODAY)]
    if "single" in kinds:
        out += [("single", s, (s,)) for s in every]
    if "plus" in kinds:
        out += [("plus", f"today+{s}", TODAY + (s,)) for s in every if s not in TODAY]
    if "cumulative" in kinds:
        acc = TODAY
        for name, bundle in BUNDLES:
            acc = acc + bundle
            out.append(("cumulative", f"+{name}", acc))
    if "loo" in kinds:
        out += [("loo", f"all-{s}", tuple(x for x in every if x != s)) for s in every]
    out.append(("all", "all", every))
    return out


def pct(a: int, b: int) -> str:
    return f"{a / b:.1%}" if b else "n/a"


def report(data: FileData, view_list: list[tuple[str, str, tuple[str, ...]]], top: int) -> None:
    by_shape: dict[str, list[Block]] = defaultdict(list)
    for b in data.blocks:
        by_shape[b.shape].append(b)
    n11 = len(by_shape["1:1"])
    print(f"\n{data.name}: 1:1 {n11}, 2:2 {len(by_shape['2:2'])}, 1:2 {len(by_shape['1:2'])}, "
          f"2:1 {len(by_shape['2:1'])} blocks; case-only {data.case_only}; other shapes {data.other_shapes}; "
          f"unchanged words sampled {len(data.unchanged)}\n")
    deep = DEPTHS if MODE == "listed" else ()
    print("| view | sources | 1:1 covered | " + "".join(f"1:1 in best {d} | " for d in deep)
          + "2:2 phrase | 2:2 word-wise | 1:2 | 2:1 | cands/sub word | cands/unchanged word |")
    print("|---|---|---|---|---|---|---|---|---|" + "---|" * len(deep))
    base_cov = None
    for kind, label, sources in view_list:
        cov = sum(covered(b, sources) for b in by_shape["1:1"])
        if base_cov is None:
            base_cov = cov
        cells = [pct(cov, n11) + (f" ({(cov - base_cov) / n11:+.1%})" if kind != "today" and n11 else "")]
        cells += [pct(sum(covered(b, sources, d) for b in by_shape["1:1"]), n11) for d in deep]
        cells.append(pct(sum(covered(b, sources) for b in by_shape["2:2"]), len(by_shape["2:2"])))
        cells.append(pct(sum(covered_wordwise(b, sources) for b in by_shape["2:2"]), len(by_shape["2:2"])))
        for shape in ("1:2", "2:1"):
            cells.append(pct(sum(covered(b, sources) for b in by_shape[shape]), len(by_shape[shape])))
        sub = [len(candidate_texts(b.spun, sources)) for b in by_shape["1:1"]]
        clean = [len(candidate_texts(w, sources)) for w in data.unchanged]
        cells.append(f"{sum(sub) / max(len(sub), 1):.1f}")
        cells.append(f"{sum(clean) / max(len(clean), 1):.1f}")
        print(f"| {kind} | {label} | " + " | ".join(cells) + " |")
    every = view_list[-1][2]
    for label, sources in (("today", TODAY), ("all", every)):
        missed = [b for b in by_shape["1:1"] if not covered(b, sources)]
        cats = Counter(category(b) for b in missed)
        print(f"\nuncovered 1:1 with {label}: {len(missed)} ({pct(len(missed), n11)}): "
              + ", ".join(f"{c} {cats[c]} ({pct(cats[c], n11)} of 1:1)" for c in ("function", "number", "capitalised", "other")))
    missed = Counter((b.orig_raw, b.spun_raw) for b in by_shape["1:1"] if not covered(b, every))
    print(f"\ntop {top} uncovered 1:1 (original -> spun) with all sources, for inspection only:")
    print(", ".join(f"{o}->{s} {n}" for (o, s), n in missed.most_common(top)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=100, help="documents per file (default 100)")
    ap.add_argument("--views", default="single,plus,cumulative,loo", help="comma-separated: single,plus,cumulative,loo")
    ap.add_argument("--files", default="", help="only files whose name contains one of these (comma-separated)")
    ap.add_argument("--sources", default=",".join(lexicon.SOURCES), help="the sources 'all' means (default: every shipped one)")
    ap.add_argument("--noise-docs", type=int, default=10, help="documents whose unchanged words measure noise")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--mode", default="top16,listed",
                    help="top16 (the detector's 16 best candidates) and/or listed (every candidate the lexicons give)")
    args = ap.parse_args()
    every = tuple(s for s in args.sources.split(",") if s)
    bad = [s for s in every if s not in lexicon.SOURCES]
    if bad:
        ap.error(f"unknown source(s) {', '.join(bad)}; choose from {', '.join(lexicon.SOURCES)}")
    wanted = [f for f in args.files.split(",") if f]
    paths = [p for p in FILES if not wanted or any(w in p.name for w in wanted)]
    view_list = views(args.views.split(","), every)
    print(f"# coverage of the original among despin's candidates (first {args.limit} docs per file)")
    for path in paths:
        if not path.exists():
            print(f"\n## {path.name}: absent, skipped")
            continue
        t0 = time.perf_counter()
        data = collect(path, args.limit, args.noise_docs)
        global MODE
        for MODE in args.mode.split(","):
            print(f"\n### {path.stem}, candidates: {MODE}")
            report(data, view_list, args.top)
        print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
