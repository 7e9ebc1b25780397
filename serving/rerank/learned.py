"""Kefu's learned reranker: logistic regression over dense, BM25, lexical and word-mismatch features,
optionally with gradient-boosted trees stacked on its score (``serving.rerank.stacked``).

No cross-encoder ships weights here (STACK.md), so relevance is learned from question pairs
(``jobs.train_reranker``, AFQMC train) over features of each candidate (``serving.rerank.features``).
The model is a small JSON file: weights, feature scaling, the flattened trees when the training kept them, and
the calibration curves fitted on held-out data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from serving.protocols import Embedder, Passage
from serving.rerank.features import DENSE_NAMES, HASH_BUCKETS, dense_features, word_buckets
from serving.rerank.stacked import STACK_NAMES, linear_logits, stack_features
from serving.rerank.trees import TreeEnsemble
from serving.retrieval.calibration import Calibrator

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LinearModel:
    """``sigmoid(((x - mean) / scale) . weights + sum(hash_weights[hashed buckets]) + intercept)``."""

    model_id: str
    weights: FloatArray
    mean: FloatArray
    scale: FloatArray
    intercept: float
    hash_weights: FloatArray | None = None

    def predict(self, dense: FloatArray, buckets: Sequence[Sequence[int]] | None) -> FloatArray:
        logits = ((dense - self.mean) / self.scale) @ self.weights + self.intercept
        if self.hash_weights is not None and buckets is not None:
            hash_weights = self.hash_weights
            logits = logits + np.asarray([hash_weights[list(b)].sum() for b in buckets], dtype=np.float32)
        probabilities: FloatArray = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return probabilities

    def to_json(self) -> dict[str, Any]:
        hashed = None
        if self.hash_weights is not None:
            # Buckets whose weight rounds away change no ranking; dropping them halves the file.
            kept = np.flatnonzero(np.abs(self.hash_weights) >= 5e-4)
            hashed = {str(int(i)): round(float(self.hash_weights[i]), 4) for i in kept}
        return {
            "model_id": self.model_id,
            "features": list(DENSE_NAMES),
            "weights": [round(float(v), 6) for v in self.weights],
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "intercept": round(self.intercept, 6),
            "hash_buckets": HASH_BUCKETS,
            "hash_weights": hashed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearModel:
        if list(data["features"]) != list(DENSE_NAMES) or data["hash_buckets"] != HASH_BUCKETS:
            raise ValueError("reranker model was trained on other features than this code computes: retrain it")
        hash_weights = None
        if data.get("hash_weights") is not None:
            hash_weights = np.zeros(HASH_BUCKETS, dtype=np.float32)
            for index, value in data["hash_weights"].items():
                hash_weights[int(index)] = value
        return cls(
            str(data["model_id"]),
            np.asarray(data["weights"], dtype=np.float32),
            np.asarray(data["mean"], dtype=np.float32),
            np.asarray(data["scale"], dtype=np.float32),
            float(data["intercept"]),
            hash_weights,
        )


def default_model_path(tuned_embedder: str | None = None) -> Path:
    """The shipped model: fitted on e5-small's cosines, or on those of a fine-tuned e5 when one is named."""
    name = "reranker.json" if tuned_embedder is None else f"reranker-{tuned_embedder}.json"
    return Path(str(resources.files("serving.rerank") / "model" / name))


def load_trees(data: dict[str, Any] | None) -> TreeEnsemble | None:
    """The stacked trees of a model file (``None`` when it has none); refuses trees over other features."""
    if data is None:
        return None
    if list(data["features"]) != list(STACK_NAMES):
        raise ValueError("reranker trees were trained on other features than this code computes: retrain it")
    return TreeEnsemble.from_json(data["trees"])


def stacked_scores(trees: TreeEnsemble, dense: FloatArray, probabilities: FloatArray) -> FloatArray:
    """The trees' probability for each candidate of one list, from its features and the linear probability."""
    raw = trees.decision(stack_features(dense, linear_logits(probabilities)))
    scores: FloatArray = (1.0 / (1.0 + np.exp(-raw))).astype(np.float32)
    return scores


class LearnedReranker:
    """Scores candidates for a query with the shipped (or a given) model; ``[0, 1]``, higher is better.

    The model is the linear one, or (when the file holds trees) the trees stacked on the linear score.

    Candidates carry their retrieval scores in ``metadata`` (``Retriever`` puts them there). A passage without
    ``dense_score`` is embedded with ``embedder`` when one is given, so the reranker also works on bare passages.
    """

    def __init__(self, path: Path | None = None, *, embedder: Embedder | None = None) -> None:
        data = json.loads((path or default_model_path()).read_text(encoding="utf-8"))
        self.model = LinearModel.from_json(data["model"])
        self.trees = load_trees(data.get("trees"))
        self.calibrator = Calibrator.from_json(data.get("calibration", {}))
        self.model_id: str = str(data.get("model_id", self.model.model_id))
        self.embedder = embedder

    def score(self, query: str, passages: Sequence[Passage]) -> list[float]:
        if not passages:
            return []
        passages = self._with_dense_scores(query, passages)
        hashed = word_buckets(query, passages) if self.model.hash_weights is not None else None
        dense = dense_features(query, passages)
        scores = self.model.predict(dense, hashed)
        if self.trees is not None:
            scores = stacked_scores(self.trees, dense, scores)
        return [float(s) for s in scores]

    def _with_dense_scores(self, query: str, passages: Sequence[Passage]) -> Sequence[Passage]:
        missing = [i for i, p in enumerate(passages) if "dense_score" not in p.metadata]
        if not missing or self.embedder is None:
            return passages
        from dataclasses import replace

        q = self.embedder.embed_queries([query])[0]
        vectors = self.embedder.embed_passages([passages[i].text for i in missing])
        out = list(passages)
        for i, vector in zip(missing, vectors, strict=True):
            out[i] = replace(out[i], metadata={**out[i].metadata, "dense_score": f"{float(q @ vector):.6f}"})
        return out
