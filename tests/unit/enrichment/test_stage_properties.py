"""Property tests of the inbound stage with the shipped enrichment chain: whatever bytes arrive, every record
becomes one enriched event, one dead letter or one counted duplicate, the stage never raises, and a phone number
planted in a message reaches neither output (set off from other digits: "139123456780" is twelve digits, which
is not a phone number and must stay, as order numbers do).

Hypothesis generates contract-valid events (any Unicode text and ids, any long timestamp, metadata, attachments;
the phone planted in text, metadata values and customers' ids) and then breaks some of their wire bytes:
truncation, a flipped byte, random bytes, an empty or missing value.
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processors.dedupe import Deduplicator
from processors.enrichment import EnrichmentPipeline
from processors.intent import load_default_intent_model
from processors.pii import PiiMasker
from processors.sentiment import load_default_sentiment_model
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams.inbound import InboundStage
from streams.records import InRecord

ENRICHED, DEADLETTER = "prop.enriched", "prop.deadletter"
PHONE = "13912345678"

REGISTRY = registry_client(f"mock://stage-properties-{uuid.uuid4()}")
INBOUND = AvroCodec(REGISTRY, schema("ConversationEvent"))
ENRICHED_CODEC = AvroCodec(REGISTRY, schema("EnrichedEvent"))
DEADLETTER_CODEC = AvroCodec(REGISTRY, schema("DeadLetter"))
MASKER, INTENT, SENTIMENT = PiiMasker(), load_default_intent_model(), load_default_sentiment_model()

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)  # Avro strings are UTF-8: no surrogates
chinese = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80) | st.sampled_from("，。？！ 0123"), max_size=30
)
attachment = st.fixed_dictionaries(
    {"url": text, "mime_type": text, "name": st.none() | text, "size_bytes": st.none() | st.integers(0, 2**40)}
)
events = st.fixed_dictionaries(
    {
        "event_id": st.uuids().map(str) | text,
        "conversation_id": st.sampled_from(["c1", "c2", " ", ""]) | text,
        "tenant_id": st.sampled_from(["acme", "globex", "*", ""]) | text,
        "channel": st.sampled_from(["web", "app", "wechat", "email", "phone", "api"]),
        "user_id": text,
        "role": st.sampled_from(["customer", "bot", "agent", "system"]),
        "text": st.one_of(text, chinese, chinese.map(lambda t: f"{t}电话{PHONE}。{t}"), st.just(" \u3000\u200b")),
        "ts": st.integers(-(2**63), 2**63 - 1),
        "locale": st.sampled_from(["zh-CN", "en", ""]),
        "metadata": st.dictionaries(text, text | st.just(f"回电 {PHONE}"), max_size=3),
        "attachments": st.none() | st.lists(attachment, max_size=2),
    }
)


@st.composite
def customer_ids_that_are_phones(draw: st.DrawFn) -> dict[str, Any]:
    """A customer's event whose user id is the planted phone (a pseudonym must replace it)."""
    return {**draw(events), "role": "customer", "user_id": draw(st.sampled_from([PHONE, f"wx_{PHONE}"]))}


@st.composite
def wire_values(draw: st.DrawFn) -> bytes | None:
    """An encoded event, sometimes broken on the way."""
    value = INBOUND.encode(draw(events | customer_ids_that_are_phones()))
    damage = draw(st.sampled_from(["none", "none", "truncate", "flip", "random", "empty", "missing"]))
    if damage == "truncate":
        return value[: draw(st.integers(0, max(len(value) - 1, 0)))]
    if damage == "flip":
        at = draw(st.integers(0, len(value) - 1))
        return value[:at] + bytes([value[at] ^ draw(st.integers(1, 255))]) + value[at + 1 :]
    if damage == "random":
        return draw(st.binary(max_size=80))
    return {"empty": b"", "missing": None}.get(damage, value)


@given(st.lists(wire_values(), min_size=1, max_size=12))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_record_ends_as_one_output_or_a_counted_duplicate_and_no_planted_phone_leaves(
    values: list[bytes | None],
) -> None:
    stage = InboundStage(
        INBOUND,
        ENRICHED_CODEC,
        DEADLETTER_CODEC,
        enriched_topic=ENRICHED,
        deadletter_topic=DEADLETTER,
        max_text_chars=50,
        enricher=EnrichmentPipeline(  # a fresh dedupe state per example, so each example stands alone
            masker=MASKER, intent_model=INTENT, sentiment_model=SENTIMENT, deduplicator=Deduplicator()
        ),
    )
    records = [InRecord("conversations.inbound", 0, offset, b"k", value) for offset, value in enumerate(values)]

    outputs = stage.process(records)

    assert len(outputs) + stage.counts.dropped == len(records)
    for out in outputs:
        assert out.topic in (ENRICHED, DEADLETTER)
        decoded: dict[str, Any] = (ENRICHED_CODEC if out.topic == ENRICHED else DEADLETTER_CODEC).decode(out.value)
        assert PHONE not in str(decoded) and PHONE.encode() not in out.key
        if out.topic == DEADLETTER:
            assert decoded["error_class"] and decoded["reason"]
