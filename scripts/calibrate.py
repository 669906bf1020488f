#!/usr/bin/env python3
"""Fit despin's calibration weights on the project's own simulator output.

Recipe (deterministic): take clean news articles from a JSONL file (``text`` field),
skipping the rows kept for honest evaluation (see ``main``); spin half of them with
`despin.spin`'s presets (table/random/phrase/damage, thesauri moby/wordnet, rates 10-50%,
checked with every resource) and half with the ``dictionary`` preset drawing from one
resource (WordNet or Moby) and checked *without* that resource's
family: leave-one-resource-out, the proxy for a spinner's dictionary despin does not have;
run the detector's analysis on both the spun and the clean text; label each unit by whether
it overlaps a substituted token; fit three L2-regularised logistic regressions (per unit,
per document, and the score-only screen) with Newton's method, the re-ranker (a conditional
logit over each flagged unit's candidates: which is the original) and the suggestion model
(is the best candidate exactly the original?); write ``despin/data/calibration.json``;
then fit stage 6's gradient-boosted trees (`despin.detector.refine`; needs scikit-learn) on
the same documents through the new weights and write ``despin/data/refine.json``; then
fit the report's document score on what every stage leaves (`fit_final`, a logistic model of
`Analysis.final_features`); last, measure through every stage what a shorter wrong
suggestion still saves per word it removes (`phrase_length_share`, the constant of
`despin.report.replaces`); both recorded in ``calibration.json``.

Only the fitted numbers are shipped; no text is. Usage:
    python scripts/calibrate.py --articles ../shared/data/news-dev/articles.jsonl --docs 240

Stage 5c (the neural model, `despin.neural`, off by default) has its own weight and its own
stage-6 trees: after this script, ``scripts/calibrate_neural.py`` (the weight, on the
rankings of stages 1-5), then this script with ``--stage6-only --neural`` (the trees of the
documents stage 5c reads, fitted through it: ``despin/data/refine-neural.json``; ~50 min).
"""
from __future__ import annotations

import argparse
import json
import os
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
from despin.evaluate import gold_changes, token_strings, word_for_word  # noqa: E402
from despin.lexicon import without_family  # noqa: E402
from despin.screen import screen_features  # noqa: E402
from despin.spin import Spinner, Thesaurus  # noqa: E402
from despin.spin_dictionary import DICTIONARY_RESOURCES, dictionary_pairs  # noqa: E402

PRESETS = ("table", "random", "phrase", "damage")
THESAURI = ("moby", "wordnet")


def changed_tokens(spun: str, original: str) -> set[int]:
    return gold_changes(token_strings(spun), token_strings(original))[0]


def collect(a: Analysis, changed: set[int]) -> tuple[list[list[float]], list[int], list[bool]]:
    by_type: dict[str, list[Unit]] = {}
    for u in a.units:
        by_type.setdefault(u.observed, []).append(u)
    X, y, closed = [], [], []
    for group in by_type.values():
        total = sum(posterior.floored_log(u.A) for u in group)
        for u in group:
            own = posterior.floored_log(u.A)
            X.append(posterior.unit_features(u, a.rho_closed if u.closed else a.rho, total - own, len(group)))
            y.append(int(any(k in changed for k in range(u.i, u.j))))
            closed.append(u.closed)
    return X, y, closed


# The longest run of words inside an equal-length changed block labelled word for word.
MAX_SUB_RUN = 3


def originals_by_span(spun: str, original: str) -> dict[tuple[int, int], str]:
    """Spun token range -> the original words it replaced (lower case): each changed block,
    and inside a block of equal length on both sides (adjacent word swaps, "inventory
    marketplace" for "stock market") each run of its words, read word for word as the
    evaluator reads them (`despin.evaluate.word_for_word`): a unit that restores
    "inventory" to "stock" is right although the block is longer."""
    ot = token_strings(original)
    _, ops = gold_changes(token_strings(spun), ot)
    out = {(i1, i2): " ".join(ot[j1:j2]).lower() for i1, i2, j1, j2 in ops}
    one_to_one = word_for_word(ops, ot)
    for i1, i2, _, _ in ops:
        if i1 in one_to_one:  # (a block read word for word)
            for i in range(i1, i2):
                for j in range(i + 1, min(i2, i + MAX_SUB_RUN) + 1):
                    out.setdefault((i, j), " ".join(one_to_one[k] for k in range(i, j)).lower())
    return out


