"""Small builders of the decoded records the KPI aggregator consumes (only the fields it reads, plus ids)."""

from __future__ import annotations

from typing import Any

MINUTE = 60_000
T0 = 1_795_000_020_000 - 1_795_000_020_000 % (60 * MINUTE)  # an hour boundary


def message(
    event_id: str,
    conversation: str,
    ts: int,
    *,
    tenant: str = "acme",
    channel: str = "web",
    intent: str | None = "refund",
    emotion: str | None = "neutral",
    role: str = "customer",
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "conversation_id": conversation,
        "tenant_id": tenant,
        "channel": channel,
        "role": role,
        "intent": intent,
        "sentiment": None if emotion is None else {"polarity": "neutral", "score": 0.0, "emotion": emotion},
        "ts": ts,
    }


def reply(
    event_id: str, in_reply_to: str, conversation: str, ts: int, latency_ms: int, *, tenant: str = "acme"
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "in_reply_to": in_reply_to,
        "conversation_id": conversation,
        "tenant_id": tenant,
        "channel": "web",
        "latency_ms": latency_ms,
        "handoff": None,
        "ts": ts,
    }


def handoff(event_id: str, conversation: str, ts: int, *, intent: str | None = "refund") -> dict[str, Any]:
    return {
        "event_id": event_id,
        "conversation_id": conversation,
        "tenant_id": "acme",
        "channel": "web",
        "reason": "customer_request",
        "intent": intent,
        "ts": ts,
    }


def feedback(event_id: str, conversation: str, ts: int, csat: int | None) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "conversation_id": conversation,
        "tenant_id": "acme",
        "user_id": "u1",
        "source": "customer",
        "csat": csat,
        "resolved": None,
        "ts": ts,
    }
