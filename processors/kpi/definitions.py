"""What each KPI counts, as plain functions of one record (docs/kpis.md says the same in words).

The offline ClickHouse view ``kpi_hourly`` implements these same definitions in SQL; a merge test checks that
both agree on the same events, so change them only together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Final

#: Emotions that count as negative (the EnrichedEvent.sentiment.emotion enum has angry, anxious, satisfied, neutral).
NEGATIVE_EMOTIONS: Final = frozenset({"angry", "anxious"})
#: The intent label the tagger gives a customer message when no intent is confident enough.
UNKNOWN_INTENT: Final = "unknown"
#: Intent of a row when there is none (an untagged message, or a reply whose message is not known).
NO_INTENT: Final = ""
#: Channel of a feedback row whose conversation is not known.
NO_CHANNEL: Final = ""
CSAT_RANGE: Final = range(1, 6)
#: Latency quantiles a snapshot carries, as (field name, level).
LATENCY_QUANTILES: Final = (("latency_p50_ms", 0.5), ("latency_p95_ms", 0.95), ("latency_p99_ms", 0.99))


def is_customer_message(enriched: dict[str, Any]) -> bool:
    """Volume counts EnrichedEvents written by the customer; bot, agent and system events are not contacts."""
    return bool(enriched.get("role") == "customer")


def intent_of(enriched: dict[str, Any]) -> str:
    """The message's intent: its label, ``'unknown'`` when not confident, ``''`` when it was not tagged."""
    intent = enriched.get("intent")
    return intent if isinstance(intent, str) else NO_INTENT


def is_negative(enriched: dict[str, Any]) -> bool:
    """True when the message's emotion is angry or anxious; a message without sentiment is not negative."""
    sentiment = enriched.get("sentiment")
    return isinstance(sentiment, dict) and sentiment.get("emotion") in NEGATIVE_EMOTIONS


def csat_of(feedback: dict[str, Any]) -> int | None:
    """The CSAT rating (1-5) a Feedback carries, or None (no rating, or outside 1-5: ignored)."""
    csat = feedback.get("csat")
    return csat if isinstance(csat, int) and csat in CSAT_RANGE else None


def window_start(ts_ms: int, window_ms: int) -> int:
    """Start of the tumbling window holding ``ts_ms``; windows are aligned on the Unix epoch (UTC).

    >>> window_start(3_600_000 * 5 + 1234, 3_600_000)
    18000000
    >>> window_start(-1, 60_000)
    -60000
    """
    return ts_ms - ts_ms % window_ms


def quantile_exact(ordered: Sequence[float], level: float) -> float | None:
    """ClickHouse's ``quantileExact(level)``: the element at index ``floor(level * n)`` of the sorted values.

    No interpolation, so it is always an observed value (for an even count the median is the upper middle).

    >>> quantile_exact([1, 2, 3, 4, 5, 6], 0.5)
    4.0
    >>> quantile_exact([10, 20, 30], 0.99)
    30.0
    >>> quantile_exact([], 0.5) is None
    True
    """
    if not ordered:
        return None
    return float(ordered[min(int(level * len(ordered)), len(ordered) - 1)])


def snapshot_id(tenant: str, channel: str, intent: str, start_ms: int, end_ms: int, partition: int) -> str:
    """Deterministic KpiSnapshot id: the same window of the same partition always gets the same id.

    A replay or a correction therefore overwrites the row in the idempotent store instead of adding one.

    >>> snapshot_id("acme", "web", "", 0, 60_000, 0) == snapshot_id("acme", "web", "", 0, 60_000, 0)
    True
    >>> snapshot_id("acme", "web", "", 0, 60_000, 0) == snapshot_id("acme", "web", "", 0, 60_000, 1)
    False
    """
    key = "\x1f".join(("kpi.v1", tenant, channel, intent, str(start_ms), str(end_ms), str(partition)))
    return hashlib.sha256(key.encode()).hexdigest()[:32]
