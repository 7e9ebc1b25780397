"""Prometheus metrics of the HTTP API."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter("kefu_api_requests_total", "HTTP requests", ["route", "status"])
LATENCY = Histogram(
    "kefu_api_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_IN = Counter("kefu_api_events_total", "Events accepted for a topic", ["topic"])
REJECTED = Counter("kefu_api_events_rejected_total", "Events rejected at ingest", ["error_class"])
