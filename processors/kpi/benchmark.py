"""Measure the KPI aggregator and print JSON: ``python -m processors.kpi.benchmark [--n 200000]``.

A synthetic stream of customer messages, a reply to each and a rating for one conversation in ten, spread over
an hour of 60 s windows and 4 partitions, is added and the windows closed; the figure is records per second on
one core, and the snapshot count shows the key cardinality.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from processors.kpi.aggregator import KpiAggregator

HOUR_MS = 3_600_000


def synthetic(n: int) -> list[tuple[str, dict[str, Any], int]]:
    records: list[tuple[str, dict[str, Any], int]] = []
    intents = ("refund", "delivery", "invoice", "unknown", None)
    for i in range(n):
        ts, conversation, partition = i * HOUR_MS // n, f"c{i // 4}", (i // 4) % 4
        tenant, intent = f"t{i % 3}", intents[i % 5]
        message: dict[str, Any] = {
            "event_id": f"m{i}",
            "conversation_id": conversation,
            "tenant_id": tenant,
            "channel": "web",
        }
        message |= {"role": "customer", "intent": intent, "sentiment": {"emotion": "angry"}, "ts": ts}
        reply: dict[str, Any] = {"event_id": f"r{i}", "in_reply_to": f"m{i}", "tenant_id": tenant, "channel": "web"}
        reply |= {"latency_ms": 200 + i % 900, "ts": ts + 1}
        records += [("EnrichedEvent", message, partition), ("BotReply", reply, partition)]
        if i % 40 == 0:
            rating = {
                "event_id": f"f{i}",
                "conversation_id": conversation,
                "tenant_id": f"t{i % 3}",
                "csat": 4,
                "ts": ts,
            }
            records.append(("Feedback", rating, partition))
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000, help="customer messages (each gets a reply)")
    args = parser.parse_args()
    records = synthetic(args.n)
    aggregator = KpiAggregator(window_ms=60_000)
    started = time.perf_counter()
    for record_type, datum, partition in records:
        aggregator.add(record_type, datum, partition)
    added = time.perf_counter()
    snapshots = aggregator.close_windows(HOUR_MS + 60_000)
    closed = time.perf_counter()
    result = {
        "records": len(records),
        "records_per_s": round(len(records) / (closed - started)),
        "add_s": round(added - started, 3),
        "close_s": round(closed - added, 3),
        "snapshots": len(snapshots),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
