"""Calibration weights fitted by ``scripts/calibrate.py``, loaded once per process.

The file ``despin/data/calibration.json`` holds logistic-regression weights for the
per-unit posterior and for the document score, fitted on the project's own simulator
output (see the script for the exact recipe). Without it the detector falls back to the
uncalibrated noisy-channel formula.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any

_FORMAT = "despin-calibration"


def logistic(z: float) -> float:
    """1 / (1 + e^-z), with z clipped to ±50: every probability the fitted models and EM give."""
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def logit(p: float, eps: float = 1e-6) -> float:
    """log(p / (1 − p)) with p clipped to [eps, 1 − eps]: a posterior as stage 6c
    (`despin.core.weigh_neural_margins`) and its fit (`scripts/calibrate_neural.py --margins`)
    both read it."""
    p = min(max(p, eps), 1.0 - eps)
    return math.log(p / (1.0 - p))


@lru_cache(maxsize=1)
def _load() -> dict[str, Any] | None:
    try:
        raw = resources.files("despin").joinpath("data", "calibration.json").read_text("utf-8")
    except FileNotFoundError:
        return None
    data = json.loads(raw)
    if data.get("format") != _FORMAT or data.get("version") != 1:
        from .errors import DataError

        raise DataError("despin/data/calibration.json: unknown format; rebuild with scripts/calibrate.py")
    return data


def unit_weights() -> list[float] | None:
    d = _load()
    return list(d["unit"]) if d and d.get("unit") else None


def doc_weights() -> list[float] | None:
    d = _load()
    return list(d["doc"]) if d and d.get("doc") else None


def final_weights() -> list[float] | None:
    """The document score read after stage 6 (`Analysis.final_features`); None: stage 4's."""
    d = _load()
    return list(d["final"]) if d and d.get("final") else None


@lru_cache(maxsize=1)
def screen_weights() -> tuple[float, ...] | None:
    d = _load()
    return tuple(d["screen"]) if d and d.get("screen") else None


@lru_cache(maxsize=1)
def suggestion_weights() -> tuple[float, ...] | None:
    """P(best suggestion is exactly the original | span spun), logistic; None: use the LM share."""
    d = _load()
    return tuple(d["suggestion"]) if d and d.get("suggestion") else None


@lru_cache(maxsize=1)
def rerank_weights() -> tuple[float, ...] | None:
    """The re-ranker's conditional-logit weights over `despin.detector.ranking.candidate_features`;
    None: suggestions keep the order of their odds."""
    d = _load()
    return tuple(d["rerank"]) if d and d.get("rerank") else None


def neural_weight() -> float | None:
    """Stage 5c's weight on the neural model's log-probabilities (`despin.detector.ranking.
    neural_rerank`); None: the stage is off (fitted without it)."""
    d = _load()
    w = d.get("neural") if d else None
    return float(w) if w is not None else None


def neural_margin_weights() -> tuple[float, float, float] | None:
    """Stage 5c's reading of the words as written: (a, b, c) in P(substituted) =
    σ(a · logit(posterior) + b · margin + c), the margin being how much likelier the neural
    model reads the best candidate than the words as written (`despin.core.
    weigh_neural_margins`); None: not fitted, the posteriors stand."""
    d = _load()
    w = d.get("neural_margin") if d else None
    return (float(w[0]), float(w[1]), float(w[2])) if w else None


@lru_cache(maxsize=2)
def refine_models(neural: bool = False) -> tuple[Any, Any] | None:
    """Stage 6's fitted trees (unit posterior, best suggestion), from ``despin/data/refine.json``
    (`despin.forest`), or for a document stage 5c read (``neural``) from
    ``despin/data/refine-neural.json`` (fitted through it); None without the file: the
    stage-4 posteriors stand."""
    name = "refine-neural.json" if neural else "refine.json"
    try:
        raw = resources.files("despin").joinpath("data", name).read_text("utf-8")
    except FileNotFoundError:
        return None
    from .forest import Forest

    data = json.loads(raw)
    return Forest(data["unit"]), Forest(data["suggestion"])
