"""Token buckets: burst, refill at the rate, Retry-After, independent keys, bounded memory."""

from __future__ import annotations

import pytest

from serving.ratelimit import Decision, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_allows_the_burst_then_refuses_with_the_time_to_the_next_token() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=5, clock=clock)
    assert [limiter.take("u").allowed for _ in range(5)] == [True] * 5
    refused = limiter.take("u")
    assert refused == Decision(False, 0.5)
    assert refused.retry_after_header == "1"  # whole seconds, rounded up, never 0


def test_tokens_refill_at_the_rate_up_to_the_burst_only() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    for _ in range(3):
        limiter.take("u")
    clock.now += 1.0  # two tokens back
    assert [limiter.take("u").allowed for _ in range(3)] == [True, True, False]
    clock.now += 3600  # a long pause refills to the burst, not beyond
    assert [limiter.take("u").allowed for _ in range(4)] == [True, True, True, False]


def test_sustained_traffic_is_held_to_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10.0, burst=10, clock=clock)
    allowed = 0
    for _ in range(1000):  # 100 requests a second for 10 s
        allowed += limiter.take("u").allowed
        clock.now += 0.01
    assert 10 + 100 - 1 <= allowed <= 10 + 100 + 1


def test_keys_have_their_own_buckets() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, clock=Clock())
    assert limiter.take("alice").allowed
    assert not limiter.take("alice").allowed
    assert limiter.take("bob").allowed


def test_retry_after_for_a_slow_rate_is_rounded_up() -> None:
    limiter = RateLimiter(rate=0.1, burst=1, clock=Clock())
    limiter.take("u")
    decision = limiter.take("u")
    assert decision.retry_after_s == pytest.approx(10.0)
    assert decision.retry_after_header == "10"


def test_memory_is_bounded_by_forgetting_the_least_recently_used_key() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, max_keys=2, clock=Clock())
    limiter.take("a")
    limiter.take("b")
    limiter.take("a")  # a is now the most recent
    limiter.take("c")
    assert len(limiter) == 2
    assert not limiter.take("a").allowed  # still remembered (empty)
    assert limiter.take("b").allowed  # forgotten: starts full again


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_nonsense_limits_are_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(rate=rate, burst=burst)