def collect_suggestions(
    a: Analysis, originals: dict[tuple[int, int], str], threshold: float
) -> tuple[list[list[float]], list[int]]:
    """For units overlapping a substitution whose posterior clears ``threshold``: features
    of the best candidate, and whether it is exactly the original (a unit that covers a
    change only in part can never be)."""
    counts = _type_counts(a)
    changed = {k for i1, i2 in originals for k in range(i1, i2)}
    context = ranking.suggestion_context(a)
    X, y = [], []
    for u in a.units:
        if u.posterior < threshold or not u.odds or sum(u.odds) <= 0:
            continue
        if not any(k in changed for k in range(u.i, u.j)):
            continue
        best = u.cands[u.ranking.index(max(u.ranking))].text
        X.append(ranking.suggestion_features(u, counts[u.observed], context))
        y.append(int(originals.get((u.i, u.j)) == best))
    return X, y


def collect_rerank(
    a: Analysis, low: list[str], originals: dict[tuple[int, int], str], threshold: float,
    sources: tuple[str, ...],
) -> tuple[list[list[float]], list[int], list[int]]:
    """Rows for the re-ranker: for each unit whose posterior clears ``threshold`` and whose
    original (word for word, `originals_by_span`) is one of its candidates, every candidate's
    features (`despin.detector.ranking.candidate_features`), whether it is the original, and
    its unit's number (a group of the conditional logit, counted from 0 in this document)."""
    counts = ranking.word_counts(low)
    X: list[list[float]] = []
    y: list[int] = []
    group: list[int] = []
    n = 0
    for u in a.units:
        if u.posterior < threshold or len(u.cands) < 2 or not u.odds or sum(u.ranking) <= 0:
            continue
        original = originals.get((u.i, u.j))
        texts = [c.text for c in u.cands]
        if original not in texts:
            continue
        X += ranking.unit_features(u, counts, sources)
        y += [int(t == original) for t in texts]
        group += [n] * len(texts)
        n += 1
    return X, y, group


def _conditional_nll(w: np.ndarray, X: np.ndarray, y: np.ndarray, group: np.ndarray, n_groups: int,
                     l2: float, offset: np.ndarray | float = 0.0) -> float:
    z = X @ w + offset
    zmax = np.full(n_groups, -np.inf)
    np.maximum.at(zmax, group, z)
    e = np.exp(z - zmax[group])
    log_norm = np.log(np.bincount(group, weights=e, minlength=n_groups))
    return float(-(y * (z - zmax[group] - log_norm[group])).sum() + 0.5 * l2 * w @ w)


def fit_conditional_logit(X: np.ndarray, y: np.ndarray, group: np.ndarray, l2: float = 1.0,
                          iters: int = 50, offset: np.ndarray | float = 0.0) -> np.ndarray:
    """Weights ``w`` of P(candidate k of a group) = softmax over the group of ``X[k] @ w``
    (no intercept: it cancels), L2-regularised, by Newton's method with step halving (a full
    Newton step can overshoot and diverge when some groups are separable). ``offset``: a fixed
    score added to each row's (other weights held; `fit_logistic_models`' shared categories)."""
    n_groups = int(group.max()) + 1
    w = np.zeros(X.shape[1])
    loss = _conditional_nll(w, X, y, group, n_groups, l2, offset)
    for _ in range(iters):
        z = X @ w + offset
        zmax = np.full(n_groups, -np.inf)
        np.maximum.at(zmax, group, z)
        e = np.exp(z - zmax[group])
        p = e / np.bincount(group, weights=e, minlength=n_groups)[group]
        grad = X.T @ (p - y) + l2 * w
        m = np.zeros((n_groups, X.shape[1]))
        np.add.at(m, group, X * p[:, None])
        H = (X * p[:, None]).T @ X - m.T @ m + l2 * np.eye(X.shape[1])
        step = np.linalg.solve(H, grad)
        t = 1.0
        new = _conditional_nll(w - step, X, y, group, n_groups, l2, offset)
        while new > loss and t > 1e-4:
            t /= 2
            new = _conditional_nll(w - t * step, X, y, group, n_groups, l2, offset)
        w = w - t * step
        done = loss - new < 1e-9 * max(1.0, abs(loss))
        loss = min(loss, new)
        if done:
            break
    return w


