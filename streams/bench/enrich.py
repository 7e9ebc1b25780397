"""``kefu bench enrich``: the enrichment chain through Faust and through a plain confluent-kafka loop.

Both runners consume the same events from their own topics on one embedded broker, one after the other
(never at the same time: this machine has two cores), in alternating rounds (Faust, plain, Faust, plain, ...)
on fresh topics each, so that a slow stretch of a shared machine lands on both. Each runner is ``--workers``
processes in one consumer group (default one per core: the Faust side is ``KEFU_WORKERS`` workers). Two phases
each:

* **throughput**: N events are produced, and the rate is measured between the first and the last enriched
  output's produce time (so start-up and group join are not counted). One process starts after the backlog is
  produced; several start first and join their group (else the first would drain the backlog alone, then
  rebalance), so the backlog's production overlaps the window's start, which can only lower the rate. CPU per
  event is the runners' processes' CPU time over the same window.
* **latency**: events are offered at a fixed rate with ``ts`` = the wall clock at produce time; latency is
  the time until the enriched event is read back (includes producer linger and the broker).

Each runner's figures are the median of its rounds (latency percentiles over all its rounds' events), and the
ratio is the ratio of the medians; every round's own figures are printed too. On a quiet two-core machine one
round's ratio moved between 0.50 and 0.90 for the same code (docs/benchmarks.md), which is why there are rounds.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams import topics
from streams.admin import ensure_topics, register_schemas
from streams.bench.events import synthetic_event
from streams.children import Child, free_port, wait_until
from streams.embedded import EmbeddedPlatform
from streams.probes import http_ok, port_open
from streams.producer import BatchProducer, OutRecord, producer_config

RUNNERS: dict[str, Callable[[str, int], list[str]]] = {
    "faust": lambda ready, n: [sys.executable, "-m", "kefu", "worker", "--id", str(n), "--ready-file", ready],
    "plain": lambda ready, n: [sys.executable, "-m", "streams.bench.plain_loop", ready],
}
"""Each runner's command line for its ``n``-th process, given the file it touches once it has joined its group."""


@dataclass
class Stack:
    bootstrap: str
    registry: str
    work_dir: Path
    partitions: int
    children: list[Child]

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()


