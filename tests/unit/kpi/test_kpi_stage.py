"""The KPI agent's framework-free stage: Avro in, KpiSnapshot records out, bad records to dead letters."""

from __future__ import annotations

import uuid
from typing import Any

from kefu.settings import Settings
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams.kpi_agent import KpiStage, kpi_stage
from streams.records import InRecord
from tests.unit.kpi.records import MINUTE, T0


def enriched(event_id: str, ts: int) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "conversation_id": "c1",
        "tenant_id": "acme",
        "channel": "app",
        "user_id": "u1",
        "role": "customer",
        "text": "我的快递到哪了",
        "ts": ts,
        "intent": "delivery",
        "intent_confidence": 0.9,
        "sentiment": {"polarity": "negative", "score": -0.6, "emotion": "angry", "emotion_confidence": 0.8},
        "enriched_ts": ts + 5,
    }


def make_stage() -> tuple[KpiStage, AvroCodec, AvroCodec]:
    client = registry_client(f"mock://kpi-{uuid.uuid4()}")
    settings = Settings(kpi_window_s=60, kpi_allowed_lateness_s=0)
    stage = kpi_stage(settings, client)
    return stage, AvroCodec(client, schema("EnrichedEvent")), AvroCodec(client, schema("KpiSnapshot"))


def test_records_are_decoded_counted_and_emitted_as_avro_snapshots_keyed_by_tenant() -> None:
    stage, codec, snapshots = make_stage()
    records = [
        InRecord("conversations.enriched", 1, i, b"c1", codec.encode(enriched(f"m{i}", T0 + i))) for i in range(3)
    ]
    records.append(InRecord("conversations.enriched", 1, 3, b"c1", codec.encode(enriched("m9", T0 + MINUTE))))

    assert stage.consume(records) == []
    [out] = stage.close()  # the watermark of partition 1 is T0 + MINUTE: the first window is complete

    snapshot = snapshots.decode(out.value)
    assert (out.topic, out.key) == ("kpi.snapshots", b"acme")
    assert (snapshot["channel"], snapshot["intent"], snapshot["window_start"]) == ("app", "delivery", T0)
    assert (snapshot["customer_messages"], snapshot["conversations"], snapshot["negative_emotion"]) == (3, 1, 3)


def test_an_undecodable_record_becomes_a_dead_letter_and_the_rest_are_counted() -> None:
    stage, codec, _ = make_stage()
    records = [
        InRecord("conversations.replies", 0, 7, b"c1", b"not avro"),
        InRecord("conversations.enriched", 0, 0, b"c1", codec.encode(enriched("m1", T0))),
    ]

    [dead] = stage.consume(records)

    letter = stage.deadletters.decode(dead.value)
    assert (dead.topic, letter["error_class"], letter["stage"]) == ("deadletter", "undecodable", "kpi")
    assert (letter["source_topic"], letter["source_offset"]) == ("conversations.replies", 7)
    assert stage.aggregator.open_windows == 1


def test_partitions_given_away_are_forgotten() -> None:
    stage, codec, _ = make_stage()
    stage.consume([InRecord("conversations.enriched", p, 0, b"c", codec.encode(enriched(f"m{p}", T0))) for p in (0, 1)])

    stage.forget_unassigned({1})

    assert stage.aggregator.partitions == {1}
    assert set(stage.watermarks.current()) == {1}