# The re-ranker's columns from here on (`ranking.RERANK_FEATURES`: "shared categories") are
# fitted on the dictionary rows alone, the others held (`fit_logistic_models`).
SHARED_FROM = len(ranking.RERANK_FEATURES) - 1


def fit_offset(z: np.ndarray, y: np.ndarray, iters: int = 30) -> float:
    """The one weight ``b`` of ``P(y) = logistic(z + b)`` (the other weights fixed in ``z``)."""
    b = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(z + b, -30, 30)))
        step = float((p - y).sum() / max(1e-9, (p * (1 - p)).sum()))
        b -= step
        if abs(step) < 1e-8:
            break
    return b


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


# Leave-one-resource-out: the dictionary preset draws from one resource
# (`despin.spin_dictionary.DICTIONARY_RESOURCES`), the detector is built without that
# resource's whole family (the LibreOffice thesaurus is built from WordNet, so they leave
# together). A spinner's dictionary despin does not have is the case that matters (issue 14).
# The unit model sees every n-th dictionary row (with all of them, ~50% of a dictionary
# spin's content words are substitutes, and the model flagged clean words of short texts).
UNITS_FROM_DICTIONARY_EVERY = 2
# The suggestion model decides restoration for spans, so it is fitted on the units that
# become spans: those whose posterior clears the span threshold. (Fitted on every spun unit
# it was too unsure of the flagged ones; on flagged units, quality.py --limit 40: WER cut
# WP engine 5.8 -> 6.0%, ProThemes 5.3 -> 5.5%, nlpaug 24.0 -> 25.1%, loro-* within 0.1.)
SUGGESTION_THRESHOLD = 0.45  # (restoration needs a posterior above 0.5 in any case)


# Each dictionary spinner is one draw from its resource (which entries, which synonym each
# gets). One dictionary per 10 documents, so that the models learn what dictionaries drawn
# from a thesaurus have in common, not the habits of a few: with three dictionaries per
# resource, stage 6 learned them and restored 1.3% of a fresh Moby draw's WER against 4.6%
# when trained on another three (diagnostic on 60 leave-one-resource-out documents).
DICTIONARY_DOCS = 10
DICTIONARY_RATES = (0.15, 0.25, 0.4)


