"""Issue 7's loop on the real embedded platform, without restarting a worker: a new intent appears in the stream,
agents correct it through Feedback, the drift agent emits a RetrainTrigger (stored in ClickHouse), the retrain agent
trains on the labels it reads from ClickHouse, promotes the candidate, the worker swaps it in on the ModelPromoted
record (the registry poll is set to 10 minutes, so only the event can do it) and predicts the new intent. Then
worse labels give a candidate that is rejected, with the reason in ClickHouse and in the registry."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from jobs.registry import FileRegistry
from jobs.retrain import RetrainParams
from jobs.retrain.data import held_out_bucket
from kefu.settings import Settings
from processors.intent.default import SAMPLE_DATA_DIR
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams.producer import BatchProducer, OutRecord, producer_config
from streams.store import StoreClient
from tests.integration.conftest import Platform, read_topic, start_platform, stop_platform

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
NEW_INTENT = "livestream_promo"
TENANT = "drift-shop"
HELD_OUT_FRACTION = RetrainParams().held_out_fraction


def livestream_messages() -> tuple[list[str], list[str]]:
    """(agent-labelled, never-labelled test) live-stream promotion messages, as in the unit test of the loop."""
    path = ROOT / "tests" / "unit" / "retrain" / "livestream_intent.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines()]
    return [t for i, t in enumerate(texts) if i % 4 != 3], [t for i, t in enumerate(texts) if i % 4 == 3]


def in_domain_messages() -> list[str]:
    """Customer messages the shipped intent model was not trained on (dialogue turns, sentiment test set)."""
    from processors.sentiment.sample_data import TEST_FILE

    dialogues = ROOT / "processors" / "dialogue" / "eval_data" / "dialogues.jsonl"
    turns = [t["text"] for line in dialogues.read_text("utf-8").splitlines() for t in json.loads(line)["turns"]]
    return turns + [json.loads(line)["text"] for line in TEST_FILE.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def drift_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    running = start_platform(
        tmp_path_factory.mktemp("kefu-drift"),
        ready_timeout_s=300,  # the shared 2-core machine can be very loaded
        KEFU_READY_TIMEOUT_S="240",
        KEFU_KPI_AGENT_ENABLED="false",
        KEFU_DRIFT_MERGE_WINDOW_S="3",
        KEFU_RETRAIN_SETTLE_S="2",
        KEFU_RETRAIN_MIN_CLASS_SIZE="10",
        KEFU_MODEL_POLL_S="600",  # the swap must come from the ModelPromoted record
    )
    yield running
    stop_platform(running)


class Sender:
    """Avro records onto the platform's topics, delivered before ``send`` returns."""

    def __init__(self, platform: Platform) -> None:
        client = registry_client(platform.status["schema_registry"])
        self.codecs = {
            name: AvroCodec(client, schema(name), f"{schema(name).topic}-value")
            for name in ("ConversationEvent", "Feedback", "RetrainTrigger")
        }
        self.producer = BatchProducer(producer_config(platform.status["kafka"], 10))

    def send(self, record: str, datums: list[dict[str, Any]], key: str = "conversation_id") -> None:
        codec = self.codecs[record]
        self.producer.deliver([OutRecord(schema(record).topic, str(d[key]).encode(), codec.encode(d)) for d in datums])


def message(event_id: str, text: str, ts: int) -> dict[str, Any]:
    return {
        "event_id": event_id, "conversation_id": f"{event_id}-c", "tenant_id": TENANT, "channel": "web",
        "user_id": f"{event_id}-u", "role": "customer", "text": text, "ts": ts, "locale": "zh-CN", "metadata": {},
    }  # fmt: skip


def correction(event_id: str, message_id: str, label: str, ts: int) -> dict[str, Any]:
    return {
        "event_id": event_id, "conversation_id": f"{message_id}-c", "tenant_id": TENANT, "reply_id": None,
        "message_id": message_id, "user_id": "agent-7", "source": "agent", "csat": None, "thumbs": None,
        "resolved": None, "corrected_intent": label, "comment": None, "ts": ts,
    }  # fmt: skip


