"""The recent values of one series and where in them the change happened (the evidence of a trigger)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["RecentValues", "change_point"]


def change_point(values: npt.NDArray[np.float64], *, min_segment: int = 5) -> int:
    """Index where the mean of ``values`` most likely changed: the maximum of the centred cumulative sum.

    Detectors say *that* a change happened, ADWIN only roughly where (its buckets are coarse) and PageHinkley not
    at all; this least-squares split gives the before/after means of the evidence. Returns a split ``k`` so that
    ``values[:k]`` is before and ``values[k:]`` after, each at least ``min_segment`` long when possible.

    >>> change_point(np.array([0.0] * 30 + [1.0] * 10))
    30
    """
    n = len(values)
    if n < 2:
        return max(n - 1, 0)
    low, high = (min_segment, n - min_segment) if n >= 2 * min_segment + 1 else (1, n - 1)
    k = np.arange(1, n)
    sums = np.cumsum(values)[:-1]
    # Between-segment sum of squares of a split at k is (S_k - k*mean)^2 * n / (k * (n - k)).
    statistic = (sums - k * (sums[-1] + values[-1]) / n) ** 2 / (k * (n - k))
    statistic[: low - 1] = -1.0
    statistic[high:] = -1.0
    return int(np.argmax(statistic)) + 1


class RecentValues:
    """A fixed-size ring of the latest ``(ts, value)`` pairs in two numpy arrays (16 bytes a pair).

    >>> ring = RecentValues(3)
    >>> for i in range(5):
    ...     ring.append(i * 10, float(i))
    >>> ring.values().tolist(), ring.times().tolist(), len(ring)
    ([2.0, 3.0, 4.0], [20, 30, 40], 3)
    """

    __slots__ = ("_count", "_next", "_times", "_values")

    def __init__(self, size: int) -> None:
        if size < 2:
            raise ValueError("a ring needs room for at least two values")
        self._values = np.zeros(size, dtype=np.float64)
        self._times = np.zeros(size, dtype=np.int64)
        self._next = 0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, ts: int, value: float) -> None:
        self._values[self._next] = value
        self._times[self._next] = ts
        self._next = (self._next + 1) % len(self._values)
        self._count = min(self._count + 1, len(self._values))

    def _order(self) -> npt.NDArray[np.int64]:
        size = len(self._values)
        return (np.arange(self._count, dtype=np.int64) + self._next - self._count) % size

    def values(self) -> npt.NDArray[np.float64]:
        """Values, oldest first."""
        result: npt.NDArray[np.float64] = self._values[self._order()]
        return result

    def times(self) -> npt.NDArray[np.int64]:
        """Times, oldest first."""
        result: npt.NDArray[np.int64] = self._times[self._order()]
        return result