def cases(rows: list[dict], seed: int, config: Config) -> list[tuple[str, str, Config, str]]:
    """(spun, original, checker config, kind) per row, deterministic in ``seed``: even rows
    the simulator's presets (same resource, rates 10-50%), odd rows the dictionary preset
    leave-one-resource-out (rate 15-40%, a new dictionary every ``DICTIONARY_DOCS`` rows)."""
    rng = random.Random(seed)
    thesauri = {name: Thesaurus.from_lexicon(name) for name in THESAURI}
    out: list[tuple[str, str, Config, str] | None] = []
    by_resource: dict[str, list[tuple[int, str]]] = {}
    for k, row in enumerate(rows):
        text = row["text"]
        if k % 2 == 0 or not DICTIONARY_RESOURCES:
            preset, thesaurus = rng.choice(PRESETS), rng.choice(THESAURI)
            spinner = Spinner(preset, thesauri[thesaurus], rate=rng.uniform(0.1, 0.5), seed=k)
            out.append((spinner.spin(text).spun, text, config, f"sim-{preset}-{thesaurus}"))
        else:
            resource = DICTIONARY_RESOURCES[(k // 2) % len(DICTIONARY_RESOURCES)]
            by_resource.setdefault(resource, []).append((k, text))
            out.append(None)
    for resource, docs in by_resource.items():
        loro = Config(resources=without_family(tuple(config.resources), resource))
        for n, start in enumerate(range(0, len(docs), DICTIONARY_DOCS)):
            chunk = docs[start:start + DICTIONARY_DOCS]
            rate = DICTIONARY_RATES[n % len(DICTIONARY_RATES)]
            for pair in dictionary_pairs(resource, [(str(k), t) for k, t in chunk], rate=rate,
                                         seed=seed * 1000 + n, calibration_docs=len(chunk)):
                out[int(pair["id"])] = (pair["spun"], pair["original"], loro, f"dictionary-{resource}")
    return [c for c in out if c is not None]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=Path, default=ROOT.parent / "shared" / "data" / "news-dev" / "articles.jsonl")
    ap.add_argument("--docs", type=int, default=600)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", type=Path, default=ROOT / "despin" / "data" / "calibration.json")
    ap.add_argument("--refine-out", type=Path, default=ROOT / "despin" / "data" / "refine.json")
    ap.add_argument("--stage6-only", action="store_true",
                    help="keep calibration.json as it is and fit only stage 6's trees")
    ap.add_argument("--neural", action="store_true",
                    help="with --stage6-only: fit the trees of documents stage 5c reads, through it "
                         "(despin/data/refine-neural.json; needs scripts/calibrate_neural.py first)")
    args = ap.parse_args()
    if args.neural:
        if not args.stage6_only:
            sys.exit("--neural refits stage 6 only: give --stage6-only too")
        args.refine_out = args.refine_out.with_name("refine-neural.json")
    # Stage 6 is fitted on what stages 1-5 give with the weights fitted here: without it.
    args.refine_out.unlink(missing_ok=True)
    # Stage 5c's weight and stage 6c's are scripts/calibrate_neural.py's: kept through the
    # rewrite below (refit them after a full recalibration: `--docs 80`, then `--margins`).
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    neural_weights = {k: previous[k] for k in ("neural", "neural_margin") if k in previous}
    if not args.stage6_only and args.out.exists():
        # The re-ranker is fitted on the ranking without it (and old weights may not fit
        # today's features).
        old = json.loads(args.out.read_text())
        old.pop("rerank", None)
        args.out.write_text(json.dumps(old))
        detect_calibration_reload()

    # Stage 5c's scores, kept across the several analyses of each document (where the
    # neural model is built and calibrated: after scripts/calibrate_neural.py).
    from despin import neural

    neural.MEMO = {}
    rows = [json.loads(line) for line in open(args.articles, encoding="utf-8")]
    # Held out: every 7th row (the dev pairs' articles), rows 5, 15, 25, ... (the real-engine
    # dev spins') and rows 2000-2099 (benchmarks/quality.py's leave-one-resource-out rows).
    rows = [r for k, r in enumerate(rows) if k % 7 != 0 and k % 10 != 5 and not 2000 <= k < 2100][: args.docs]
    config = Config()
    t0 = time.time()
    docs = cases(rows, args.seed, config)
    print(f"{len(docs)} spun documents ready, {time.time() - t0:.0f}s", file=sys.stderr)
    if not args.stage6_only:
        fit_logistic_models(docs, config, args.out, args.seed, t0)
    if args.neural:
        # Every analysis without stage 6, as for the default trees: refine.json is held aside.
        docs = [(spun, text, cfg.replace(neural=True), kind) for spun, text, cfg, kind in docs]
        held = args.refine_out.with_name("refine.json")
        held.rename(held.with_suffix(".json.held"))
        detect_calibration_reload()
        try:
            fit_refine(docs, args.refine_out)
        finally:
            held.with_suffix(".json.held").rename(held)
            detect_calibration_reload()
    else:
        fit_refine(docs, args.refine_out)
    print(f"wrote {args.refine_out} ({time.time() - t0:.0f}s)", file=sys.stderr)
    if args.neural:
        return  # the phrase share stays the default path's
    # The decision's phrase term (despin.report.SHORTER_SAVES), measured through every stage.
    detect_calibration_reload()
    final = fit_final(docs)
    share, n = phrase_length_share(docs)
    data = json.loads(args.out.read_text())
    data["final"] = [round(float(x), 6) for x in final]
    data["phrase_length_share"] = [round(share, 4), n]
    data.update(neural_weights)
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"phrase length share {share:.3f} over {n} spans (despin.report.SHORTER_SAVES)", file=sys.stderr)


