"""Routing: which model profile answers (fast or quality), and retries with exponential backoff.

Everything here is pure: :func:`choose_profile` is a function of tier, intent and a load signal;
:func:`backoff_delays` computes the waits from a seeded random source; :func:`call_with_retries` and
:func:`acall_with_retries` take the sleep function (and a clock for the deadline) as arguments, so tests
run them instantly.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

__all__ = [
    "ModelProfile",
    "RetryPolicy",
    "RoutingConfig",
    "acall_with_retries",
    "backoff_delays",
    "call_with_retries",
    "choose_profile",
]

ModelProfile = Literal["fast", "quality"]
T = TypeVar("T")


@dataclass(frozen=True)
class RoutingConfig:
    """When the quality profile is worth its cost.

    Attributes
    ----------
    quality_tiers
        Tenant tiers that get the quality profile whenever load allows.
    quality_intents
        Intents that get the quality profile under moderate load (money, complaints, repairs).
    moderate_load
        Load (0..1) above which only ``quality_tiers`` still get the quality profile.
    high_load
        Load above which everyone gets the fast profile.
    """

    quality_tiers: tuple[str, ...] = ("enterprise", "premium")
    quality_intents: tuple[str, ...] = (
        "return_refund",
        "complaint",
        "repair_warranty",
        "payment_issue",
        "damaged_item",
        "wrong_or_missing_item",
    )
    moderate_load: float = 0.6
    high_load: float = 0.85


def choose_profile(
    tier: str,
    intent: str | None,
    load: float,
    config: RoutingConfig = RoutingConfig(),
) -> ModelProfile:
    """The generator profile for one answer.

    ``load`` is a 0..1 signal of how busy the quality replicas are (queue length over capacity, say).

    Examples
    --------
    >>> choose_profile("free", "shipping_fee", 0.1), choose_profile("free", "return_refund", 0.1)
    ('fast', 'quality')
    >>> choose_profile("free", "return_refund", 0.7), choose_profile("enterprise", "greeting", 0.7)
    ('fast', 'quality')
    >>> choose_profile("enterprise", "return_refund", 0.9)
    'fast'
    """
    if load >= config.high_load:
        return "fast"
    if tier in config.quality_tiers:
        return "quality"
    if intent in config.quality_intents and load < config.moderate_load:
        return "quality"
    return "fast"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter.

    Attempt ``k`` (0-based) waits ``min(max_delay_s, base_delay_s * multiplier**k)`` scaled by a random
    factor in ``[1 - jitter, 1]`` before the next try ("equal-ish" jitter that never exceeds the cap).

    Attributes
    ----------
    max_attempts
        Tries in all, the first included.
    base_delay_s, multiplier, max_delay_s
        The backoff curve.
    jitter
        Fraction of each delay that is randomised, 0..1.
    deadline_s
        Give up once this long has passed since the first try (no new attempt starts after it).
    """

    max_attempts: int = 3
    base_delay_s: float = 0.2
    multiplier: float = 2.0
    max_delay_s: float = 2.0
    jitter: float = 0.5
    deadline_s: float = 10.0


def backoff_delays(policy: RetryPolicy, rng: random.Random | None = None) -> list[float]:
    """The waits between attempts (``max_attempts - 1`` of them).

    >>> backoff_delays(RetryPolicy(max_attempts=5, jitter=0.0))
    [0.2, 0.4, 0.8, 1.6]
    >>> all(0.1 <= d <= 0.2 for d in backoff_delays(RetryPolicy(max_attempts=2), random.Random(7)))
    True
    """
    source = rng or random.Random()
    delays = []
    for attempt in range(policy.max_attempts - 1):
        cap = min(policy.max_delay_s, policy.base_delay_s * policy.multiplier**attempt)
        delays.append(round(cap * (1.0 - policy.jitter * source.random()), 6))
    return delays


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy = RetryPolicy(),
    *,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> T:
    """``call()``, retried on ``retry_on`` with backoff; the last error is raised when all tries fail.

    >>> attempts, waits = [], []
    >>> def flaky() -> str:
    ...     attempts.append(1)
    ...     if len(attempts) < 3:
    ...         raise TimeoutError("model busy")
    ...     return "ok"
    >>> call_with_retries(flaky, RetryPolicy(jitter=0.0), sleep=waits.append), waits
    ('ok', [0.2, 0.4])
    """
    delays = backoff_delays(policy, rng)
    started = clock()
    for attempt in range(policy.max_attempts):
        try:
            return call()
        except retry_on:
            last = attempt == policy.max_attempts - 1
            if last or clock() - started + delays[attempt] > policy.deadline_s:
                raise
            sleep(delays[attempt])
    raise AssertionError("unreachable")  # pragma: no cover


async def acall_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy = RetryPolicy(),
    *,
    sleep: Callable[[float], Awaitable[object]],
    retry_on: tuple[type[BaseException], ...] = (Exception,),
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> T:
    """The ``async`` twin of :func:`call_with_retries` (pass ``asyncio.sleep`` in production).

    >>> import asyncio
    >>> async def no_sleep(seconds: float) -> None: ...
    >>> async def ok() -> int:
    ...     return 42
    >>> asyncio.run(acall_with_retries(ok, sleep=no_sleep))
    42
    """
    delays = backoff_delays(policy, rng)
    started = clock()
    for attempt in range(policy.max_attempts):
        try:
            return await call()
        except retry_on:
            last = attempt == policy.max_attempts - 1
            if last or clock() - started + delays[attempt] > policy.deadline_s:
                raise
            await sleep(delays[attempt])
    raise AssertionError("unreachable")  # pragma: no cover
