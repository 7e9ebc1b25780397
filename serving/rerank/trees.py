"""Gradient-boosted trees as plain arrays: fitted with scikit-learn, stored as JSON, evaluated with numpy.

The next reranker (docs/decisions.md: a tree model stacked on the logistic score) must ship as a small JSON
file like the current one and score 50 candidates in milliseconds without scikit-learn's private pickles, so
the fitted ensemble is flattened into node arrays here and walked level by level for all rows and trees at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class TreeEnsemble:
    """Raw score = ``baseline`` + the leaf value each tree reaches; nodes of all trees are concatenated.

    At a split node, a row goes left when its feature is ``<= threshold`` (or, for a missing value, when
    ``missing_left``); ``left`` / ``right`` / ``roots`` are indices into the concatenated node arrays.
    """

    baseline: float
    roots: IntArray
    feature: IntArray
    threshold: FloatArray
    left: IntArray
    right: IntArray
    missing_left: BoolArray
    leaf: BoolArray
    value: FloatArray

    @classmethod
    def from_sklearn(cls, model: Any) -> TreeEnsemble:
        """Flatten a fitted binary ``HistGradientBoostingClassifier`` (or a regressor) without categorical splits."""
        baseline = float(np.asarray(model._baseline_prediction).reshape(-1)[0])
        parts: list[Any] = []
        roots: list[int] = []
        offset = 0
        for per_iteration in model._predictors:
            if len(per_iteration) != 1:
                raise ValueError("only binary classification or regression ensembles can be flattened")
            nodes = per_iteration[0].nodes
            if nodes["is_categorical"].any():
                raise ValueError("categorical splits are not supported")
            roots.append(offset)
            parts.append((nodes, offset))
            offset += len(nodes)
        if not parts:
            raise ValueError("the model has no trees")

        def column(name: str, dtype: Any, shift: bool = False) -> Any:
            return np.concatenate(
                [np.asarray(nodes[name], dtype=dtype) + (base if shift else 0) for nodes, base in parts]
            )

        return cls(
            baseline,
            np.asarray(roots, dtype=np.int64),
            column("feature_idx", np.int64),
            column("num_threshold", np.float64),
            column("left", np.int64, shift=True),
            column("right", np.int64, shift=True),
            column("missing_go_to_left", np.bool_),
            column("is_leaf", np.bool_),
            column("value", np.float64),
        )

    def decision(self, x: npt.ArrayLike) -> FloatArray:
        """Raw scores (log-odds for a classifier) of the rows of ``x``."""
        rows = np.asarray(x, dtype=np.float64)
        if rows.ndim != 2:
            raise ValueError("x must be a 2-d array of feature rows")
        current = np.broadcast_to(self.roots, (len(rows), len(self.roots))).copy()
        row_index = np.arange(len(rows))[:, None]
        while not self.leaf[current].all():
            values = rows[row_index, self.feature[current]]
            go_left = np.where(np.isnan(values), self.missing_left[current], values <= self.threshold[current])
            step = np.where(go_left, self.left[current], self.right[current])
            current = np.where(self.leaf[current], current, step)
        scores: FloatArray = self.baseline + self.value[current].sum(axis=1)
        return scores

    def to_json(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "roots": self.roots.tolist(),
            "feature": self.feature.tolist(),
            "threshold": self.threshold.tolist(),
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "missing_left": self.missing_left.astype(int).tolist(),
            "leaf": self.leaf.astype(int).tolist(),
            "value": self.value.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TreeEnsemble:
        return cls(
            float(data["baseline"]),
            np.asarray(data["roots"], dtype=np.int64),
            np.asarray(data["feature"], dtype=np.int64),
            np.asarray(data["threshold"], dtype=np.float64),
            np.asarray(data["left"], dtype=np.int64),
            np.asarray(data["right"], dtype=np.int64),
            np.asarray(data["missing_left"], dtype=np.bool_),
            np.asarray(data["leaf"], dtype=np.bool_),
            np.asarray(data["value"], dtype=np.float64),
        )
