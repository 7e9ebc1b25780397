"""Shorter consumer fetch waits for Faust than the 1.5 s it hard-codes.

faust-streaming passes ``fetch_max_wait_ms=1500`` to aiokafka with no setting to change it. A broker that
answers a fetch only when the wait expires, or once ``fetch_min_bytes`` have arrived, then holds every quiet
partition for 1.5 s: on the embedded broker that was most of the produce -> enriched latency at 1,000 events/s.
This installs an ``AIOKafkaConsumer`` subclass (Faust looks the class up on the ``aiokafka`` module when it
creates a consumer) that caps the wait at ``KEFU_CONSUMER_FETCH_WAIT_MS``.
"""

from __future__ import annotations

from typing import Any

import aiokafka

_ORIGINAL = aiokafka.AIOKafkaConsumer


def cap_fetch_wait(max_wait_ms: int) -> None:
    """Make every consumer Faust creates from now on wait at most ``max_wait_ms`` for fetch data."""

    class _CappedWaitConsumer(_ORIGINAL):  # type: ignore[misc,valid-type]
        def __init__(self, *topics: Any, **kwargs: Any) -> None:
            kwargs["fetch_max_wait_ms"] = min(int(kwargs.get("fetch_max_wait_ms", max_wait_ms)), max_wait_ms)
            super().__init__(*topics, **kwargs)

    aiokafka.AIOKafkaConsumer = _CappedWaitConsumer
