#!/usr/bin/env python3
"""Fit despin's calibration weights on the project's own simulator output.

Recipe (deterministic): take clean news articles from a JSONL file (``text`` field),
skipping every 7th row (those are the articles of the shared dev pairs, kept for honest
evaluation); spin each with `despin.spin` using a preset, thesaurus and rate drawn from a
seeded generator (presets table/random/phrase/damage, thesauri moby/wordnet, rates 10-50%);
run the detector's analysis on both the spun and the clean text; label each unit by whether
it overlaps a substituted token; fit three L2-regularised logistic regressions (per unit,
per document, and the score-only screen) with Newton's method; write ``despin/data/calibration.json``.

Only the fitted numbers are shipped; no text is. Usage:
    python scripts/calibrate.py --articles ../shared/data/news-dev/articles.jsonl --docs 240
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from despin.config import Config  # noqa: E402
from despin.core import analyse  # noqa: E402
from despin.detector import posterior, ranking  # noqa: E402
from despin.detector.decide import _type_counts  # noqa: E402
from despin.detector.records import Analysis, Unit  # noqa: E402
from despin.evaluate import gold_changes, token_strings  # noqa: E402
from despin.screen import screen_features  # noqa: E402
from despin.spin import Spinner, Thesaurus  # noqa: E402

PRESETS = ("table", "random", "phrase", "damage")
THESAURI = ("moby", "wordnet")


def changed_tokens(spun: str, original: str) -> set[int]:
    return gold_changes(token_strings(spun), token_strings(original))[0]


def collect(a: Analysis, changed: set[int]) -> tuple[list[list[float]], list[int]]:
    by_type: dict[str, list[Unit]] = {}
    for u in a.units:
        by_type.setdefault(u.observed, []).append(u)
    X, y = [], []
    for group in by_type.values():
        total = sum(posterior.floored_log(u.A) for u in group)
        for u in group:
            own = posterior.floored_log(u.A)
            X.append(posterior.unit_features(u, a.rho, total - own, len(group)))
            y.append(int(any(k in changed for k in range(u.i, u.j))))
    return X, y


def originals_by_span(spun: str, original: str) -> dict[tuple[int, int], str]:
    """Spun token range -> the original words it replaced (lower case), per changed block."""
    ot = token_strings(original)
    _, ops = gold_changes(token_strings(spun), ot)
    return {(i1, i2): " ".join(ot[j1:j2]).lower() for i1, i2, j1, j2 in ops}


def collect_suggestions(a: Analysis, originals: dict[tuple[int, int], str]) -> tuple[list[list[float]], list[int]]:
    """For units overlapping a substitution: features of the best candidate, and whether it
    is exactly the original (a unit that covers a change only in part can never be)."""
    counts = _type_counts(a)
    changed = {k for i1, i2 in originals for k in range(i1, i2)}
    context = ranking.suggestion_context(a)
    X, y = [], []
    for u in a.units:
        if not u.odds or sum(u.odds) <= 0 or not any(k in changed for k in range(u.i, u.j)):
            continue
        best = u.cands[u.ranking.index(max(u.ranking))].text
        X.append(ranking.suggestion_features(u, counts[u.observed], context))
        y.append(int(originals.get((u.i, u.j)) == best))
    return X, y


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 30) -> np.ndarray:
    Xb = np.hstack([np.ones((len(X), 1)), X])
    w = np.zeros(Xb.shape[1])
    reg = l2 * np.eye(Xb.shape[1])
    reg[0, 0] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(Xb @ w, -30, 30)))
        grad = Xb.T @ (p - y) + reg @ w
        H = (Xb * (p * (1 - p))[:, None]).T @ Xb + reg
        step = np.linalg.solve(H, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=Path, default=ROOT.parent / "shared" / "data" / "news-dev" / "articles.jsonl")
    ap.add_argument("--docs", type=int, default=240)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", type=Path, default=ROOT / "despin" / "data" / "calibration.json")
    args = ap.parse_args()

    rows = [json.loads(line) for line in open(args.articles, encoding="utf-8")]
    rows = [r for k, r in enumerate(rows) if k % 7 != 0][: args.docs]
    rng = random.Random(args.seed)
    thesauri = {name: Thesaurus.from_lexicon(name) for name in THESAURI}
    config = Config()
    UX: list[list[float]] = []
    Uy: list[int] = []
    DX: list[list[float]] = []
    Dy: list[int] = []
    t0 = time.time()
    for k, row in enumerate(rows):
        text = row["text"]
        spinner = Spinner(rng.choice(PRESETS), thesauri[rng.choice(THESAURI)], rate=rng.uniform(0.1, 0.5), seed=k)
        spun = spinner.spin(text).spun
        for doc, label in ((spun, 1), (text, 0)):
            a = analyse(doc, config)
            X, y = collect(a, changed_tokens(doc, text) if label else set())
            UX += X
            Uy += y
            DX.append(a.doc_features())
            Dy.append(label)
        if k % 20 == 0:
            print(f"{k}/{len(rows)} docs, {len(UX)} units, {time.time() - t0:.0f}s", file=sys.stderr)
    # The document features depend on calibrated unit posteriors; fit units first, then
    # recompute document features with them.
    wu = fit_logistic(np.array(UX), np.array(Uy))
    print("unit weights", np.round(wu, 3).tolist(), file=sys.stderr)
    args.out.write_text(json.dumps({"format": "despin-calibration", "version": 1, "unit": wu.tolist(), "doc": None}))
    detect_calibration_reload()
    DX = []
    SX = []
    rng = random.Random(args.seed)
    for k, row in enumerate(rows):
        text = row["text"]
        spinner = Spinner(rng.choice(PRESETS), thesauri[rng.choice(THESAURI)], rate=rng.uniform(0.1, 0.5), seed=k)
        spun = spinner.spin(text).spun
        for doc in (spun, text):
            DX.append(analyse(doc, config).doc_features())
            SX.append(screen_features(doc, tuple(config.resources)))
    wd = fit_logistic(np.array(DX), np.array(Dy), l2=0.1)
    ws = fit_logistic(np.array(SX), np.array(Dy), l2=0.1)
    print("doc weights", np.round(wd, 3).tolist(), "screen weights", np.round(ws, 3).tolist(), file=sys.stderr)
    # Suggestions: is the best candidate exactly the original? Half the documents are
    # checked with the spinner's own thesaurus among despin's (as for a WordNet spinner),
    # half with only the other one (as for a spinner whose thesaurus despin lacks): the
    # share the language model gives a candidate says little in the second case.
    GX: list[list[float]] = []
    Gy: list[int] = []
    rng = random.Random(args.seed)
    for k, row in enumerate(rows):
        text = row["text"]
        thesaurus = rng.choice(THESAURI)
        spinner = Spinner(rng.choice(PRESETS), thesauri[thesaurus], rate=rng.uniform(0.1, 0.5), seed=k)
        spun = spinner.spin(text).spun
        other = next(t for t in THESAURI if t != thesaurus)
        cfg = config if k % 2 == 0 else Config(resources=(other,))
        X, y = collect_suggestions(analyse(spun, cfg), originals_by_span(spun, text))
        GX += X
        Gy += y
    wg = fit_logistic(np.array(GX), np.array(Gy))
    print(f"suggestion weights ({len(Gy)} spun units, {sum(Gy)} with the original on top)",
          np.round(wg, 3).tolist(), file=sys.stderr)
    meta = {
        "format": "despin-calibration",
        "version": 1,
        "unit": [round(float(x), 6) for x in wu],
        "doc": [round(float(x), 6) for x in wd],
        "screen": [round(float(x), 6) for x in ws],
        "suggestion": [round(float(x), 6) for x in wg],
        "recipe": {
            "docs": len(rows),
            "seed": args.seed,
            "presets": PRESETS,
            "thesauri": THESAURI,
            "rates": [0.1, 0.5],
            "units": len(UX),
            "positive_units": int(sum(Uy)),
            "suggestion_units": len(Gy),
            "suggestion_correct": int(sum(Gy)),
        },
    }
    args.out.write_text(json.dumps(meta, indent=1) + "\n")
    print(f"wrote {args.out} ({len(UX)} units, {len(DX)} docs, {time.time() - t0:.0f}s)", file=sys.stderr)


def detect_calibration_reload() -> None:
    from despin import calibration

    calibration._load.cache_clear()


if __name__ == "__main__":
    main()
