"""Enrichment on the real embedded platform: `kefu produce` -> Faust (dedupe, PII, intent, sentiment) -> enriched."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from tests.integration.conftest import Platform, read_topic

pytestmark = pytest.mark.slow

PHONE, ID_CARD, EMAIL = "13812345678", "11010519491231002X", "li.na@example.com"


def message(event_id: str, conversation: str, text: str, *, role: str = "customer", ts: int) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "conversation_id": conversation,
        "tenant_id": "acme",
        "channel": "web",
        "user_id": "u1",
        "role": role,
        "text": text,
        "ts": ts,
        "locale": "zh-CN",
        "metadata": {"note": f"回拨{PHONE}"},
    }


def test_messages_are_deduplicated_masked_and_tagged_before_reaching_the_enriched_topic(platform: Platform) -> None:
    run = uuid.uuid4().hex[:8]
    conversation = f"{run}-conv"
    now = int(time.time() * 1000)
    angry = f"气死我了！我要退货，电话{PHONE}，身份证{ID_CARD}"
    events = [
        message(f"{run}-1", conversation, angry, ts=now),
        message(f"{run}-1", conversation, angry, ts=now),  # producer retry: exact duplicate
        message(f"{run}-2", conversation, angry, ts=now + 2_000),  # flaky channel double send: near duplicate
        message(f"{run}-3", conversation, "请问发票怎么开？", ts=now + 5_000),
        message(f"{run}-4", conversation, f"已发送到 {EMAIL}", role="agent", ts=now + 6_000),
    ]
    produced = platform.kefu(
        "produce",
        "--topic",
        "conversations.inbound",
        stdin="\n".join(json.dumps(e, ensure_ascii=False) for e in events),
    )
    assert produced.returncode == 0, produced.stderr

    messages = read_topic(platform.status["kafka"], "conversations.enriched", run.encode(), expected=3)
    raw = b"".join(m.value() for m in messages)
    for secret in (PHONE, ID_CARD, EMAIL):
        assert secret.encode() not in raw
    decoder = AvroCodec(registry_client(platform.status["schema_registry"]), schema("EnrichedEvent"))
    by_id = {d["event_id"]: d for d in (decoder.decode(m.value()) for m in messages)}
    assert sorted(by_id) == [f"{run}-1", f"{run}-3", f"{run}-4"]  # both duplicates dropped

    first = by_id[f"{run}-1"]
    assert first["text"] == "气死我了！我要退货，电话[PHONE_1]，身份证[ID_CARD_1]"
    assert [e["type"] for e in first["pii_entities"]] == ["PHONE", "ID_CARD"]
    assert first["metadata"] == {"note": "回拨[PHONE_1]"}
    assert first["intent"] == "return_refund"
    assert first["sentiment"]["emotion"] == "angry" and first["sentiment"]["polarity"] == "negative"
    assert first["model_versions"]["intent"].startswith("intent@")

    question = by_id[f"{run}-3"]
    assert question["intent"] == "invoice" and question["sentiment"]["polarity"] == "neutral"

    agent = by_id[f"{run}-4"]
    assert agent["text"] == "已发送到 [EMAIL_1]"
    assert agent["intent"] is None and agent["sentiment"] is None