def wait_for(what: str, probe: Callable[[], pa.Table], timeout_s: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = probe().to_pylist()
        if rows:
            return rows
        time.sleep(1.0)
    raise AssertionError(f"no {what} within {timeout_s:.0f}s")


def worker_pids(platform: Platform) -> list[int]:
    status = json.loads(platform.kefu("status", "--json").stdout)
    return sorted(int(pid) for name, pid in status.get("processes", {}).items() if name.startswith("worker"))


@dataclass
class ShiftedStream:
    """What the stream fixture sent: the run id, the shifted messages and those agents corrected."""

    run: str
    sender: Sender
    store: StoreClient
    shifted: list[dict[str, Any]]
    corrected: list[dict[str, Any]]
    worker_pids: list[int]


@pytest.fixture(scope="module")
def stream(drift_platform: Platform) -> Iterator[ShiftedStream]:
    """1200 ordinary customer messages, then 1500 of which half are about live-stream promotions (unknown to the
    shipped model); agents label the live-stream ones (Feedback.corrected_intent on the message id)."""
    platform, run = drift_platform, uuid.uuid4().hex[:8]
    sender, rng = Sender(platform), random.Random(0)
    labelled, _ = livestream_messages()
    pool = in_domain_messages()
    pids = worker_pids(platform)
    assert pids, "kefu status lists no worker process"
    now = int(time.time() * 1000) - 3_000_000
    ordinary = [message(f"{run}-a{i}", rng.choice(pool), now + i * 1000) for i in range(1200)]
    texts = [rng.choice(labelled) if rng.random() < 0.5 else rng.choice(pool) for _ in range(1500)]
    shifted = [message(f"{run}-b{i}", text, now + (1200 + i) * 1000) for i, text in enumerate(texts)]
    for batch in (ordinary[:600], ordinary[600:], shifted[:750], shifted[750:]):
        sender.send("ConversationEvent", batch)
    corrected = [m for m in shifted if m["text"] in set(labelled)]
    stamp = int(time.time() * 1000)
    sender.send("Feedback", [correction(f"{m['event_id']}-fix", m["event_id"], NEW_INTENT, stamp) for m in corrected])
    store = StoreClient.connect(Settings(data_dir=platform.data_dir))
    yield ShiftedStream(run, sender, store, shifted, corrected, pids)
    store.close()


def promoted_version(store: StoreClient) -> dict[str, Any]:
    [version] = wait_for(
        "promoted intent version in ClickHouse",
        lambda: store.query(
            "SELECT version, status, reason, trigger_id, parent_version, metrics, current_metrics "
            "FROM model_versions FINAL WHERE model = 'intent' AND status = 'promoted'"
        ),
        timeout_s=240,
    )
    return version


def tagged_new_intent(platform: Platform, stream: ShiftedStream, probe_id: str) -> int:
    """Sends the never-labelled live-stream messages; how many the worker tags with the new intent."""
    _, test_messages = livestream_messages()
    now = int(time.time() * 1000)
    probe = [message(f"{stream.run}-{probe_id}-{i}", text, now) for i, text in enumerate(test_messages)]
    stream.sender.send("ConversationEvent", probe)
    decoder = AvroCodec(registry_client(platform.status["schema_registry"]), schema("EnrichedEvent"))
    found = read_topic(platform.status["kafka"], "conversations.enriched", f"{stream.run}-{probe_id}-".encode(),
                       expected=len(probe))  # fmt: skip
    return sum(decoder.decode(m.value())["intent"] == NEW_INTENT for m in found)


def test_a_new_intent_is_detected_retrained_promoted_and_predicted_without_a_restart(
    drift_platform: Platform, stream: ShiftedStream
) -> None:
    platform, store = drift_platform, stream.store
    triggers = wait_for(
        "intent drift trigger in ClickHouse",
        lambda: store.query(
            "SELECT event_id, metric, detector, evidence FROM retrain_triggers FINAL "
            "WHERE tenant_id = {t:String} AND model = 'intent'", {"t": TENANT}
        ),
        timeout_s=180,
    )  # fmt: skip
    evidence = dict(triggers[0]["evidence"])
    assert "oov_rate" in evidence["metrics"].split(","), evidence
    assert float(evidence["oov_rate.mean_after"]) > float(evidence["oov_rate.mean_before"]) + 0.1
    assert triggers[0]["detector"] == "ADWIN"

    version = promoted_version(store)
    assert version["trigger_id"] in {t["event_id"] for t in triggers}
    assert version["parent_version"] == "shipped" and version["reason"].startswith("macro_f1 ")
    assert dict(version["metrics"])["held_out_macro_f1"] > dict(version["current_metrics"])["macro_f1"] + 0.01
    events = wait_for(
        "ModelPromoted in model_events",
        lambda: store.query("SELECT version, trigger_id FROM model_events FINAL WHERE model = 'intent'"),
        timeout_s=30,
    )
    assert [(e["version"], e["trigger_id"]) for e in events] == [(version["version"], version["trigger_id"])]
    assert FileRegistry(platform.data_dir / "models").active_version("intent") == version["version"]

    # Before: the shipped model never said the new intent (it does not know the label).
    decoder = AvroCodec(registry_client(platform.status["schema_registry"]), schema("EnrichedEvent"))
    shifted = read_topic(platform.status["kafka"], "conversations.enriched", f"{stream.run}-b".encode(),
                         expected=len(stream.shifted))  # fmt: skip
    before = [decoder.decode(m.value()) for m in shifted]
    assert len(before) >= len(stream.shifted) and not any(d["intent"] == NEW_INTENT for d in before)
    # After: the same worker process, swapped on the ModelPromoted record (the registry poll is 10 minutes).
    hits, deadline, attempt = 0, time.monotonic() + 60, 0
    while hits < 15 and time.monotonic() < deadline:
        attempt += 1
        hits = tagged_new_intent(platform, stream, f"t{attempt}")
    assert hits >= 15, f"{hits} of 21 unseen live-stream messages tagged {NEW_INTENT}"
    assert worker_pids(platform) == stream.worker_pids  # no restart


def test_a_worse_candidate_is_rejected_with_its_reason_in_clickhouse_and_the_registry(
    drift_platform: Platform, stream: ShiftedStream
) -> None:
    platform, store = drift_platform, stream.store
    active = promoted_version(store)["version"]
    # Worse labels where the evaluation can tell: the messages of the training part (by the job's own seeded hash)
    # are re-corrected with random old intents, the held-out ones keep their right label. (Re-labelling all of them
    # is not caught: the wrong labels are then in the held-out slice too; see docs/decisions.md.)
    rng = random.Random(1)
    labels = sorted({json.loads(line)["label"] for line in (SAMPLE_DATA_DIR / "intents.jsonl").open(encoding="utf-8")})
    training_part = [m for m in stream.corrected if held_out_bucket(m["text"], seed=0) >= HELD_OUT_FRACTION]
    assert 0 < len(training_part) < len(stream.corrected)
    later = int(time.time() * 1000)
    stream.sender.send("Feedback", [correction(f"{m['event_id']}-refix", m["event_id"], rng.choice(labels), later)
                                    for m in training_part])  # fmt: skip
    time.sleep(3)  # the sink lands them (<= 1 s behind) before the trigger is read
    manual = f"manual-{stream.run}"
    trigger = {"event_id": manual, "tenant_id": TENANT, "model": "intent", "metric": "manual", "detector": "manual",
               "window_start": later, "window_end": later, "magnitude": 0.0, "severity": "medium", "evidence": {},
               "ts": later}  # fmt: skip
    stream.sender.send("RetrainTrigger", [trigger], key="model")
    [row] = wait_for(
        "rejected intent version in ClickHouse",
        lambda: store.query(
            "SELECT version, status, reason FROM model_versions FINAL WHERE trigger_id = {t:String}", {"t": manual}
        ),
        timeout_s=180,
    )
    assert row["status"] == "rejected", row
    assert row["reason"].startswith("macro_f1 ") and "is below the margin 0.01" in row["reason"], row
    registry = FileRegistry(platform.data_dir / "models")
    card = registry.card("intent", row["version"])
    assert (card.status, card.reason, card.trigger_id) == ("rejected", row["reason"], manual)
    assert registry.active_version("intent") == active
    listed = platform.kefu("models", "list", "intent", "--from-store")
    assert listed.returncode == 0, listed.stderr
    statuses = {(r["version"], r["status"]) for r in map(json.loads, listed.stdout.splitlines())}
    assert {(active, "promoted"), (row["version"], "rejected")} <= statuses
