"""An in-memory chDB store for each test (one chDB engine per process: every test uses chdb://memory)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from streams.store.connection import connect
from streams.store.migrations import apply_migrations

MEMORY = "chdb://memory"
T0 = 1_795_219_200_000  # 2026-11-21T08:00:00Z


def fresh_store() -> Client:
    """The in-memory store emptied and migrated: the real tables, as the sink creates them."""
    client = connect(MEMORY)
    client.command("DROP DATABASE IF EXISTS kefu SYNC")
    client = connect(MEMORY)
    apply_migrations(client)
    return client


@pytest.fixture
def store() -> Iterator[Client]:
    client = fresh_store()
    yield client
    client.close()


def enriched(event_id: str, conversation: str, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "event_id": event_id,
        "conversation_id": conversation,
        "tenant_id": "acme",
        "channel": "web",
        "user_id": "u1",
        "role": "customer",
        "text": "我的快递到哪了？",
        "ts": T0,
        "locale": "zh-CN",
        "metadata": {},
        "pii_entities": [],
        "intent": "where_is_my_order",
        "intent_confidence": 0.9,
        "intents": [],
        "sentiment": None,
        "model_versions": {},
        "enriched_ts": T0 + 5,
    }
    record.update(overrides)
    return record


def reply(event_id: str, in_reply_to: str, conversation: str, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "event_id": event_id,
        "in_reply_to": in_reply_to,
        "conversation_id": conversation,
        "tenant_id": "acme",
        "channel": "web",
        "text": "明天送达。",
        "citations": [],
        "confidence": 0.8,
        "latency_ms": 100,
        "model_profile": "default",
        "handoff": None,
        "variant": None,
        "ts": T0 + 1000,
    }
    record.update(overrides)
    return record


def handoff(event_id: str, conversation: str, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "event_id": event_id,
        "conversation_id": conversation,
        "tenant_id": "acme",
        "channel": "web",
        "reason": "customer_request",
        "detail": "",
        "summary": "要人工",
        "slots": {},
        "intent": "where_is_my_order",
        "emotion": "angry",
        "priority": 3,
        "transcript": [],
        "ts": T0 + 2000,
    }
    record.update(overrides)
    return record


def feedback(event_id: str, conversation: str, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "event_id": event_id,
        "conversation_id": conversation,
        "tenant_id": "acme",
        "reply_id": None,
        "message_id": None,
        "user_id": "u1",
        "source": "customer",
        "csat": 5,
        "thumbs": None,
        "resolved": True,
        "corrected_intent": None,
        "corrected_polarity": None,
        "comment": None,
        "ts": T0 + 3000,
    }
    record.update(overrides)
    return record
