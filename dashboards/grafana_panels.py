"""Small builders of Grafana dashboard JSON (schema 39, Grafana 11), so dashboards are reviewed as code.

Data sources are referred to by the uids that deploy/grafana/provisioning/datasources/kefu.yml provisions.
"""

from __future__ import annotations

from typing import Any

CLICKHOUSE = {"type": "grafana-clickhouse-datasource", "uid": "kefu-clickhouse"}
PROMETHEUS = {"type": "prometheus", "uid": "kefu-prometheus"}
ALL = "__all__"  # the value of a variable's "All" option; SQL treats it as "no filter"


class Layout:
    """Places panels left to right on Grafana's 24-column grid, wrapping to a new row."""

    def __init__(self) -> None:
        self.x = self.y = self.row_height = 0
        self.next_id = 1

    def place(self, panel: dict[str, Any], width: int, height: int) -> dict[str, Any]:
        if self.x + width > 24:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": width, "h": height}
        panel["id"] = self.next_id
        self.next_id += 1
        self.x += width
        self.row_height = max(self.row_height, height)
        return panel


def sql_target(sql: str, table: bool = False, ref: str = "A") -> dict[str, Any]:
    """A grafana-clickhouse-datasource (v4) SQL query; format 1 = table, 0 = time series."""
    return {
        "refId": ref,
        "datasource": CLICKHOUSE,
        "editorType": "sql",
        "queryType": "table" if table else "timeseries",
        "format": 1 if table else 0,
        "rawSql": " ".join(sql.split()),
    }


def prom_target(expr: str, legend: str, ref: str = "A") -> dict[str, Any]:
    return {"refId": ref, "datasource": PROMETHEUS, "expr": expr, "legendFormat": legend, "range": True}


def panel(
    kind: str,
    title: str,
    targets: list[dict[str, Any]],
    unit: str = "short",
    description: str = "",
    **options: Any,
) -> dict[str, Any]:
    datasource = targets[0]["datasource"]
    defaults: dict[str, Any] = {"unit": unit}
    if "decimals" in options:
        defaults["decimals"] = options.pop("decimals")
    if "max" in options:
        defaults["min"], defaults["max"] = 0, options.pop("max")
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": datasource,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options,
    }


def variable(name: str, label: str, sql: str) -> dict[str, Any]:
    """A multi-value ClickHouse query variable with an "All" option whose value is ``__all__``."""
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": CLICKHOUSE,
        "query": " ".join(sql.split()),
        "definition": " ".join(sql.split()),
        "refresh": 2,
        "includeAll": True,
        "allValue": ALL,
        "multi": True,
        "current": {"text": "All", "value": [ALL]},
        "sort": 1,
    }


def dashboard(uid: str, title: str, panels: list[dict[str, Any]], variables: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["kefu"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "1m",
        "time": {"from": "now-24h", "to": "now"},
        "templating": {"list": variables},
        "annotations": {"list": []},
        "panels": panels,
    }


def in_filter(column: str, variable_name: str) -> str:
    """SQL: ``column`` is one of the selected values, or the variable is "All"."""
    return f"('{ALL}' IN (${{{variable_name}:singlequote}}) OR {column} IN (${{{variable_name}:singlequote}}))"
