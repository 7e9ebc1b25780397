"""Build dashboards/grafana/*.json: ``python -m dashboards.grafana_build`` (a test checks they are current).

``kefu-kpis``: the KPIs of docs/kpis.md over ClickHouse (``kpi_hourly``, the tables and the online
``kpi_snapshots``), with tenant/channel/intent variables. ``kefu-operations``: worker and API health over
Prometheus (the metrics of streams/metrics.py and serving/api/metrics.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dashboards.grafana_panels import Layout, dashboard, in_filter, panel, prom_target, sql_target, variable

OUT = Path(__file__).resolve().parent / "grafana"
FILTERS = " AND ".join(
    in_filter(column, name) for column, name in (("tenant_id", "tenant"), ("channel", "channel"), ("intent", "intent"))
)
HOURLY = f"FROM kefu.kpi_hourly WHERE $__timeFilter(hour) AND {FILTERS}"
BY_HOUR = "GROUP BY time ORDER BY time"
MESSAGE_OF_INTENT = """in_reply_to IN (SELECT event_id FROM kefu.events FINAL WHERE role = 'customer'
    AND coalesce(intent, '') IN (${intent:singlequote}))"""
REPLY_FILTERS = f"""{in_filter("tenant_id", "tenant")} AND {in_filter("channel", "channel")}
    AND ('__all__' IN (${{intent:singlequote}}) OR {MESSAGE_OF_INTENT})"""
CONTAINMENT = "sum(contained_conversations) / nullIf(sum(conversations), 0) AS containment"
HANDOFF_RATE = "sum(handoffs) / nullIf(sum(conversations), 0) AS handoff_rate"
FCR = "sum(resolved_conversations) / nullIf(sum(conversations), 0) AS fcr"
CSAT_MEAN = "sum(csat_sum) / nullIf(sum(csat_count), 0) AS csat_mean"
NEGATIVE = "sum(negative_emotion) / nullIf(sum(customer_messages), 0) AS negative_emotion_rate"
UNKNOWN = "sum(unknown_intent) / nullIf(sum(customer_messages), 0) AS unknown_intent_rate"
RATES = ", ".join((CONTAINMENT, HANDOFF_RATE, FCR, CSAT_MEAN, NEGATIVE, UNKNOWN))
VOLUME = "sum(customer_messages) AS volume, sum(conversations) AS conversation_count"  # no alias may shadow a column


def kpi_panels() -> list[tuple[dict[str, Any], int, int]]:
    """(panel, width, height) of the KPI dashboard, in reading order."""
    latency = f"""SELECT $__timeInterval(ts) AS time, quantileExact(0.5)(latency_ms) AS p50,
        quantileExact(0.95)(latency_ms) AS p95, quantileExact(0.99)(latency_ms) AS p99
        FROM kefu.bot_replies FINAL WHERE $__timeFilter(ts) AND {REPLY_FILTERS} {BY_HOUR}"""
    csat_distribution = f"""SELECT toString(csat) AS score, count() AS ratings FROM kefu.feedback FINAL
        WHERE $__timeFilter(ts) AND csat BETWEEN 1 AND 5 AND {in_filter("tenant_id", "tenant")}
        GROUP BY score ORDER BY score"""
    live = f"""SELECT window_start AS time, sum(customer_messages) AS customer_messages,
        sum(bot_replies) AS bot_replies, sum(handoffs) AS handoffs FROM kefu.kpi_snapshots FINAL
        WHERE $__timeFilter(window_start) AND {FILTERS} {BY_HOUR}"""
    tokens = f"""SELECT $__timeInterval(ts) AS time, sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion
        FROM kefu.bot_replies FINAL WHERE $__timeFilter(ts) AND {REPLY_FILTERS} {BY_HOUR}"""
    by_intent = f"""SELECT intent, {VOLUME}, {RATES}, max(latency_p95_ms) AS worst_hourly_p95_ms
        {HOURLY} GROUP BY intent ORDER BY volume DESC LIMIT 50"""
    stat_options: dict[str, Any] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    return [
        (
            panel(
                "stat",
                "Totals over the range",
                [sql_target(f"SELECT {VOLUME}, {RATES} {HOURLY}", table=True)],
                description="Definitions: docs/kpis.md",
                decimals=3,
                **stat_options,
            ),
            24,
            4,
        ),
        (
            panel(
                "timeseries",
                "Volume per hour",
                [sql_target(f"SELECT hour AS time, {VOLUME} {HOURLY} {BY_HOUR}")],
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "Containment, handoff rate, first-contact resolution",
                [sql_target(f"SELECT hour AS time, {CONTAINMENT}, {HANDOFF_RATE}, {FCR} {HOURLY} {BY_HOUR}")],
                unit="percentunit",
                max=1,
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "CSAT mean per hour",
                [sql_target(f"SELECT hour AS time, {CSAT_MEAN} {HOURLY} {BY_HOUR}")],
                max=5,
            ),
            8,
            8,
        ),
        (
            panel(
                "barchart",
                "CSAT distribution",
                [sql_target(csat_distribution, table=True)],
                description="Every channel and intent of the selected tenants",
            ),
            8,
            8,
        ),
        (panel("timeseries", "Bot response latency (exact, bot_replies)", [sql_target(latency)], unit="ms"), 8, 8),
        (
            panel(
                "timeseries",
                "Negative emotion and unknown intent",
                [sql_target(f"SELECT hour AS time, {NEGATIVE}, {UNKNOWN} {HOURLY} {BY_HOUR}")],
                unit="percentunit",
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "Live: online windows (kpi_snapshots, summed over partitions)",
                [sql_target(live)],
                description="Online snapshots; the hourly panels (kpi_hourly) are authoritative",
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "Generator tokens (bot_replies)",
                [sql_target(tokens)],
                description="Prompt and answer tokens the models took for the bot's replies: what an endpoint bills",
            ),
            24,
            8,
        ),
        (panel("table", "By intent", [sql_target(by_intent, table=True)]), 24, 10),
    ]


def kpi_dashboard() -> dict[str, Any]:
    grid = Layout()
    panels = [grid.place(p, width, height) for p, width, height in kpi_panels()]
    distinct = "SELECT DISTINCT {} FROM kefu.kpi_hourly WHERE $__timeFilter(hour) ORDER BY 1"
    variables = [
        variable("tenant", "Tenant", distinct.format("tenant_id")),
        variable("channel", "Channel", distinct.format("channel")),
        variable("intent", "Intent", distinct.format("intent")),
    ]
    return dashboard("kefu-kpis", "Kefu · KPIs", panels, variables)


def rate(expr: str, by: str) -> str:
    return f"sum by ({by}) (rate({expr}[$__rate_interval]))"


def quantile(level: float, histogram: str, by: str) -> str:
    return f"histogram_quantile({level}, sum by (le, {by}) (rate({histogram}_bucket[$__rate_interval])))"


def operations_panels() -> list[tuple[dict[str, Any], int, int]]:
    """(panel, width, height) of the operations dashboard (Prometheus), in reading order."""
    end_to_end = "kefu_worker_end_to_end_seconds"
    return [
        (panel("stat", "Workers up", [prom_target('sum(up{job="kefu-worker"})', "workers")]), 6, 4),
        (
            panel(
                "stat", "API 5xx ratio (5m)", [prom_target("kefu:api_requests_5xx:ratio5m", "5xx")], unit="percentunit"
            ),
            6,
            4,
        ),
        (
            panel(
                "stat",
                "Dead-letter ratio (5m)",
                [prom_target("kefu:worker_dead_letters:ratio5m", "dead letters")],
                unit="percentunit",
            ),
            6,
            4,
        ),
        (
            panel(
                "stat",
                "KPI watermark delay",
                [prom_target("time() - min(kefu_kpi_watermark_seconds)", "delay")],
                unit="s",
            ),
            6,
            4,
        ),
        (
            panel(
                "timeseries",
                "Records consumed / s by topic",
                [prom_target(rate("kefu_worker_events_consumed_total", "topic"), "{{topic}}")],
                unit="ops",
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "Records produced / s by topic",
                [prom_target(rate("kefu_worker_events_produced_total", "topic"), "{{topic}}")],
                unit="ops",
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "Consumer lag by topic and partition",
                [prom_target("sum by (topic, partition) (kefu_worker_consumer_lag)", "{{topic}}/{{partition}}")],
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "Dead letters / s by error class",
                [prom_target(rate("kefu_worker_dead_letters_total", "error_class"), "{{error_class}}")],
                unit="ops",
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "Batch latency p99 by agent",
                [prom_target(quantile(0.99, "kefu_worker_batch_seconds", "agent"), "{{agent}}")],
                unit="s",
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "End-to-end latency by agent",
                [
                    prom_target(quantile(0.5, end_to_end, "agent"), "p50 {{agent}}"),
                    prom_target(quantile(0.99, end_to_end, "agent"), "p99 {{agent}}", ref="B"),
                ],
                unit="s",
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "API requests / s by route and status",
                [prom_target(rate("kefu_api_requests_total", "route, status"), "{{route}} {{status}}")],
                unit="reqps",
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "API latency p99 by route",
                [prom_target(quantile(0.99, "kefu_api_request_seconds", "route"), "{{route}}")],
                unit="s",
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "API events accepted and rejected / s",
                [
                    prom_target(rate("kefu_api_events_total", "topic"), "accepted {{topic}}"),
                    prom_target(rate("kefu_api_events_rejected_total", "error_class"), "rejected {{error_class}}", "B"),
                ],
                unit="ops",
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "KPI agent: late records, duplicates, open windows",
                [
                    prom_target(rate("kefu_kpi_late_events_total", "outcome"), "late {{outcome}}"),
                    prom_target("sum(rate(kefu_kpi_duplicate_events_total[$__rate_interval]))", "duplicates", "B"),
                    prom_target("sum(kefu_kpi_open_windows)", "open windows", "C"),
                ],
            ),
            12,
            8,
        ),
        (
            panel(
                "timeseries",
                "Generator tokens / s by profile",
                [prom_target(rate("kefu_worker_generator_tokens_total", "profile, kind"), "{{profile}} {{kind}}")],
                description="What the model endpoints are billed for; ClickHouse (bot_replies) has it per tenant",
            ),
            12,
            8,
        ),
    ]


def operations_dashboard() -> dict[str, Any]:
    grid = Layout()
    panels = [grid.place(p, width, height) for p, width, height in operations_panels()]
    return dashboard("kefu-operations", "Kefu · Operations", panels, [])


DASHBOARDS = {"kpi-overview.json": kpi_dashboard, "operations.json": operations_dashboard}


def render(build: Any) -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, build in DASHBOARDS.items():
        (OUT / name).write_text(render(build), encoding="utf-8")


if __name__ == "__main__":
    main()
