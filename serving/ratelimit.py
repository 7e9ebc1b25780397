"""Token buckets per key (a user, an IP address): ``rate`` tokens a second refill up to ``burst``.

Pure logic with an injected clock. Memory is bounded: the least recently used keys are forgotten first (a
forgotten key starts again with a full bucket, which only errs towards letting a request through).

>>> now = [0.0]
>>> limiter = RateLimiter(rate=1.0, burst=2, clock=lambda: now[0])
>>> [limiter.take("u1").allowed for _ in range(3)]
[True, True, False]
>>> limiter.take("u1").retry_after_s
1.0
>>> now[0] = 1.0
>>> limiter.take("u1").allowed
True
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after_s: float = 0.0
    """Seconds until one token is available again (0 when allowed)."""

    @property
    def retry_after_header(self) -> str:
        """Retry-After is whole seconds (RFC 9110); never 0 for a refusal."""
        return str(max(1, math.ceil(self.retry_after_s)))


class RateLimiter:
    """One token bucket per key."""

    def __init__(
        self, rate: float, burst: int, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate, self.burst, self.max_keys, self.clock = rate, float(burst), max_keys, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, updated at)

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, cost: float = 1.0) -> Decision:
        """Spend ``cost`` tokens of ``key``'s bucket if it has them."""
        now = self.clock()
        tokens, updated = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + max(0.0, now - updated) * self.rate)
        if tokens >= cost:
            decision, tokens = Decision(True), tokens - cost
        else:
            decision = Decision(False, (cost - tokens) / self.rate)
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return decision
