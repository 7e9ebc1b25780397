"""One-vs-rest linear SVM weights and their out-of-fold scores.

A linear model keeps prediction to one sparse-times-dense product, which is what lets the stream tag
tens of thousands of messages a second on one core. Weights are always returned as a full
``(n_labels, n_features)`` matrix, so binary problems and cross-validation folds that miss a rare
label look the same to the caller.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.svm import LinearSVC

__all__ = ["LinearWeights", "fit_linear_svm", "out_of_fold_scores"]

LinearWeights = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]
IntArray = npt.NDArray[np.integer[Any]]

_ABSENT_LABEL_BIAS = -1.0  # a label missing from a fold's training part scores as a clear "no"


def fit_linear_svm(
    features: csr_matrix,
    targets: IntArray,
    n_labels: int,
    *,
    regularization: float,
    class_weight: str | None,
    seed: int,
) -> LinearWeights:
    """Fit one-vs-rest hinge-loss weights; return ``(weights, bias)`` over all ``n_labels``."""
    present = np.unique(targets)
    weights = np.zeros((n_labels, features.shape[1]), dtype=np.float32)
    bias = np.full(n_labels, _ABSENT_LABEL_BIAS, dtype=np.float32)
    if present.size == 1:
        bias[present[0]] = 1.0
        return weights, bias
    svm = LinearSVC(C=regularization, class_weight=class_weight, random_state=seed, max_iter=5000)
    svm.fit(features, targets)
    coef = np.asarray(svm.coef_, dtype=np.float32)
    intercept = np.asarray(svm.intercept_, dtype=np.float32)
    if present.size == 2:  # scikit-learn keeps one row for two classes: scores of class 1
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]], dtype=np.float32)
    weights[present] = coef
    bias[present] = intercept
    return weights, bias


def out_of_fold_scores(
    features: csr_matrix,
    targets: IntArray,
    n_labels: int,
    *,
    folds: int,
    regularization: float,
    class_weight: str | None,
    seed: int,
) -> npt.NDArray[np.float32]:
    """Decision scores of every row from a model that did not train on it."""
    smallest_label = int(np.bincount(targets).min(initial=0)) if targets.size else 0
    splitter: KFold | StratifiedKFold
    if smallest_label >= folds:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = np.zeros((features.shape[0], n_labels), dtype=np.float32)
    for train_rows, held_rows in splitter.split(features, targets):
        weights, bias = fit_linear_svm(
            features[train_rows],
            targets[train_rows],
            n_labels,
            regularization=regularization,
            class_weight=class_weight,
            seed=seed,
        )
        scores[held_rows] = features[held_rows] @ weights.T + bias
    return scores
