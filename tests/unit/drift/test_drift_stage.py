"""The drift agent's stage with real Avro codecs: records in, RetrainTrigger records out (debounced), bad records
to dead letters; and the trigger runner's skip and failure rules."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from jobs.registry import FileRegistry
from jobs.retrain import RetrainJob, TriggerRunner
from kefu.settings import Settings
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams import topics
from streams.drift_agent import DriftStage, drift_stage
from streams.records import InRecord

T0 = 1_795_219_200_000


def stage() -> tuple[DriftStage, Any]:
    client = registry_client(f"mock://drift-{uuid.uuid4()}")
    settings = Settings(drift_merge_window_s=5, drift_warmup=50)
    return drift_stage(settings, client, oov=None), client


def reply_record(client: Any, i: int, handoff: bool) -> InRecord:
    codec = AvroCodec(client, schema("BotReply"), f"{topics.REPLIES}-value")
    datum = {
        "event_id": f"r{i}", "in_reply_to": f"m{i}", "conversation_id": f"c{i}", "tenant_id": "acme",
        "channel": "web", "text": "好的", "citations": [], "confidence": 0.8, "latency_ms": 100,
        "model_profile": "fast", "handoff": {"reason": "low_confidence", "detail": ""} if handoff else None,
        "variant": None, "ts": T0 + i * 1000,
    }  # fmt: skip
    return InRecord(topics.REPLIES, 0, i, b"c", codec.encode(datum))


def test_a_rising_handoff_rate_gives_one_merged_trigger_once_the_merge_window_ends() -> None:
    drift, client = stage()
    rng = random.Random(3)
    records = [reply_record(client, i, rng.random() < (0.1 if i < 1500 else 0.5)) for i in range(3000)]
    emitted = [r for start in range(0, 3000, 500) for r in drift.consume(records[start : start + 500])]
    emitted += drift.close(T0 + 3000 * 1000 + 60_000)
    triggers = [r for r in emitted if r.topic == topics.RETRAIN]
    assert len(triggers) == 1 and not [r for r in emitted if r.topic == topics.DEADLETTER]
    codec = AvroCodec(client, schema("RetrainTrigger"), f"{topics.RETRAIN}-value")
    trigger = codec.decode(triggers[0].value)
    assert (trigger["tenant_id"], trigger["model"], trigger["metric"]) == ("acme", "generator", "handoff_rate")
    assert triggers[0].key == b"acme"
    assert float(trigger["evidence"]["mean_after"]) > float(trigger["evidence"]["mean_before"]) + 0.2
    assert drift.close(T0 + 10**9) == []  # emitted once


def test_an_undecodable_record_becomes_a_dead_letter_and_the_batch_goes_on() -> None:
    drift, client = stage()
    bad = InRecord(topics.FEEDBACK, 0, 7, b"c", b"not avro")
    out = drift.consume([bad, reply_record(client, 1, True)])
    assert [r.topic for r in out] == [topics.DEADLETTER]
    letter = AvroCodec(client, schema("DeadLetter"), f"{topics.DEADLETTER}-value").decode(out[0].value)
    assert (letter["source_topic"], letter["source_offset"], letter["stage"]) == (topics.FEEDBACK, 7, "drift")


class _NoData:
    def tables(self, model: str, trigger: Any) -> tuple[pa.Table, pa.Table]:
        raise ConnectionError("store unavailable")


def test_runner_skips_drift_triggers_after_a_recent_version_and_reports_failures(tmp_path: Path) -> None:
    registry = FileRegistry(tmp_path / "models", clock=lambda: datetime(2026, 11, 21, 8, tzinfo=UTC))
    runner = TriggerRunner(
        make_job=lambda: RetrainJob(registry, _NoData()),
        min_interval_s=600,
        clock=lambda: datetime(2026, 11, 21, 8, 5, tzinfo=UTC),
    )
    failed = runner.handle({"event_id": "drift-1", "model": "intent", "detector": "ADWIN"})
    assert (failed.action, failed.reason) == ("failed", "ConnectionError: store unavailable")
    registry.register("intent", lambda directory: (directory / "model.bin").write_bytes(b"x"))
    skipped = runner.handle({"event_id": "drift-2", "model": "intent", "detector": "ADWIN"})
    assert skipped.action == "skipped" and "v1 was registered 300s ago" in skipped.reason
    manual = runner.handle({"event_id": "manual-1", "model": "intent", "detector": "manual"})
    assert manual.action == "failed"  # not skipped: it reached the data
    later = TriggerRunner(
        make_job=runner.make_job,
        min_interval_s=600,
        clock=lambda: datetime(2026, 11, 21, 8, tzinfo=UTC) + timedelta(hours=1),
    )
    assert later.handle({"event_id": "drift-3", "model": "intent", "detector": "ADWIN"}).action == "failed"
    assert runner.handle({"event_id": "drift-4", "model": "generator", "detector": "ADWIN"}).action == "unsupported"
