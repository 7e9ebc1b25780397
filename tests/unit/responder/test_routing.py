"""Model profile routing and retries with backoff."""

from __future__ import annotations

import asyncio
import random

import pytest

from processors.responder import (
    RetryPolicy,
    RoutingConfig,
    acall_with_retries,
    backoff_delays,
    call_with_retries,
    choose_profile,
)


def test_quality_goes_to_premium_tiers_and_sensitive_intents_until_load_is_high() -> None:
    assert choose_profile("premium", "greeting", 0.5) == "quality"
    assert choose_profile("free", "complaint", 0.5) == "quality"
    assert choose_profile("free", "complaint", 0.6) == "fast"
    assert choose_profile("premium", "complaint", 0.85) == "fast"
    assert choose_profile("free", "x", 0.0, RoutingConfig(quality_intents=("x",))) == "quality"


def test_backoff_grows_exponentially_is_capped_and_jitter_only_shortens() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay_s=0.5, max_delay_s=3.0, jitter=0.5)
    plain = backoff_delays(RetryPolicy(max_attempts=6, base_delay_s=0.5, max_delay_s=3.0, jitter=0.0))
    assert plain == [0.5, 1.0, 2.0, 3.0, 3.0]
    jittered = backoff_delays(policy, random.Random(1))
    assert all(p / 2 <= j <= p for p, j in zip(plain, jittered, strict=True))
    assert jittered == backoff_delays(policy, random.Random(1))


def test_the_last_error_is_raised_after_max_attempts() -> None:
    calls: list[int] = []

    def down() -> str:
        calls.append(1)
        raise ConnectionError("down")

    waits: list[float] = []
    with pytest.raises(ConnectionError):
        call_with_retries(down, RetryPolicy(max_attempts=3), sleep=waits.append)
    assert len(calls) == 3 and len(waits) == 2


def test_errors_not_listed_are_not_retried() -> None:
    calls: list[int] = []

    def bad() -> str:
        calls.append(1)
        raise ValueError("bad request")

    with pytest.raises(ValueError):
        call_with_retries(bad, retry_on=(TimeoutError,), sleep=lambda s: None)
    assert len(calls) == 1


def test_no_retry_starts_past_the_deadline() -> None:
    now = [0.0]
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        now[0] += 5.0
        raise TimeoutError

    with pytest.raises(TimeoutError):
        call_with_retries(slow, RetryPolicy(max_attempts=5, deadline_s=5.0), sleep=lambda s: None, clock=lambda: now[0])
    assert len(calls) == 1


def test_the_async_twin_retries_with_the_given_sleep() -> None:
    attempts: list[int] = []
    waits: list[float] = []

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 2:
            raise TimeoutError
        return "ok"

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    assert asyncio.run(acall_with_retries(flaky, RetryPolicy(jitter=0.0), sleep=sleep)) == "ok"
    assert waits == [0.2]
