"""dashboards/grafana/*.json: current, on provisioned data sources, and every query runs against the contract.

ClickHouse panels run, with Grafana's macros expanded, on chDB tables built from the store contract (columns =
Avro fields, kpi_hourly = the view's columns), so a misspelt column or table fails here, not in Grafana.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dashboards.grafana_build import DASHBOARDS, render
from tests.kpi_rows import NOW_HOUR, load_rows
from tests.promql_names import exported_names, metric_names
from tests.store_contract import contract_client

yaml = pytest.importorskip("yaml", reason="PyYAML is not installed")

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "dashboards" / "grafana"
PROVISIONED = REPO / "deploy" / "grafana" / "provisioning" / "datasources" / "kefu.yml"


def dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(GRAFANA.glob("*.json"))}


def targets(kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{name}: {panel['title']}", target)
        for name, board in dashboards().items()
        for panel in board["panels"]
        for target in panel["targets"]
        if target["datasource"]["type"] == kind
    ]


def expand(sql: str, selected: dict[str, str]) -> str:
    """Grafana ClickHouse macros and ``${var:singlequote}`` as Grafana would expand them for one day."""
    start = (NOW_HOUR - timedelta(hours=24)).strftime("%Y-%m-%d %H:%M:%S")
    end = (NOW_HOUR + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    sql = re.sub(
        r"\$__timeFilter\((\w+)\)",
        rf"\1 >= toDateTime64('{start}', 3, 'UTC') AND \1 < toDateTime64('{end}', 3, 'UTC')",
        sql,
    )
    sql = re.sub(r"\$__timeInterval\((\w+)\)", r"toStartOfInterval(\1, INTERVAL 3600 second)", sql)
    sql = re.sub(r"\$\{(\w+):singlequote\}", lambda m: f"'{selected.get(m.group(1), '__all__')}'", sql)
    assert "$" not in sql, f"unexpanded Grafana syntax in {sql}"
    return sql


def test_committed_dashboards_are_what_the_builder_makes() -> None:
    for name, build in DASHBOARDS.items():
        assert (GRAFANA / name).read_text(encoding="utf-8") == render(build), "run python -m dashboards.grafana_build"


def test_dashboards_use_only_provisioned_data_sources_and_unique_panel_ids() -> None:
    provisioned = {d["uid"]: d["type"] for d in yaml.safe_load(PROVISIONED.read_text())["datasources"]}
    for name, board in dashboards().items():
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in board["panels"]:
            for target in panel["targets"]:
                assert provisioned.get(target["datasource"]["uid"]) == target["datasource"]["type"], panel["title"]


def test_the_kpi_dashboard_charts_every_kpi_with_tenant_channel_intent_variables() -> None:
    board = dashboards()["kpi-overview.json"]
    sql = " ".join(t["rawSql"] for p in board["panels"] for t in p["targets"])

    assert [v["name"] for v in board["templating"]["list"]] == ["tenant", "channel", "intent"]
    for column in ("customer_messages", "contained_conversations", "handoffs", "resolved_conversations"):
        assert column in sql
    for column in ("csat_sum", "csat_count", "negative_emotion", "unknown_intent", "latency_ms", "feedback"):
        assert column in sql


@pytest.mark.parametrize("selected", [{}, {"tenant": "acme", "channel": "web", "intent": "refund"}])
def test_every_clickhouse_query_runs_on_the_contract_tables(selected: dict[str, str]) -> None:
    client = contract_client()
    load_rows(client)
    variables = [
        (f"{name}: variable {v['name']}", {"rawSql": v["query"]})
        for name, board in dashboards().items()
        for v in board["templating"]["list"]
    ]
    for where, target in targets("grafana-clickhouse-datasource") + variables:
        try:
            client.query(expand(target["rawSql"], selected))
        except Exception as error:
            pytest.fail(f"{where}: {error}")


def test_the_totals_panel_computes_the_kpis_of_the_rows() -> None:
    client = contract_client()
    load_rows(client)
    [(_, totals)] = [t for t in targets("grafana-clickhouse-datasource") if "Totals" in t[0]]

    [row] = client.query(expand(totals["rawSql"], {"tenant": "acme"})).named_results()

    assert (row["volume"], row["conversation_count"]) == (80, 40)
    assert (row["containment"], row["handoff_rate"], row["fcr"]) == (31 / 40, 9 / 40, 24 / 40)
    assert row["csat_mean"] == 63 / 16


def test_every_prometheus_query_reads_exported_or_recorded_metrics() -> None:
    rules = [yaml.safe_load(p.read_text()) for p in (REPO / "dashboards" / "prometheus").glob("*.yml")]
    recorded = {r["record"] for doc in rules for g in doc["groups"] for r in g["rules"] if "record" in r}
    known = exported_names() | recorded
    unknown = {where: metric_names(t["expr"]) - known for where, t in targets("prometheus")}

    assert {where: names for where, names in unknown.items() if names} == {}
