"""Calibrated confidence: maps a top passage's score to the probability that it is relevant.

Fitted by isotonic regression on a validation split (``jobs.train_reranker``) and stored as a monotone
piecewise-linear curve, so 0.8 means that about 80% of top passages with that score were relevant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Curve:
    """A monotone piecewise-linear map, flat outside its knots."""

    x: tuple[float, ...]
    y: tuple[float, ...]

    def __call__(self, value: float) -> float:
        return float(np.clip(np.interp(value, self.x, self.y), 0.0, 1.0))

    @classmethod
    def fit(cls, scores: np.ndarray[Any, Any], relevant: np.ndarray[Any, Any], knots: int = 32) -> Curve:
        """Isotonic fit of ``relevant`` (0/1) on ``scores``, thinned to at most ``knots`` points.

        >>> curve = Curve.fit(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1]))
        >>> curve(0.05), curve(0.95)
        (0.0, 1.0)
        """
        order = np.argsort(scores, kind="stable")
        xs, ys = np.asarray(scores, dtype=float)[order], np.asarray(relevant, dtype=float)[order]
        fitted = _pool_adjacent_violators(ys)
        grid = np.unique(np.quantile(xs, np.linspace(0, 1, knots)))
        values = np.interp(grid, xs, fitted)
        return cls(tuple(float(v) for v in grid), tuple(float(v) for v in values))


def _pool_adjacent_violators(ys: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The non-decreasing sequence closest to ``ys`` in squared error (isotonic regression, unit weights)."""
    means: list[float] = []
    counts: list[int] = []
    for y in ys:
        means.append(float(y))
        counts.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            total = means[-2] * counts[-2] + means[-1] * counts[-1]
            counts[-2] += counts[-1]
            means[-2] = total / counts[-2]
            means.pop()
            counts.pop()
    return np.repeat(means, counts)


@dataclass(frozen=True)
class Calibrator:
    """One curve per kind of score (``rerank``: the reranker's top score, ``dense``: the top cosine)."""

    curves: dict[str, Curve] = field(default_factory=dict)
    model_id: str | None = None
    """The reranker the ``rerank`` curve was fitted for; another reranker's scores pass through unchanged."""

    def calibrate(self, kind: str, score: float) -> float:
        curve = self.curves.get(kind)
        return curve(score) if curve is not None else float(np.clip(score, 0.0, 1.0))

    def for_reranker(self, model_id: str) -> Calibrator:
        """This calibrator, without the ``rerank`` curve if it was fitted for another reranker."""
        if model_id == self.model_id:
            return self
        return Calibrator({k: v for k, v in self.curves.items() if k != "rerank"}, self.model_id)

    @classmethod
    def identity(cls) -> Calibrator:
        return cls()

    def to_json(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "curves": {k: {"x": c.x, "y": c.y} for k, c in self.curves.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibrator:
        curves = {k: Curve(tuple(v["x"]), tuple(v["y"])) for k, v in data.get("curves", {}).items()}
        return cls(curves, data.get("model_id"))

    @classmethod
    def load(cls, path: Path) -> Calibrator:
        return cls.from_json(json.loads(path.read_text()))