def start_stack(work_dir: Path, partitions: int) -> Stack:
    """A broker and a registry of the benchmark's own (production commands, like `kefu up`)."""
    host, kafka_port, registry_port = "127.0.0.1", free_port(), free_port()
    env = {**os.environ, "KEFU_DATA_DIR": str(work_dir)}
    broker = Child("broker", EmbeddedPlatform._broker_argv(host, kafka_port), env, work_dir / "broker.log", True)
    registry = Child(
        "registry",
        EmbeddedPlatform._kefu("registry", "--port", str(registry_port)),
        env,
        work_dir / "registry.log",
        True,
    )
    stack = Stack(f"{host}:{kafka_port}", f"http://{host}:{registry_port}", work_dir, partitions, [broker, registry])
    broker.start()
    wait_until(lambda: port_open(host, kafka_port, 0.5), "the broker", 30, broker)
    registry.start()
    wait_until(lambda: http_ok(f"{stack.registry}/health", 1.0), "the registry", 30, registry)
    return stack


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (all its threads), from ``/proc/PID/stat``."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class OutputReader:
    """Reads a runner's enriched topic from the beginning, noting for each event id when it arrives and when the
    runner produced it (the record's CreateTime, stamped by the runner's producer).

    Throughput is measured on the produce times: with every core busy this reader may fall behind and read
    outputs in bursts, which would shorten the window if arrivals were used. Latency uses arrivals.
    """

    def __init__(self, stack: Stack, topic: str, codec: AvroCodec) -> None:
        self.codec = codec
        self.arrivals: dict[str, tuple[float, int, int]] = {}  # event_id -> (arrival wall ms, event ts, produced)
        self.duplicates = 0
        self.consumer = Consumer(
            {
                "bootstrap.servers": stack.bootstrap,
                "group.id": f"bench-reader-{topic}",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
            }
        )
        self.consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(stack.partitions)])

    def read_until(self, wanted: set[str], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        missing = wanted - self.arrivals.keys()
        while missing and time.monotonic() < deadline:
            # A short timeout: consume() returns when 1,000 records are there or the timeout expires, and an
            # arrival is stamped only when it returns (a 100 ms timeout added up to 100 ms to measured latency).
            messages = self.consumer.consume(1000, 0.005)
            for message in messages:
                if message.error() is not None:
                    continue
                arrived = time.time() * 1000
                datum = self.codec.decode(message.value())
                event_id = datum["event_id"]
                if event_id in self.arrivals:
                    self.duplicates += 1
                    continue
                self.arrivals[event_id] = (arrived, int(datum["ts"]), message.timestamp()[1])
                missing.discard(event_id)

    def close(self) -> None:
        self.consumer.close()


class CpuSampler:
    """Samples the runner processes' summed CPU seconds every ``interval_s``, with the wall clock, from a thread."""

    def __init__(self, pids: list[int], interval_s: float = 0.02) -> None:
        self.pids, self.interval_s = pids, interval_s
        self.samples: list[tuple[float, float]] = []  # (wall ms, CPU seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set() and self._sample():
            self._stop.wait(self.interval_s)

    def _sample(self) -> bool:
        try:
            self.samples.append((time.time() * 1000, sum(map(cpu_seconds, self.pids))))
        except OSError:  # a runner exited
            return False
        return True

    def __enter__(self) -> CpuSampler:
        self._sample()  # the state at the start, before the thread is first scheduled
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()  # the state at the end, whenever the thread last ran


def _produce_backlog(stack: Stack, codec: AvroCodec, topic: str, run: str, n: int) -> set[str]:
    rng = random.Random(7)
    producer = BatchProducer(producer_config(stack.bootstrap, 20))
    now = int(time.time() * 1000)
    events = [synthetic_event(i, run, now, rng) for i in range(n)]
    producer.deliver([OutRecord(topic, e["conversation_id"].encode(), codec.encode(e)) for e in events], 120)
    return {e["event_id"] for e in events}


def _offer_at_rate(stack: Stack, codec: AvroCodec, topic: str, run: str, rate: int, seconds: float) -> set[str]:
    """Produce ``rate`` events per second for ``seconds`` from a thread; returns their ids."""
    from confluent_kafka import Producer

    producer = Producer(producer_config(stack.bootstrap, 5))
    rng = random.Random(11)
    # A new producer first fetches metadata and its idempotent producer id: ~0.5 s during which stamped
    # events would wait, and that start-up (not the pipeline) would be the p99. One delivered warm-up
    # event (enriched like the others, not measured) gets it out of the way before the clock starts.
    warm_up = synthetic_event(-1, f"{run}-warm-up", int(time.time() * 1000), rng)
    producer.produce(topic, codec.encode(warm_up), warm_up["conversation_id"].encode())
    producer.flush(30)
    ids: set[str] = set()
    tick = 0.01
    per_tick = max(1, round(rate * tick))
    started = time.monotonic()
    i = 0
    while (elapsed := time.monotonic() - started) < seconds:
        target = int(elapsed / tick + 1) * per_tick
        while i < target:
            event = synthetic_event(i, run, int(time.time() * 1000), rng)
            producer.produce(topic, codec.encode(event), event["conversation_id"].encode())
            ids.add(event["event_id"])
            i += 1
        producer.poll(0)
        time.sleep(max(0.0, started + (target // per_tick) * tick - time.monotonic()))
    producer.flush(30)
    return ids


def enrichment_only_env(bootstrap: str, registry: str, prefix: str, partitions: int, run_dir: Path) -> dict[str, str]:
    """The environment of a worker that runs the enrichment chain only, on ``prefix``-ed topics."""
    return {
        **os.environ,
        "KEFU_DATA_DIR": str(run_dir),
        "KEFU_KAFKA_BOOTSTRAP": bootstrap,
        "KEFU_SCHEMA_REGISTRY_URL": registry,
        "KEFU_TOPIC_PREFIX": prefix,
        "KEFU_TOPIC_PARTITIONS": str(partitions),
        "KEFU_METRICS_PORT": "0",
        "KEFU_LOG_LEVEL": "WARNING",
        # The enrichment chain only: the plain loop runs nothing else either.
        "KEFU_RESPONDER_ENABLED": "false",
        "KEFU_KPI_AGENT_ENABLED": "false",
        "KEFU_DRIFT_AGENT_ENABLED": "false",
        "KEFU_RETRAIN_AGENT_ENABLED": "false",
        "KEFU_MODEL_WATCH_EVENTS": "false",
    }


@dataclass
class RunnerRound:
    """One round of one runner: its throughput, CPU rate, losses and every offered event's latency."""

    events_per_s: float | None
    events_per_runner_cpu_s: float | None
    lost: int
    duplicates: int
    latencies_ms: np.ndarray

    def figures(self) -> dict[str, Any]:
        return {"events_per_s": self.events_per_s, "events_per_runner_cpu_s": self.events_per_runner_cpu_s}


def bench_runner(
    stack: Stack, runner: str, events: int, rate: int, latency_s: float, round_no: int = 0, workers: int = 1
) -> RunnerRound:
    """Throughput and latency of one runner (``workers`` processes in one consumer group) on topics of its own
    (``<runner>-<round>.`` prefixed).

    One process is started after the backlog is produced. Several are started first and wait until each has
    joined the group: started after the backlog, the first would drain it alone until the others join, and the
    group would rebalance mid-drain. The backlog's production then overlaps the start of the measured window,
    which can only lower the rate.
    """
    prefix = f"{runner}-{round_no}."
    ensure_topics(stack.bootstrap, stack.partitions, 1, prefix)
    register_schemas(stack.registry, prefix)
    client = registry_client(stack.registry)
    inbound_topic, enriched_topic = f"{prefix}{topics.INBOUND}", f"{prefix}{topics.ENRICHED}"
    inbound = AvroCodec(client, schema("ConversationEvent"), f"{inbound_topic}-value")
    enriched = AvroCodec(client, schema("EnrichedEvent"), f"{enriched_topic}-value")

    def produce_backlog() -> set[str]:
        return _produce_backlog(stack, inbound, inbound_topic, f"{runner}-{round_no}-bulk", events)

    backlog = produce_backlog() if workers == 1 else set()
    run_dir = stack.work_dir / f"{runner}-{round_no}"
    run_dir.mkdir(parents=True, exist_ok=True)
    env = enrichment_only_env(stack.bootstrap, stack.registry, prefix, stack.partitions, run_dir)
    readies = [run_dir / f"ready-{n}" for n in range(workers)]
    children = [
        Child(f"{runner}-{n}", RUNNERS[runner](str(ready), n), env, run_dir / f"runner-{n}.log", True)
        for n, ready in enumerate(readies)
    ]

    def all_joined() -> None:
        for ready, child in zip(readies, children, strict=True):
            wait_until(ready.exists, f"{child.name} runner", 60, child)

    for child in children:
        child.start()
    try:
        if workers > 1:
            all_joined()
            backlog = produce_backlog()
        reader = OutputReader(stack, enriched_topic, enriched)
    except Exception:
        for child in children:
            child.stop()
        raise
    try:
        with CpuSampler([c.process.pid for c in children if c.process]) as cpu:
            reader.read_until(backlog, timeout_s=max(120.0, events / 500))
        bulk = [reader.arrivals[i][2] for i in backlog if i in reader.arrivals]
        span_s = (max(bulk) - min(bulk)) / 1000 if len(bulk) > 1 else float("nan")
        per_cpu_s = events_per_cpu_second(len(bulk), min(bulk, default=0), max(bulk, default=0), cpu.samples)
        all_joined()
        offered: set[str] = set()
        producer = threading.Thread(
            target=lambda: offered.update(
                _offer_at_rate(stack, inbound, inbound_topic, f"{runner}-{round_no}-rate", rate, latency_s)
            )
        )
        producer.start()
        time.sleep(0.5)
        while producer.is_alive():
            reader.read_until({"__keep_reading__"}, timeout_s=0.2)
        producer.join()
        reader.read_until(offered, timeout_s=30)
        latencies = np.array([reader.arrivals[i][0] - reader.arrivals[i][1] for i in offered if i in reader.arrivals])
    finally:
        reader.close()
        for child in children:
            child.stop()
    return RunnerRound(
        events_per_s=round((len(bulk) - 1) / span_s, 1) if len(bulk) > 1 else None,
        events_per_runner_cpu_s=per_cpu_s,
        lost=len(backlog - reader.arrivals.keys()) + len(offered - reader.arrivals.keys()),
        duplicates=reader.duplicates,
        latencies_ms=latencies,
    )


def summarise(rounds: list[RunnerRound], rate: int) -> dict[str, Any]:
    """A runner's figures over its rounds: medians of the rates, totals of losses, pooled latency percentiles.

    >>> rounds = [RunnerRound(r, r, 0, 0, np.array([50.0, 150.0])) for r in (4000.0, 6000.0, 5000.0)]
    >>> summary = summarise(rounds, 1000)
    >>> summary["events_per_s"], summary["latency_ms"]["p50"], summary["latency_ms"]["events"]
    (5000.0, 100.0, 6)
    """
    latencies = np.concatenate([r.latencies_ms for r in rounds]) if rounds else np.zeros(0)
    return {
        "events_per_s": _median([r.events_per_s for r in rounds]),
        "events_per_runner_cpu_s": _median([r.events_per_runner_cpu_s for r in rounds]),
        "lost": sum(r.lost for r in rounds),
        "duplicates": sum(r.duplicates for r in rounds),
        "latency_ms": {
            "offered_per_s": rate,
            "events": len(latencies),
            "p50": round(float(np.percentile(latencies, 50)), 1) if len(latencies) else None,
            "p99": round(float(np.percentile(latencies, 99)), 1) if len(latencies) else None,
            "max": round(float(latencies.max()), 1) if len(latencies) else None,
        },
        "rounds": [r.figures() for r in rounds],
    }


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(float(np.median(known)), 1) if known else None


def _ratio(faust: float | None, plain: float | None) -> float | None:
    return round(faust / plain, 3) if faust and plain else None


def events_per_cpu_second(
    outputs: int, first_ms: float, last_ms: float, samples: list[tuple[float, float]]
) -> float | None:
    """Outputs per CPU second of the runners between the first and the last output's produce time, their CPU
    time then read off ``samples`` ((wall ms, CPU seconds), linearly interpolated).

    >>> events_per_cpu_second(3_001, 1_000.0, 1_600.0, [(900.0, 9.9), (1_300.0, 10.3), (1_700.0, 10.7)])
    5000.0
    """
    if outputs < 2 or len(samples) < 2 or last_ms <= first_ms:
        return None
    walls, cpus = zip(*samples, strict=True)
    used = float(np.interp(last_ms, walls, cpus) - np.interp(first_ms, walls, cpus))
    return round((outputs - 1) / used, 1) if used > 0 else None


def run_bench(
    events: int, rate: int, latency_s: float, partitions: int, rounds: int = 3, workers: int = 1
) -> dict[str, Any]:
    """The figures printed by ``kefu bench enrich``: ``rounds`` alternating rounds of each runner."""
    faust_rounds: list[RunnerRound] = []
    plain_rounds: list[RunnerRound] = []
    with tempfile.TemporaryDirectory(prefix="kefu-bench-") as work:
        stack = start_stack(Path(work), partitions)
        try:
            for round_no in range(rounds):
                faust_rounds.append(bench_runner(stack, "faust", events, rate, latency_s, round_no, workers))
                plain_rounds.append(bench_runner(stack, "plain", events, rate, latency_s, round_no, workers))
        finally:
            stack.stop()
    faust, plain = summarise(faust_rounds, rate), summarise(plain_rounds, rate)
    return {
        "events": events,
        "rounds": rounds,
        "partitions": partitions,
        "workers": workers,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "faust": faust,
        "plain_confluent_loop": plain,
        "faust_to_plain_ratio": _ratio(faust["events_per_s"], plain["events_per_s"]),
        "faust_to_plain_ratio_per_round": [
            _ratio(f.events_per_s, p.events_per_s) for f, p in zip(faust_rounds, plain_rounds, strict=True)
        ],
    }
