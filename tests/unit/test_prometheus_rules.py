"""dashboards/prometheus/*.yml: valid rule files whose expressions read only metrics the code exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.promql_names import exported_names, metric_names

yaml = pytest.importorskip("yaml", reason="PyYAML is not installed")

RULES = Path(__file__).resolve().parents[2] / "dashboards" / "prometheus"


def rule_files() -> dict[str, dict[str, Any]]:
    return {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(RULES.glob("*.yml"))}


def all_rules() -> list[dict[str, Any]]:
    return [rule for doc in rule_files().values() for group in doc["groups"] for rule in group["rules"]]


def test_rule_files_exist_where_docker_compose_mounts_them() -> None:
    assert {"alerts.yml", "recording.yml"} <= set(rule_files())


def test_every_rule_is_an_alert_or_a_record_with_an_expression() -> None:
    for rule in all_rules():
        assert ("alert" in rule) != ("record" in rule), rule
        assert isinstance(rule["expr"], str) and rule["expr"].strip(), rule
        if "alert" in rule:
            assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
            assert rule["annotations"]["summary"], rule["alert"]


def test_alerts_cover_lag_dead_letters_5xx_worker_down_and_latency() -> None:
    alerts = {rule["alert"] for rule in all_rules() if "alert" in rule}

    expected = {"KefuWorkerDown", "KefuConsumerLagGrowing", "KefuDeadLetterRateHigh", "KefuApi5xxRateHigh"}
    assert expected | {"KefuApiLatencyP99High", "KefuEndToEndLatencyHigh"} <= alerts


def test_expressions_read_only_metrics_the_code_exports_or_rules_record() -> None:
    known = exported_names() | {rule["record"] for rule in all_rules() if "record" in rule}
    unknown = {
        rule.get("alert") or rule["record"]: sorted(metric_names(rule["expr"]) - known)
        for rule in all_rules()
        if metric_names(rule["expr"]) - known
    }

    assert unknown == {}


def test_the_name_check_would_catch_a_misspelt_metric() -> None:
    assert metric_names("rate(kefu_worker_dead_leters_total[5m])") - exported_names() == {
        "kefu_worker_dead_leters_total"
    }
