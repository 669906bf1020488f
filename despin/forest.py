"""Gradient-boosted trees as plain arrays, evaluated with numpy.

``scripts/calibrate.py`` fits scikit-learn's ``HistGradientBoostingClassifier`` and writes
each fitted ensemble with `export`; despin ships only those numbers and evaluates them here
(scikit-learn is needed to fit, never to run). A tree is a table of nodes: the feature
tested, the threshold (``x <= threshold`` goes left), the two children and the leaf value;
a leaf points to itself on both sides (its threshold is moot), so walking every tree ``depth`` steps for every row
at once lands each row on its leaf.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_FORMAT = "despin-forest"


class Forest:
    """A binary classifier: P(y = 1 | x) = logistic(base + Σ leaf values)."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != _FORMAT or data.get("version") != 1:
            from .errors import DataError

            raise DataError("unknown forest format; rebuild with scripts/calibrate.py")
        self.base = float(data["base"])
        self.n_features = int(data["n_features"])
        trees = data["trees"]
        width = max(len(t["feature"]) for t in trees)

        def table(key: str, dtype: Any, pad: float) -> np.ndarray:
            out = np.full((len(trees), width), pad, dtype=dtype)
            for k, t in enumerate(trees):
                out[k, : len(t[key])] = t[key]
            return out

        feature = table("feature", np.intp, 0)
        threshold = table("threshold", np.float64, 0.0)
        left = table("left", np.intp, 0)
        right = table("right", np.intp, 0)
        value = table("value", np.float64, 0.0)
        # Flattened: node g of the whole forest is tree g // width, node g % width; its
        # children are children[2g] (x <= threshold) and children[2g + 1].
        offset = (np.arange(len(trees)) * width)[:, None]
        self.feature = feature.ravel()
        self.threshold = threshold.ravel()
        self.value = value.ravel()
        self.children = np.stack([left + offset, right + offset], axis=-1).ravel()
        self.roots = offset
        self.depth = int(data["depth"])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """P(y = 1) for each row of ``X`` (rows × ``n_features``)."""
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected rows of {self.n_features} features, got shape {X.shape}")
        flat = np.ascontiguousarray(X, dtype=np.float64).ravel()
        starts = np.arange(len(X)) * self.n_features
        node = np.broadcast_to(self.roots, (len(self.roots), len(X)))
        for _ in range(self.depth):
            x = flat.take(self.feature.take(node) + starts)
            node = self.children.take(2 * node + (x > self.threshold.take(node)))
        raw = self.base + self.value.take(node).sum(axis=0)
        return 1.0 / (1.0 + np.exp(-np.clip(raw, -50.0, 50.0)))


def export(model: Any) -> dict[str, Any]:
    """The arrays of a fitted binary ``HistGradientBoostingClassifier`` (scikit-learn ≥ 1.0),
    in the format `Forest` reads."""
    trees = []
    depth = 0
    for (predictor,) in model._predictors:  # one tree per iteration for a binary classifier
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        idx = np.arange(len(nodes))
        trees.append({
            "feature": np.where(leaf, 0, nodes["feature_idx"]).astype(int).tolist(),
            "threshold": [0.0 if lf else float(th) for lf, th in zip(leaf, nodes["num_threshold"])],
            "left": np.where(leaf, idx, nodes["left"]).astype(int).tolist(),
            "right": np.where(leaf, idx, nodes["right"]).astype(int).tolist(),
            "value": [float(v) if lf else 0.0 for lf, v in zip(leaf, nodes["value"])],
        })
        depth = max(depth, int(nodes["depth"].max()))
    return {
        "format": _FORMAT,
        "version": 1,
        "base": float(np.ravel(model._baseline_prediction)[0]),
        "n_features": int(model.n_features_in_),
        "depth": depth,
        "trees": trees,
    }
