"""Event-time watermarks per partition, which also advance with the wall clock while a partition is quiet."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class Watermarks:
    """The event time up to which a partition is taken as complete.

    ``watermark = newest ts seen + wall time since it arrived - allowed lateness``. The wall-clock term closes
    windows of a live stream that goes quiet; while a backlog is replayed events arrive back to back, so it
    stays near zero and old windows close by event time alone.

    >>> now = [10_000]
    >>> marks = Watermarks(allowed_lateness_ms=1_000, clock=lambda: now[0])
    >>> marks.observe(0, 5_000)
    >>> marks.current()
    {0: 4000}
    >>> now[0] += 2_500
    >>> marks.current()
    {0: 6500}
    """

    def __init__(self, allowed_lateness_ms: int, clock: Callable[[], int] = wall_clock_ms) -> None:
        self.allowed_lateness_ms = allowed_lateness_ms
        self._clock = clock
        self._newest: dict[int, tuple[int, int]] = {}  # partition -> (max event ts, wall time it arrived)

    def observe(self, partition: int, ts_ms: int) -> None:
        newest = self._newest.get(partition)
        if newest is None or ts_ms > newest[0]:
            self._newest[partition] = (ts_ms, self._clock())

    def current(self) -> dict[int, int]:
        now = self._clock()
        return {p: ts + max(0, now - arrived) - self.allowed_lateness_ms for p, (ts, arrived) in self._newest.items()}

    def forget(self, partitions: Iterable[int]) -> None:
        for partition in partitions:
            self._newest.pop(partition, None)
