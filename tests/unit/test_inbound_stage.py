"""The inbound stage: every inbound record becomes one enriched event or one dead letter (or a counted drop)."""

from __future__ import annotations

import hashlib
import json
import struct
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from prometheus_client import REGISTRY

from schemas.catalog import AvroSchema, parse_schema, schema
from schemas.wire import AvroCodec, registry_client
from streams.inbound import InboundStage, passthrough_enricher
from streams.producer import OutRecord
from streams.records import InRecord

SOURCE = "conversations.inbound"
ENRICHED = "test.enriched"
DEADLETTER = "test.deadletter"
MAX_TEXT = 100


class Codecs:
    def __init__(self) -> None:
        self.client = registry_client(f"mock://inbound-{uuid.uuid4()}")
        self.inbound = AvroCodec(self.client, schema("ConversationEvent"))
        self.enriched = AvroCodec(self.client, schema("EnrichedEvent"))
        self.deadletter = AvroCodec(self.client, schema("DeadLetter"))

    def stage(self, **options: Any) -> InboundStage:
        return InboundStage(
            self.inbound,
            self.enriched,
            self.deadletter,
            enriched_topic=ENRICHED,
            deadletter_topic=DEADLETTER,
            max_text_chars=MAX_TEXT,
            **options,
        )


@pytest.fixture
def codecs() -> Codecs:
    return Codecs()


def event(n: int = 1, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": f"e{n}",
        "conversation_id": f"c{n}",
        "tenant_id": "acme",
        "channel": "web",
        "user_id": "u1",
        "role": "customer",
        "text": f"message {n}",
        "ts": 1_795_248_000_000 + n,
        "locale": "zh-CN",
        "metadata": {},
        "attachments": None,
    }
    base.update(overrides)
    return base


def record(value: bytes | None, offset: int = 0, partition: int = 3, key: bytes | None = b"k") -> InRecord:
    return InRecord(SOURCE, partition, offset, key, value)


def decoded_dead_letter(codecs: Codecs, out: OutRecord) -> dict[str, Any]:
    assert out.topic == DEADLETTER
    return codecs.deadletter.decode(out.value)


def single_dead_letter(codecs: Codecs, stage: InboundStage, source: InRecord) -> dict[str, Any]:
    outputs = stage.process([source])
    assert len(outputs) == 1
    return decoded_dead_letter(codecs, outputs[0])


# -- the good path -----------------------------------------------------------------------------------------------


def test_good_record_becomes_an_enriched_event_keyed_by_conversation(codecs: Codecs) -> None:
    stage = codecs.stage()
    [out] = stage.process([record(codecs.inbound.encode(event(7)))])
    assert out.topic == ENRICHED
    assert out.key == b"c7"
    enriched = codecs.enriched.decode(out.value)
    original = event(7)
    for name in ("event_id", "conversation_id", "tenant_id", "channel", "user_id", "role", "text", "ts"):
        assert enriched[name] == original[name], name
    assert (enriched["pii_entities"], enriched["intent"], enriched["sentiment"]) == ([], None, None)
    assert stage.counts.consumed == 1
    assert stage.counts.produced == 1
    assert stage.counts.dead_letters == {}


def test_outputs_keep_input_order(codecs: Codecs) -> None:
    stage = codecs.stage()
    values = [codecs.inbound.encode(event(n)) for n in range(5)]
    outputs = stage.process([record(v, offset=n) for n, v in enumerate(values)])
    assert [codecs.enriched.decode(o.value)["event_id"] for o in outputs] == [f"e{n}" for n in range(5)]


# -- dead letters ------------------------------------------------------------------------------------------------


def _garbage(codecs: Codecs) -> bytes:
    return struct.pack(">bI", 0, codecs.inbound.schema_id) + b"\xff" * 11


def _unknown_schema(codecs: Codecs) -> bytes:
    return struct.pack(">bI", 0, 4242) + codecs.inbound.encode(event())[5:]


def _not_framed(codecs: Codecs) -> bytes:
    return json.dumps(event()).encode()


def _truncated(codecs: Codecs) -> bytes:
    return codecs.inbound.encode(event())[:-4]


def _wrong_schema(codecs: Codecs) -> bytes:
    feedback = {"event_id": "f1", "conversation_id": "c1", "tenant_id": "acme", "user_id": "u1", "source": "agent",
                "reply_id": None, "message_id": None, "csat": None, "thumbs": None, "resolved": None,
                "corrected_intent": None, "comment": None, "ts": 1}  # fmt: skip
    return AvroCodec(codecs.client, schema("Feedback")).encode(feedback)