def fit_logistic_models(docs: list[tuple[str, str, Config, str]], config: Config, out: Path, seed: int,
                        t0: float) -> None:
    """Stages 4-5's logistic models (unit, document, screen, suggestion), in ``out``."""
    UX: list[list[float]] = []
    Uy: list[int] = []
    Uc: list[bool] = []
    Dy: list[int] = []
    n_dictionary = 0
    for k, (spun, text, cfg, kind) in enumerate(docs):
        dictionary = kind.startswith("dictionary-")
        for_units = not dictionary or n_dictionary % UNITS_FROM_DICTIONARY_EVERY == 0
        n_dictionary += dictionary
        for doc, label in ((spun, 1), (text, 0)):
            if not dictionary:
                Dy.append(label)  # (the document model: simulator rows only, below)
            if for_units:
                X, y, closed = collect(analyse(doc, cfg), changed_tokens(doc, text) if label else set())
                UX += X
                Uy += y
                Uc += closed
        if k % 20 == 0:
            print(f"{k}/{len(docs)} docs, {len(UX)} units, {time.time() - t0:.0f}s", file=sys.stderr)
    # The document features depend on calibrated unit posteriors; fit units first, then
    # recompute document features with them.
    # Content words fix every weight; closed-class units (the grammar table, `function`)
    # then get their own offset, the weight of the `closed` feature, with the rest held:
    # fitted on all units together, the closed-class units moved the content weights and
    # the real-engine dev spins (whose dictionaries swap no function words) lost recall.
    ux, uy, uc = np.array(UX), np.array(Uy), np.array(Uc, dtype=bool)
    wu = fit_logistic(ux[~uc], uy[~uc])
    if uc.any():
        closed_col = len(wu) - 1  # unit_features ends with the closed-class flag
        z = wu[0] + ux[uc] @ wu[1:]
        wu[closed_col] = fit_offset(z, uy[uc].astype(float))
    print("unit weights", np.round(wu, 3).tolist(), file=sys.stderr)
    out.write_text(json.dumps({"format": "despin-calibration", "version": 1, "unit": wu.tolist(), "doc": None}))
    detect_calibration_reload()
    # The re-ranker (stage 5): which of a likely unit's candidates is the original, on the
    # units whose original is a candidate; fitted before the suggestion models, which read
    # the ranking it gives.
    RX: list[list[float]] = []
    Rg: list[int] = []
    Ry: list[int] = []
    Rd: list[bool] = []  # per candidate row: from a dictionary (leave-one-resource-out) document
    for spun, text, cfg, kind in docs:
        a = analyse(spun, cfg)
        X, y, g = collect_rerank(a, [t.text.lower() for t in a.tokens], originals_by_span(spun, text),
                                 SUGGESTION_THRESHOLD, tuple(cfg.resources))
        start = (Rg[-1] + 1) if Rg else 0
        RX += X
        Ry += y
        Rg += [start + k for k in g]
        Rd += [kind.startswith("dictionary-")] * len(y)
    rx, ry, rg, rd = np.array(RX), np.array(Ry, dtype=float), np.array(Rg), np.array(Rd, dtype=bool)
    # Every weight but the last on every row; the last ("shared categories": how many
    # category-thesaurus entries list both words) on the dictionary rows with the others held.
    # A dictionary is cut from a thesaurus's categories, which a thesaurus despin has agrees
    # with; the simulator's presets draw uniformly from one thesaurus's lists, where it says
    # nothing (fitted on all rows its weight was 0.07; read on the real-engine dev spins with
    # the others fitted as ever, top-1 of flagged covered units 57.4 -> 59.4% WP, 61.2 -> 62.9%
    # ProThemes at the dictionary rows' 0.6).
    wr = fit_conditional_logit(rx[:, :SHARED_FROM], ry, rg)
    _, dg = np.unique(rg[rd], return_inverse=True)
    shared = fit_conditional_logit(rx[rd, SHARED_FROM:], ry[rd], dg, l2=1e-9, offset=rx[rd, :SHARED_FROM] @ wr)
    wr = np.concatenate([wr, shared])
    print(f"rerank weights ({Rg[-1] + 1 if Rg else 0} units, {len(Ry)} candidates)",
          np.round(wr, 3).tolist(), file=sys.stderr)
    out.write_text(json.dumps({"format": "despin-calibration", "version": 1, "unit": wu.tolist(), "doc": None,
                               "rerank": wr.tolist()}))
    detect_calibration_reload()
    DX: list[list[float]] = []
    SX: list[list[float]] = []
    GX: list[list[float]] = []
    Gy: list[int] = []
    for spun, text, cfg, kind in docs:
        # The document and screen models as before: the simulator rows, checked with every
        # resource (fitted on the dictionary rows too, the real-engine dev spins lost 0.005
        # of AUC and 0.07 of TPR at 1% FPR).
        for doc in (spun, text) if not kind.startswith("dictionary-") else ():
            DX.append(analyse(doc, cfg).doc_features())
            SX.append(screen_features(doc, tuple(config.resources)))
        # Suggestions: is the best candidate exactly the original? The dictionary rows are
        # checked without the spinner's resource (a dictionary despin does not have), the
        # simulator rows with it (a WordNet spinner such as nlpaug's): half and half. (With
        # a quarter same-resource, nlpaug's WER cut fell from 23% to 13% at 30 dev pairs.)
        X, y = collect_suggestions(analyse(spun, cfg), originals_by_span(spun, text), SUGGESTION_THRESHOLD)
        GX += X
        Gy += y
    wd = fit_logistic(np.array(DX), np.array(Dy), l2=0.1)
    ws = fit_logistic(np.array(SX), np.array(Dy), l2=0.1)
    print("doc weights", np.round(wd, 3).tolist(), "screen weights", np.round(ws, 3).tolist(), file=sys.stderr)
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
        "rerank": [round(float(x), 6) for x in wr],
        "recipe": {
            "docs": len(docs),
            "seed": seed,
            "presets": PRESETS,
            "thesauri": THESAURI,
            "dictionary_resources": DICTIONARY_RESOURCES,
            "resources": list(config.resources),
            "units": len(UX),
            "positive_units": int(sum(Uy)),
            "suggestion_units": len(Gy),
            "suggestion_correct": int(sum(Gy)),
            "rerank_units": Rg[-1] + 1 if Rg else 0,
        },
    }
    out.write_text(json.dumps(meta, indent=1) + "\n")
    print(f"wrote {out} ({len(UX)} units, {len(DX)} docs, {time.time() - t0:.0f}s)", file=sys.stderr)
    detect_calibration_reload()


