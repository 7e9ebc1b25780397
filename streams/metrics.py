"""Prometheus metrics of a worker, served on ``KEFU_METRICS_PORT`` (``/metrics``).

dashboards/prometheus/*.yml and dashboards/grafana/operations.json use these names; a test keeps them in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter("kefu_worker_events_consumed_total", "Records consumed", ["topic"])
PRODUCED = Counter("kefu_worker_events_produced_total", "Records produced", ["topic"])
DEAD_LETTERS = Counter("kefu_worker_dead_letters_total", "Records sent to the dead-letter topic", ["error_class"])
AGENT_PUSHES = Counter(
    "kefu_worker_agent_messages_pushed_total",
    "Human agents' messages pushed to channels customers cannot poll (WeChat, e-mail), by outcome",
    ["channel", "outcome"],
)
BOT_REPLIES_MAILED = Counter(
    "kefu_worker_bot_replies_mailed_total",
    "The bot's replies to e-mail customers, by outcome (sent, failed, not_configured, no_recipient, duplicate)",
    ["outcome"],
)
GENERATOR_TOKENS = Counter(
    "kefu_worker_generator_tokens_total",
    "Tokens the generator took for the bot's replies, by model profile and kind (prompt, completion); a redelivered "
    "message's reply counts again",
    ["profile", "kind"],
)
DUPLICATES = Counter("kefu_worker_duplicates_dropped_total", "Inbound events dropped as duplicates")
BATCH_SECONDS = Histogram(
    "kefu_worker_batch_seconds",
    "Time to process a batch and confirm delivery of its outputs",
    ["agent"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
END_TO_END_SECONDS = Histogram(
    "kefu_worker_end_to_end_seconds",
    "From a record's Kafka timestamp (when it was produced) to the end of its processing by an agent",
    ["agent"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
CONSUMER_LAG = Gauge(
    "kefu_worker_consumer_lag", "Records between the partition's end and the last one processed", ["topic", "partition"]
)

# The online KPI agent (streams/kpi_agent.py).
KPI_LATE_EVENTS = Counter(
    "kefu_kpi_late_events_total",
    "Records that arrived after their KPI window closed: corrected (window emitted again), dropped (beyond the "
    "correction horizon) or before_resume (older than where this worker resumed the partition)",
    ["outcome"],
)
KPI_DUPLICATES = Counter("kefu_kpi_duplicate_events_total", "Records already counted in their window (redelivery)")
KPI_OPEN_WINDOWS = Gauge("kefu_kpi_open_windows", "KPI windows still open on this worker")
KPI_WATERMARK_SECONDS = Gauge(
    "kefu_kpi_watermark_seconds", "Oldest partition watermark of the KPI agent (event time, Unix seconds)"
)

# Drift detection and retraining (streams/drift_agent.py, streams/retrain_agent.py).
DRIFT_TRIGGERS = Counter("kefu_drift_triggers_total", "RetrainTrigger records emitted by the drift agent", ["model"])
RETRAINS = Counter(
    "kefu_retrains_total", "Retrain triggers handled, by outcome (promoted, rejected, skipped, failed...)", ["action"]
)
MODEL_SWAPS = Counter("kefu_model_swaps_total", "Models hot-swapped into a running worker", ["model"])


def count_generator_tokens(reply: Mapping[str, Any]) -> None:
    """Add a BotReply's ``prompt_tokens`` / ``completion_tokens`` to :data:`GENERATOR_TOKENS`."""
    for kind in ("prompt", "completion"):
        tokens = reply.get(f"{kind}_tokens")
        if tokens:
            GENERATOR_TOKENS.labels(str(reply["model_profile"]), kind).inc(int(tokens))
