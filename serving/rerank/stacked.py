"""The stacked reranker: gradient-boosted trees over the candidate features and the linear model's score.

The linear model (``serving.rerank.learned.LinearModel``) reads the words of a pair; the trees read its
log-odds next to the dense, BM25 and lexical features and where that score stands in the candidate list (gap
to the list's best, z-score within the list, rank), so they learn interactions a linear model cannot (a high
word score matters less when the dense similarity is already far below the best). ``jobs.train_reranker`` fits
the trees on out-of-fold linear scores; both ship in the same JSON model and score with numpy.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from serving.rerank.features import DENSE_NAMES

FloatArray = npt.NDArray[np.float64]

STACK_NAMES = (*DENSE_NAMES[:-1], "linear_logit", "linear_gap", "linear_z", "linear_rank")
"""Columns the trees read: the dense features without the bias, then the linear score and its list position."""


def linear_logits(probabilities: npt.ArrayLike) -> FloatArray:
    """Log-odds of the linear model's probabilities (clipped, so 0 and 1 stay finite)."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-6, 1 - 1e-6)
    logits: FloatArray = np.log(p / (1 - p))
    return logits


def list_position(scores: FloatArray) -> FloatArray:
    """``(n, 3)``: each score's gap to the list's best, z-score within the list and rank (0 = best; ties share).

    >>> list_position(np.array([2.0, 0.0, 2.0])).round(3).tolist()
    [[0.0, 0.707, 0.0], [-2.0, -1.414, 2.0], [0.0, 0.707, 0.0]]
    """
    if len(scores) == 0:
        return np.zeros((0, 3))
    gap = scores - scores.max()
    z = (scores - scores.mean()) / (scores.std() + 1e-6)
    # Rank by how many candidates score strictly higher: independent of the order candidates arrive in.
    rank = (scores[None, :] > scores[:, None]).sum(axis=1).astype(np.float64)
    return np.column_stack([gap, z, rank])


def stack_features(dense: npt.ArrayLike, logits: FloatArray, lists: npt.ArrayLike | None = None) -> FloatArray:
    """The trees' input rows; ``lists`` names the candidate list of each row (one list when omitted)."""
    x = np.asarray(dense, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(DENSE_NAMES) or len(x) != len(logits):
        raise ValueError("dense must be (n, len(DENSE_NAMES)) with one linear score per row")
    position = np.zeros((len(x), 3))
    if lists is None:
        position = list_position(logits)
    else:
        ids = np.asarray(lists)
        for list_id in np.unique(ids):
            rows = np.flatnonzero(ids == list_id)
            position[rows] = list_position(logits[rows])
    return np.column_stack([x[:, :-1], logits, position])
