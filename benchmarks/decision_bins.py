#!/usr/bin/env python3
"""Where the restore rule stands against break-even, per dev proxy (issue 14's decision).

A span is restored when P(spun) · P(best is the original) > 1 − P(spun), i.e. when
x = P(spun) · (1 + P(best)) > 1. Restoring a span gains one error where its best suggestion
is exactly the original (``right``), costs one where nothing there was changed (``clean``),
and changes nothing where the span was spun but the suggestion is wrong. This prints, per
bin of x, the spans, how many of them are right and clean, and the net gain (right − clean)
had every span of the bin been restored: with calibrated probabilities the net turns
positive at x = 1, and a rule whose bins just below 1 are still net positive leaves WER
on the table (a bin just above 1 in the red: it restores too much).

Reads what ``benchmarks/quality.py`` left in its cache (the pairs and each tree's reports):

    python benchmarks/quality.py --limit 40
    python benchmarks/decision_bins.py                    # the current tree
    python benchmarks/decision_bins.py --tree base-0c6163a
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from despin.evaluate import gold_changes, token_strings  # noqa: E402
from despin.tokenize import tokenize  # noqa: E402

EDGES = (0.5, 0.7, 0.8, 0.9, 1.0, 1.1, 1.3, 2.01)


def spans_by_bin(pairs: dict[str, dict], answers: list[dict]) -> dict[float, list[int]]:
    """Per lower bin edge: [spans, right, clean]."""
    out: dict[float, list[int]] = {}
    for a in answers:
        pair = pairs.get(a["id"])
        if pair is None or "spun" not in a:
            continue
        toks = tokenize(pair["spun"])
        original = token_strings(pair["original"])
        changed, ops = gold_changes([t.text for t in toks], original)
        gold = {(toks[i1].start, toks[i2 - 1].end): " ".join(original[j1:j2]).lower()
                for i1, i2, j1, j2 in ops if i2 > i1}
        for s in a["spun"]["spans"]:
            if not s["suggestions"]:
                continue
            best = s["suggestions"][0]
            x = s["score"] * (1.0 + best["score"])
            right = gold.get((s["start"], s["end"])) == best["text"].lower()
            inside = [k for k, t in enumerate(toks) if t.start >= s["start"] and t.end <= s["end"]]
            clean = not any(k in changed for k in inside)
            for lo, hi in zip(EDGES, EDGES[1:]):
                if lo <= x < hi:
                    row = out.setdefault(lo, [0, 0, 0])
                    row[0] += 1
                    row[1] += right
                    row[2] += clean
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/despin-quality-cache"))
    ap.add_argument("--tree", default="current", help="current, or base-REV as quality.py named it")
    args = ap.parse_args()
    manifest = args.cache / "manifest.json"
    answers_file = args.cache / f"answers-{args.tree}.jsonl"
    if not manifest.exists() or not answers_file.exists():
        sys.exit(f"no {manifest} or {answers_file}: run benchmarks/quality.py first")
    by_job: dict[str, list[dict]] = {}
    for line in open(answers_file, encoding="utf-8"):
        a = json.loads(line)
        if "job" in a:
            by_job.setdefault(a["job"], []).append(a)
    print(f"| proxy | {' | '.join(f'x {lo:.1f}–{hi:.1f}' for lo, hi in zip(EDGES, EDGES[1:]))} |")
    print("|---" * len(EDGES) + "|")
    for proxy in json.loads(manifest.read_text()):
        pairs = {}
        for line in open(proxy["pairs"], encoding="utf-8"):
            v = json.loads(line)
            pairs[str(v["id"])] = v
        bins = spans_by_bin(pairs, by_job.get(proxy["name"], []))
        cells = []
        for lo in EDGES[:-1]:
            n, right, clean = bins.get(lo, [0, 0, 0])
            cells.append(f"{n} spans, {right} right, {clean} clean: **{right - clean:+d}**")
        print(f"| {proxy['name']} | {' | '.join(cells)} |")
    print(f"\n{args.tree}; x = P(spun)·(1 + P(best)); restored where x > 1; net = right − clean")


if __name__ == "__main__":
    main()
