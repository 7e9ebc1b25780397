"""A text-distribution signal from embeddings: distance of each message to the training data's centroid."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["CentroidDistance"]


class CentroidDistance:
    """Cosine distance (0..2) of message embeddings to the mean direction of a reference set.

    The reference is the embedded training texts of the model watched; the mean of the distances rises when
    customers start to talk about something else. Feed the values as metric ``text_centroid_distance``.

    >>> reference = np.array([[1.0, 0.0], [0.8, 0.2]])
    >>> CentroidDistance(reference)([[1.0, 0.1], [0.0, 1.0]]).round(3).tolist()
    [0.0, 0.878]
    """

    def __init__(self, reference: npt.ArrayLike) -> None:
        vectors = _unit_rows(np.asarray(reference, dtype=np.float64))
        centroid = vectors.mean(axis=0)
        norm = float(np.linalg.norm(centroid))
        if vectors.ndim != 2 or len(vectors) == 0 or norm == 0.0:
            raise ValueError("the reference needs at least one non-zero embedding")
        self._centroid = centroid / norm

    def __call__(self, vectors: npt.ArrayLike | Sequence[Sequence[float]]) -> npt.NDArray[np.float64]:
        rows = _unit_rows(np.atleast_2d(np.asarray(vectors, dtype=np.float64)))
        result: npt.NDArray[np.float64] = 1.0 - rows @ self._centroid
        return result


def _unit_rows(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    result: npt.NDArray[np.float64] = matrix / np.where(norms > 0, norms, 1.0)
    return result
