"""Prometheus metrics of a worker, served on ``KEFU_METRICS_PORT`` (``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CONSUMED = Counter("kefu_worker_events_consumed_total", "Records consumed", ["topic"])
PRODUCED = Counter("kefu_worker_events_produced_total", "Records produced", ["topic"])
DEAD_LETTERS = Counter("kefu_worker_dead_letters_total", "Records sent to the dead-letter topic", ["error_class"])
DUPLICATES = Counter("kefu_worker_duplicates_dropped_total", "Inbound events dropped as duplicates")
BATCH_SECONDS = Histogram(
    "kefu_worker_batch_seconds",
    "Time to process a batch and confirm delivery of its outputs",
    ["agent"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