# Stage 6's trees (`despin.detector.refine`): shallow, so that evaluating them for every
# likely unit of a text costs a fraction of a millisecond. 200 of depth 5, not 100: on the
# training rows of this script read on 100 documents of each proxy (offline), the decision's
# net gain rose on all four (WP +44, ProThemes +39, leave-WordNet-out +38, leave-Moby-out +55
# tokens); end to end (quality.py --limit 100, same run) WER cut +0.1 / +0.9 / +0.4 / +0.6
# points, texthumanize -0.7; `check` speed on new clean text unchanged (stage 6 skips
# confidently clean text). Deeper trees (7) or 300 of them gained no more on the engines.
REFINE_TREES = {"max_iter": 200, "max_depth": 5, "learning_rate": 0.1, "random_state": 0}


def fit_refine(docs: list[tuple[str, str, Config, str]], out: Path) -> None:
    """Fit stage 6 on every training document, spun and clean, analysed through stage 5 with
    the calibration just written: the unit model on each refined unit (substituted or not),
    the suggestion model on the substituted ones whose stage-4 posterior clears
    ``SUGGESTION_THRESHOLD`` (is the best candidate exactly the original?)."""
    from sklearn.ensemble import HistGradientBoostingClassifier  # only to fit: pip install scikit-learn

    from despin.detector import refine
    from despin.forest import Forest, export

    X: list[list[float]] = []
    y: list[int] = []
    right: list[int] = []
    stage4: list[float] = []
    kinds: list[str] = []
    for spun, text, cfg, kind in docs:
        originals = originals_by_span(spun, text)
        changed = {k for i1, i2 in originals for k in range(i1, i2)}
        for doc, label in ((spun, 1), (text, 0)):
            a = analyse(doc, cfg)  # (no refine.json yet: stage 6 leaves the units as they are)
            units, rows = refine.features(a)
            for u, row in zip(units, rows):
                spun_unit = label == 1 and any(k in changed for k in range(u.i, u.j))
                best = u.cands[u.ranking.index(max(u.ranking))].text
                X.append(row)
                y.append(int(spun_unit))
                right.append(int(spun_unit and originals.get((u.i, u.j)) == best))
                stage4.append(u.posterior)
                kinds.append(kind if label else "clean")
    Xa, ya, ra, pa = np.array(X), np.array(y), np.array(right), np.array(stage4)
    if os.environ.get("DESPIN_REFINE_DATA"):  # the training matrix, for experiments
        np.savez(os.environ["DESPIN_REFINE_DATA"], X=Xa, y=ya, right=ra, stage4=pa, kind=np.array(kinds))
    unit = HistGradientBoostingClassifier(**REFINE_TREES).fit(Xa[:, :-1], ya)
    sel = (ya == 1) & (pa >= SUGGESTION_THRESHOLD)
    suggestion = HistGradientBoostingClassifier(**REFINE_TREES).fit(Xa[sel], ra[sel])
    data = {"unit": export(unit), "suggestion": export(suggestion),
            "recipe": {"units": len(ya), "substituted": int(ya.sum()), "suggestion_units": int(sel.sum()),
                       "suggestion_right": int(ra[sel].sum()), "trees": REFINE_TREES, "floor": refine.REFINE_FLOOR}}
    # The exported arrays must answer as scikit-learn does.
    gap = np.abs(Forest(data["unit"]).predict(Xa[:200, :-1]) - unit.predict_proba(Xa[:200, :-1])[:, 1]).max()
    assert gap < 1e-9, gap
    out.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"refine: {len(ya)} units ({int(ya.sum())} substituted), suggestion model on {int(sel.sum())}",
          file=sys.stderr)


