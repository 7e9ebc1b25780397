"""Prometheus metrics of the HTTP API.

dashboards/prometheus/*.yml and dashboards/grafana/operations.json use these names; a test keeps them in step.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from starlette.requests import Request
from starlette.routing import Match

REQUESTS = Counter("kefu_api_requests_total", "HTTP requests", ["route", "status"])
LATENCY = Histogram(
    "kefu_api_request_seconds",
    "HTTP request latency",
    ["route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_IN = Counter("kefu_api_events_total", "Events accepted for a topic", ["topic"])
REJECTED = Counter("kefu_api_events_rejected_total", "Events rejected at ingest", ["error_class"])

UNMATCHED = "unmatched"


def route_label(request: Request) -> str:
    """The route's path template (``/v1/channels/email/{tenant_id}``), so labels stay few whatever the URLs."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    for candidate in request.app.router.routes:  # not routed yet (rejected before the endpoint ran)
        match, _ = candidate.matches(request.scope)
        if match is Match.FULL:
            return str(getattr(candidate, "path", UNMATCHED))
    return UNMATCHED


WECHAT_ANSWERS = Counter(
    "kefu_api_wechat_answers_total",
    "WeChat callbacks answered, by how: reply (passive XML), success (bot not ready in time), retry_reply",
    ["outcome"],
)
WECHAT_LATE = Counter(
    "kefu_api_wechat_late_replies_total", "Bot replies to WeChat messages that came after the callback answered"
)
WECHAT_SENT_LATE = Counter(
    "kefu_api_wechat_late_sends_total",
    "Late WeChat replies by what became of them: sent (customer-service API), failed, not_configured",
    ["outcome"],
)
FEEDBACK_IN = Counter("kefu_api_feedback_total", "Feedback records accepted", ["source"])
RATE_LIMITED = Counter("kefu_api_rate_limited_total", "Requests refused with 429", ["scope"])
OVERSIZED = Counter("kefu_api_oversized_total", "Requests refused with 413 (body too large)")