def _invalid_utf8(codecs: Codecs) -> bytes:
    data = codecs.inbound.encode(event(text="ab"))
    return data.replace(b"\x04ab", b"\x04\xc3\x28", 1)


def _empty_event_id(codecs: Codecs) -> bytes:
    return codecs.inbound.encode(event(event_id="  "))


def _oversized(codecs: Codecs) -> bytes:
    return codecs.inbound.encode(event(text="字" * (MAX_TEXT + 1)))


def _unknown_tenant(codecs: Codecs) -> bytes:
    return codecs.inbound.encode(event(tenant_id="intruder"))


def _blank_customer_text(codecs: Codecs) -> bytes:
    return codecs.inbound.encode(event(text=" \u3000\n"))


@pytest.mark.parametrize(
    ("make", "error_class", "stage_name", "tenant"),
    [
        (_garbage, "undecodable", "decode", None),
        (_unknown_schema, "unknown_schema", "decode", None),
        (_not_framed, "undecodable", "decode", None),
        (_truncated, "undecodable", "decode", None),
        (_wrong_schema, "wrong_schema", "decode", None),
        (_invalid_utf8, "invalid_utf8", "decode", None),
        (_empty_event_id, "invalid_field", "validate", "acme"),
        (_oversized, "oversized", "validate", "acme"),
        (_unknown_tenant, "unknown_tenant", "validate", "intruder"),
        (_blank_customer_text, "empty_text", "validate", "acme"),
    ],
)
def test_bad_record_becomes_exactly_one_dead_letter_with_the_reason_and_original(
    codecs: Codecs, make: Any, error_class: str, stage_name: str, tenant: str | None
) -> None:
    stage = codecs.stage(known_tenants=frozenset({"acme"}))
    value = make(codecs)
    outputs = stage.process([record(value, offset=41, partition=2, key=b"conv-key")])
    assert len(outputs) == 1
    assert outputs[0].key == b"conv-key"
    letter = decoded_dead_letter(codecs, outputs[0])
    assert letter["error_class"] == error_class
    assert letter["reason"]
    assert letter["stage"] == stage_name
    assert letter["tenant_id"] == tenant
    assert (letter["source_topic"], letter["source_partition"], letter["source_offset"]) == (SOURCE, 2, 41)
    assert letter["original_value"] is None  # raw bytes may be unmasked: identified by size and digest instead
    assert letter["original_size"] == len(value)
    assert letter["original_sha256"] == hashlib.sha256(value).hexdigest()
    assert letter["original_key"] == b"conv-key"
    assert stage.counts.dead_letters == {error_class: 1}
    assert stage.counts.produced == 0


def test_empty_text_is_dead_lettered_unless_the_event_is_a_system_event(codecs: Codecs) -> None:
    before = REGISTRY.get_sample_value("kefu_worker_dead_letters_total", {"error_class": "empty_text"}) or 0.0
    stage = codecs.stage()
    batch = [
        record(codecs.inbound.encode(event(1, text="")), offset=1),
        record(codecs.inbound.encode(event(2, role="system", text="")), offset=2),
        record(codecs.inbound.encode(event(3, role="agent", text="  ")), offset=3),
        record(codecs.inbound.encode(event(4)), offset=4),
    ]
    outputs = stage.process(batch)
    assert [o.topic for o in outputs] == [DEADLETTER, ENRICHED, DEADLETTER, ENRICHED]
    letter = decoded_dead_letter(codecs, outputs[0])
    assert letter["reason"] == "text is empty or whitespace only; only system events may have no text"
    assert [codecs.enriched.decode(o.value)["event_id"] for o in outputs if o.topic == ENRICHED] == ["e2", "e4"]
    assert stage.counts.dead_letters == {"empty_text": 2}
    after = REGISTRY.get_sample_value("kefu_worker_dead_letters_total", {"error_class": "empty_text"})
    assert after == before + 2


def test_empty_value_is_dead_lettered_as_undecodable(codecs: Codecs) -> None:
    letter = single_dead_letter(codecs, codecs.stage(), record(None, key=None))
    assert (letter["error_class"], letter["reason"]) == ("undecodable", "empty value")
    assert (letter["original_value"], letter["original_size"], letter["preview"]) == (None, 0, "")
    assert letter["original_key"] is None


def test_dead_letter_id_is_deterministic_for_the_same_source_position(codecs: Codecs) -> None:
    first = single_dead_letter(codecs, codecs.stage(), record(b"junk", offset=9))
    replay = single_dead_letter(codecs, codecs.stage(), record(b"junk", offset=9))
    elsewhere = single_dead_letter(codecs, codecs.stage(), record(b"junk", offset=10))
    other_partition = single_dead_letter(codecs, codecs.stage(), record(b"junk", offset=9, partition=4))
    assert first["event_id"] == replay["event_id"]
    assert len({first["event_id"], elsewhere["event_id"], other_partition["event_id"]}) == 3


