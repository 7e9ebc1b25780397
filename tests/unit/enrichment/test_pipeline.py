"""The enrichment chain with the shipped models: masking first, tags on customer messages only."""

from __future__ import annotations

from typing import Any

import pytest
from fastavro.validation import validate

from processors.dedupe import Deduplicator
from processors.enrichment import EnrichmentPipeline
from processors.intent import load_default_intent_model
from processors.pii import PiiMasker
from processors.sentiment import load_default_sentiment_model
from schemas.catalog import schema


@pytest.fixture(scope="module")
def pipeline() -> EnrichmentPipeline:
    return EnrichmentPipeline(
        masker=PiiMasker(),
        intent_model=load_default_intent_model(),
        sentiment_model=load_default_sentiment_model(),
        deduplicator=Deduplicator(),
    )


def event(
    event_id: str, text: str, *, role: str = "customer", ts: int = 1_700_000_000_000, **extra: Any
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "conversation_id": "conv-1",
        "tenant_id": "acme",
        "channel": "web",
        "user_id": extra.get("user_id", "u1"),
        "role": role,
        "text": text,
        "ts": ts,
        "locale": "zh-CN",
        "metadata": extra.get("metadata", {}),
        "attachments": None,
    }


def test_customer_message_is_masked_and_tagged(pipeline: EnrichmentPipeline) -> None:
    phone = "13812345678"
    [out] = pipeline([event("e1", f"我要退货，电话{phone}，太慢了气死我了")])
    assert out is not None
    assert phone not in out["text"] and "[PHONE_1]" in out["text"]
    assert out["pii_entities"] == [{"type": "PHONE", "start": 7, "end": 18, "placeholder": "[PHONE_1]"}]
    assert out["intent"] == "return_refund"
    assert out["intents"][0]["label"] == "return_refund"
    assert out["sentiment"]["polarity"] == "negative"
    assert out["sentiment"]["emotion"] == "angry"
    assert set(out["model_versions"]) == {"intent", "sentiment"}
    assert validate(out, schema("EnrichedEvent").parsed, raise_errors=True)


def test_a_customer_id_that_is_a_phone_number_is_pseudonymised_and_an_agent_id_is_not(
    pipeline: EnrichmentPipeline,
) -> None:
    first, second, agent, plain = pipeline(
        [
            event("p1", "我的快递到哪了", user_id="wx_13812345678"),
            event("p2", "订单还没发货", user_id="wx_13812345678", ts=1_700_000_100_000),
            event("p3", "您好，我来处理", role="agent", user_id="agent-7"),
            event("p4", "发票怎么开", user_id="user-4213", ts=1_700_000_200_000),
        ]
    )
    assert first is not None and second is not None and agent is not None and plain is not None
    assert first["user_id"].startswith("pii:") and "13812345678" not in first["user_id"]
    assert second["user_id"] == first["user_id"]  # the same customer keeps one id
    assert (agent["user_id"], plain["user_id"]) == ("agent-7", "user-4213")
    assert validate(first, schema("EnrichedEvent").parsed, raise_errors=True)


def test_neutral_question_is_not_negative(pipeline: EnrichmentPipeline) -> None:
    [out] = pipeline([event("e2", "请问发票怎么开？")])
    assert out is not None
    assert out["sentiment"]["polarity"] == "neutral"
    assert out["intent"] == "invoice"


def test_agent_message_is_masked_but_not_tagged(pipeline: EnrichmentPipeline) -> None:
    [out] = pipeline([event("e3", "您好，已给 zhang.wei@example.com 发邮件", role="agent")])
    assert out is not None
    assert "example.com" not in out["text"]
    assert out["intent"] is None and out["sentiment"] is None and out["intents"] == []


def test_metadata_values_are_masked_too(pipeline: EnrichmentPipeline) -> None:
    [out] = pipeline([event("e4", "你好", metadata={"contact": "手机13812345678", "order": "2024052112345678"})])
    assert out is not None
    assert out["metadata"] == {"contact": "手机[PHONE_1]", "order": "2024052112345678"}


def test_duplicates_in_a_batch_come_back_as_none_in_place(pipeline: EnrichmentPipeline) -> None:
    batch = [event("d1", "物流到哪了"), event("d1", "物流到哪了"), event("d2", "物流到哪了", ts=1_700_000_001_000)]
    outs = pipeline(batch)
    assert outs[0] is not None and outs[0]["event_id"] == "d1"
    assert outs[1] is None  # exact
    assert outs[2] is None  # near: same text one second later


def test_empty_batch_gives_nothing(pipeline: EnrichmentPipeline) -> None:
    assert pipeline([]) == []