def fit_final(docs: list[tuple[str, str, Config, str]]) -> np.ndarray:
    """The report's document score (`despin.detector.posterior.final_score`): a logistic
    model of `Analysis.final_features`, read through every stage (stage 6's trees just
    written), on the simulator rows as the stage-4 document model. Measured on the
    real-engine dev spins (100 documents each, originals as negatives): AUC 0.967 -> 0.980
    (ProThemes), 0.988 -> 0.997 (WP); leave-one-resource-out Moby 0.974 -> 0.986."""
    X: list[list[float]] = []
    y: list[int] = []
    for spun, text, cfg, kind in docs:
        if kind.startswith("dictionary-"):
            continue
        for doc, label in ((spun, 1), (text, 0)):
            X.append(analyse(doc, cfg).final_features())
            y.append(label)
    w = fit_logistic(np.array(X), np.array(y), l2=0.1)
    print("final document weights", np.round(w, 3).tolist(), file=sys.stderr)
    return w


def phrase_length_share(docs: list[tuple[str, str, Config, str]]) -> tuple[float, int]:
    """What replacing a spun phrase by a shorter wrong suggestion still saves, per word of
    length it removes: `despin.report.replaces` weighs a span of k words whose best suggestion
    has m < k by the expected gain k·P(right) + r·(k − m)·P(spun, wrong) − k·P(clean); r is
    this share. Measured on the spans `check` reports over a whole substituted block whose
    suggestion is not the original: edit distance to the original before minus after
    replacing that span alone, summed, over the sum of k − m. Returns (r, spans)."""
    from despin import check
    from despin.evaluate import word_edit_distance
    from despin.tokenize import tokenize

    saved = removed = n = 0
    for spun, text, cfg, _ in docs:
        originals = originals_by_span(spun, text)
        tokens = tokenize(spun)
        starts = {t.start: k for k, t in enumerate(tokens)}
        ot = [w.lower() for w in token_strings(text)]
        before = word_edit_distance([t.text.lower() for t in tokens], ot)
        for span in check(spun, config=cfg).spans:
            if not span.suggestions:
                continue
            best = span.suggestions[0].text
            k, m = len(token_strings(span.text)), len(token_strings(best))
            i = starts.get(span.start)
            if m >= k or i is None or originals.get((i, i + k)) in (None, best.lower()):
                continue
            after = word_edit_distance([w.lower() for w in token_strings(spun[: span.start] + best + spun[span.end:])], ot)
            saved += before - after
            removed += k - m
            n += 1
    return (saved / removed if removed else 0.0), n


def detect_calibration_reload() -> None:
    from despin import calibration

    calibration._load.cache_clear()
    calibration.screen_weights.cache_clear()
    calibration.suggestion_weights.cache_clear()
    calibration.rerank_weights.cache_clear()
    calibration.refine_models.cache_clear()


if __name__ == "__main__":
    main()
