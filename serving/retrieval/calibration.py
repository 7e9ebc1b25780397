"""Calibrated confidence: maps a top passage's score to the probability that it is relevant.

Fitted on a validation split (``jobs.train_reranker``), so 0.8 means that about 80% of top passages with that
score were relevant: Platt scaling (what the shipped model uses: it extrapolates beyond the validation scores)
or an isotonic curve stored as monotone piecewise-linear knots.
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

        >>> curve = Curve.fit(np.array([0.1, 0.2, 0.8, 0.9] * 50), np.array([0, 0, 1, 1] * 50))
        >>> round(curve(0.05), 3), round(curve(0.95), 3)
        (0.045, 0.955)
        """
        order = np.argsort(scores, kind="stable")
        xs, ys = np.asarray(scores, dtype=float)[order], np.asarray(relevant, dtype=float)[order]
        fitted = _isotonic(ys)
        grid = np.unique(np.quantile(xs, np.linspace(0, 1, knots)))
        values = np.interp(grid, xs, fitted)
        return cls(tuple(float(v) for v in grid), tuple(float(v) for v in values))


def _pool_adjacent_violators(
    ys: np.ndarray[Any, Any], weights: np.ndarray[Any, Any] | None = None
) -> tuple[list[float], list[float]]:
    """Blocks (means, weights) of the non-decreasing fit closest to ``ys`` in weighted squared error."""
    means: list[float] = []
    counts: list[float] = []
    for y, w in zip(ys, weights if weights is not None else np.ones(len(ys)), strict=True):
        means.append(float(y))
        counts.append(float(w))
        while len(means) > 1 and means[-2] >= means[-1]:  # equal steps pool too: a step is one block
            total = means[-2] * counts[-2] + means[-1] * counts[-1]
            counts[-2] += counts[-1]
            means[-2] = total / counts[-2]
            means.pop()
            counts.pop()
    return means, counts


def _isotonic(ys: np.ndarray[Any, Any], prior_weight: float = 10.0) -> np.ndarray[Any, Any]:
    """Isotonic regression whose blocks are shrunk toward the overall rate by ``prior_weight`` pseudo-counts.

    A block of three hits is not a probability of 1.0; shrinking it, then pooling again, keeps the fit monotone.
    """
    means, counts = _pool_adjacent_violators(ys)
    prior = float(np.mean(ys)) if len(ys) else 0.0
    shrunk = [(m * c + prior * prior_weight) / (c + prior_weight) for m, c in zip(means, counts, strict=True)]
    means2, counts2 = _pool_adjacent_violators(np.asarray(shrunk), np.asarray(counts))
    return np.repeat(means2, np.asarray(counts2, dtype=int))


@dataclass(frozen=True)
class Platt:
    """``sigmoid(a * logit(score) + b)`` (``logit=False``: ``a * score + b``): Platt scaling.

    Unlike an isotonic curve it extrapolates: a score above every validation score still maps higher, which
    matters when a knowledge base is easier than the data the calibration was fitted on.
    """

    a: float
    b: float
    logit: bool = True

    def __call__(self, value: float) -> float:
        x = _logit(value) if self.logit else value
        return float(1.0 / (1.0 + np.exp(-(self.a * x + self.b))))

    @classmethod
    def fit(cls, scores: np.ndarray[Any, Any], relevant: np.ndarray[Any, Any], *, logit: bool = True) -> Platt:
        """Maximum likelihood by Newton's method (two parameters; a weak prior keeps them finite).

        >>> rng = np.random.default_rng(0)
        >>> p = rng.uniform(0.05, 0.95, 4000)
        >>> platt = Platt.fit(p, rng.uniform(0, 1, 4000) < p)
        >>> round(platt(0.8), 1)
        0.8
        """
        s = np.asarray(scores, dtype=float)
        x = np.column_stack([np.vectorize(_logit)(s) if logit else s, np.ones(len(s))])
        y = np.asarray(relevant, dtype=float)
        w = np.zeros(2)
        for _ in range(50):
            p = 1.0 / (1.0 + np.exp(-(x @ w)))
            gradient = x.T @ (p - y) + 1e-3 * w
            hessian = (x * (p * (1 - p))[:, None]).T @ x + 1e-3 * np.eye(2)
            step = np.linalg.solve(hessian, gradient)
            w -= step
            if np.abs(step).max() < 1e-9:
                break
        return cls(float(w[0]), float(w[1]), logit)


def _logit(value: float) -> float:
    p = min(max(float(value), 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


@dataclass(frozen=True)
class Calibrator:
    """One curve per kind of score (``rerank``: the reranker's top score, ``dense``: the top cosine)."""

    curves: dict[str, Curve | Platt] = field(default_factory=dict)
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
        curves: dict[str, Any] = {}
        for kind, curve in self.curves.items():
            if isinstance(curve, Platt):
                curves[kind] = {"type": "platt", "a": curve.a, "b": curve.b, "logit": curve.logit}
            else:
                curves[kind] = {"type": "isotonic", "x": curve.x, "y": curve.y}
        return {"model_id": self.model_id, "curves": curves}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibrator:
        curves: dict[str, Curve | Platt] = {}
        for kind, v in data.get("curves", {}).items():
            if v.get("type") == "platt":
                curves[kind] = Platt(float(v["a"]), float(v["b"]), bool(v["logit"]))
            else:
                curves[kind] = Curve(tuple(v["x"]), tuple(v["y"]))
        return cls(curves, data.get("model_id"))

    @classmethod
    def load(cls, path: Path) -> Calibrator:
        return cls.from_json(json.loads(path.read_text()))
