"""What the fault tests share: Avro producers to conversations.inbound, counts in ClickHouse, child processes.

Everything talks to the platform under test on loopback; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx
from confluent_kafka import Producer

from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from tests.integration.conftest import Platform

INBOUND = "conversations.inbound"


def conversation_event(tenant: str, i: int, *, prefix: str = "", conversations: int = 20) -> dict[str, Any]:
    """A ConversationEvent datum with a unique id and text (no near-duplicates), of ``tenant``."""
    return {
        "event_id": f"{prefix}{tenant}-{i}",
        "conversation_id": f"{tenant}-c{i % conversations}",
        "tenant_id": tenant,
        "channel": "web",
        "user_id": f"u{i % conversations}",
        "role": "customer",
        "text": f"第{i}条：我的订单什么时候发货？电话13812345678",
        "ts": int(time.time() * 1000),
        "locale": "zh-CN",
        "metadata": {"page": f"/orders/{i}"},
        "attachments": None,
    }


class InboundProducer:
    """Produce Avro ConversationEvents (or raw bytes) to conversations.inbound, as an upstream producer does."""

    def __init__(self, platform: Platform) -> None:
        self.registry = registry_client(platform.status["schema_registry"])
        self.codec = AvroCodec(self.registry, schema("ConversationEvent"))
        self.producer = Producer(
            {"bootstrap.servers": platform.status["kafka"], "linger.ms": 5, "message.max.bytes": 20_000_000}
        )
        self.positions: dict[bytes, tuple[int, int]] = {}  # key -> (partition, offset) once delivered

    def send(self, event: dict[str, Any]) -> None:
        self.send_raw(self.codec.encode(event), event["conversation_id"].encode())

    def send_raw(self, value: bytes, key: bytes) -> None:
        def delivered(error: Any, message: Any) -> None:
            if error is None:
                self.positions[key] = (message.partition(), message.offset())

        while True:
            try:
                self.producer.produce(INBOUND, value, key, on_delivery=delivered)
                break
            except BufferError:
                self.producer.poll(0.05)
        self.producer.poll(0)

    def flush(self, timeout_s: float = 30.0) -> int:
        """Records still undelivered after ``timeout_s`` (0 when all were acknowledged)."""
        return int(self.producer.flush(timeout_s))


def produce_steadily(producer: InboundProducer, events: Sequence[dict[str, Any]], seconds: float) -> threading.Thread:
    """Send ``events`` spread evenly over ``seconds`` on a thread (started); join it to wait for the end."""

    def run() -> None:
        started = time.monotonic()
        for n, event in enumerate(events):
            pause = started + seconds * n / len(events) - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            producer.send(event)
        producer.flush()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def sql_rows(platform: Platform, sql: str, **params: str) -> list[dict[str, Any]] | None:
    """Rows of a `kefu sql` query, or None while the store does not answer (e.g. its owner is stopped)."""
    args = [arg for name, value in params.items() for arg in ("-p", f"{name}={value}")]
    result = platform.kefu("sql", sql, *args, "--format", "json", timeout=60)
    if result.returncode != 0:
        return None
    return [json.loads(line) for line in result.stdout.splitlines()]


def stored(platform: Platform, tenant: str) -> tuple[int, int] | None:
    """(distinct event ids of ``tenant`` in ``events`` FINAL, how many of them have more than one row there)."""
    rows = sql_rows(
        platform,
        "SELECT count() AS ids, countIf(c > 1) AS duplicated FROM "
        "(SELECT event_id, count() AS c FROM events FINAL WHERE tenant_id = {t:String} GROUP BY event_id)",
        t=tenant,
    )
    if not rows:
        return None
    return int(rows[0]["ids"]), int(rows[0]["duplicated"])


def wait_for_stored(platform: Platform, tenant: str, expected: int, timeout_s: float) -> tuple[int, int] | None:
    """Poll until ``expected`` distinct ids are stored (or ``timeout_s``); the last (ids, duplicated) seen."""
    deadline = time.monotonic() + timeout_s
    seen = stored(platform, tenant)
    while (seen is None or seen[0] < expected) and time.monotonic() < deadline:
        time.sleep(0.5)
        seen = stored(platform, tenant)
    time.sleep(1.5)  # a straggling duplicate would be written within a flush interval: look once more
    return stored(platform, tenant) or seen


def child_pid(platform: Platform, name: str) -> int:
    """The current pid of a `kefu up` child, from the state file the supervisor keeps up to date."""
    state = json.loads((platform.data_dir / "state.json").read_text())
    return int(state["processes"][name])


def wait_for_new_pid(platform: Platform, name: str, old: int, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pid = child_pid(platform, name)
        if pid != old and alive(pid):
            return pid
        time.sleep(0.2)
    raise AssertionError(f"{name} was not restarted within {timeout_s:.0f}s (pid still {old})")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead
        return stat.read().split(") ")[-1][0] != "Z"


def metric_total(url: str, name: str, **labels: str) -> float:
    """Sum of a Prometheus counter's samples that carry ``labels``, scraped from ``url``."""
    total = 0.0
    for line in httpx.get(url, timeout=5).text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total