def test_any_tenant_is_accepted_without_a_known_tenants_set(codecs: Codecs) -> None:
    [out] = codecs.stage().process([record(codecs.inbound.encode(event(tenant_id="intruder")))])
    assert out.topic == ENRICHED


# -- enrichment failures and drops -------------------------------------------------------------------------------


def failing_on(event_id: str) -> Any:
    def enricher(events: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
        if any(e["event_id"] == event_id for e in events):
            raise RuntimeError(f"model crashed on {event_id}")
        return passthrough_enricher(events)

    return enricher


def test_enricher_failing_on_one_event_dead_letters_only_that_event(codecs: Codecs) -> None:
    stage = codecs.stage(enricher=failing_on("e2"))
    batch = [record(codecs.inbound.encode(event(n)), offset=n) for n in range(1, 5)]
    outputs = stage.process(batch)
    assert [o.topic for o in outputs] == [ENRICHED, DEADLETTER, ENRICHED, ENRICHED]
    letter = decoded_dead_letter(codecs, outputs[1])
    assert letter["error_class"] == "processing_error"
    assert letter["stage"] == "enrich"
    assert "model crashed on e2" in letter["reason"]
    assert (letter["source_offset"], letter["tenant_id"]) == (2, "acme")
    assert letter["original_sha256"] == hashlib.sha256(batch[1].value or b"").hexdigest()
    assert [codecs.enriched.decode(o.value)["event_id"] for o in outputs if o.topic == ENRICHED] == ["e1", "e3", "e4"]
    assert stage.counts.produced == 3
    assert stage.counts.dead_letters == {"processing_error": 1}


def test_enricher_returning_none_drops_that_event_and_counts_it(codecs: Codecs) -> None:
    def drop_e2(events: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
        enriched = passthrough_enricher(events)
        return [None if e["event_id"] == "e2" else out for e, out in zip(events, enriched, strict=True)]

    stage = codecs.stage(enricher=drop_e2)
    outputs = stage.process([record(codecs.inbound.encode(event(n)), offset=n) for n in range(1, 4)])
    assert [codecs.enriched.decode(o.value)["event_id"] for o in outputs] == ["e1", "e3"]
    assert (stage.counts.consumed, stage.counts.produced, stage.counts.dropped) == (3, 2, 1)
    assert stage.counts.dead_letters == {}


def test_enricher_sees_only_events_that_passed_decoding_and_validation(codecs: Codecs) -> None:
    seen: list[str] = []

    def spy(events: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
        seen.extend(e["event_id"] for e in events)
        return passthrough_enricher(events)

    stage = codecs.stage(enricher=spy)
    stage.process([record(codecs.inbound.encode(event(1))), record(b"junk"), record(_oversized(codecs))])
    assert seen == ["e1"]


def test_counts_add_up_over_a_mixed_batch(codecs: Codecs) -> None:
    stage = codecs.stage(known_tenants=frozenset({"acme"}), enricher=failing_on("e5"))
    batch = [
        record(codecs.inbound.encode(event(1)), offset=1),
        record(b"junk", offset=2),
        record(_unknown_tenant(codecs), offset=3),
        record(codecs.inbound.encode(event(4)), offset=4),
        record(codecs.inbound.encode(event(5)), offset=5),
        record(_wrong_schema(codecs), offset=6),
    ]
    outputs = stage.process(batch)
    assert len(outputs) == len(batch)
    stage.process([record(codecs.inbound.encode(event(7)), offset=7)])
    assert stage.counts.consumed == 7
    assert stage.counts.produced == 3
    assert stage.counts.dropped == 0
    assert stage.counts.dead_letters == {
        "undecodable": 1,
        "unknown_tenant": 1,
        "processing_error": 1,
        "wrong_schema": 1,
    }


def test_older_writer_schema_is_enriched_not_dead_lettered(codecs: Codecs) -> None:
    older = schema("ConversationEvent").json
    older["fields"] = [f for f in older["fields"] if f["name"] != "attachments"]
    text = json.dumps(older)
    legacy = AvroCodec(codecs.client, AvroSchema("ConversationEvent", text, parse_schema(text)), "legacy-value")
    written = event(3)
    del written["attachments"]
    [out] = codecs.stage().process([record(legacy.encode(written))])
    assert out.topic == ENRICHED
    assert codecs.enriched.decode(out.value)["event_id"] == "e3"
