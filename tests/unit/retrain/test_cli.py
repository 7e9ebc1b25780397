"""``kefu retrain`` and ``kefu models`` against a registry directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli import app
from kefu.settings import get_settings

HERE = Path(__file__).parent


def test_retrain_promotes_then_models_lists_and_rolls_back(tmp_path: Path) -> None:
    runner = CliRunner()
    registry = str(tmp_path / "models")
    data = str(HERE / "livestream_intent.jsonl")
    first = runner.invoke(app, ["retrain", "intent", "--data", data, "--registry", registry, "--min-class-size", "10"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert (summary["action"], summary["version"]) == ("promoted", "v1")
    again = runner.invoke(app, ["retrain", "intent", "--data", data, "--registry", registry, "--margin", "0.05"])
    assert json.loads(again.output)["action"] == "rejected"
    listed = [
        json.loads(line) for line in runner.invoke(app, ["models", "list", "--registry", registry]).output.splitlines()
    ]
    assert [(row["version"], row["status"], row["active"]) for row in listed] == [
        ("v1", "promoted", True),
        ("v2", "rejected", False),
    ]
    assert "below the margin 0.05" in listed[1]["reason"]
    refused = runner.invoke(app, ["models", "rollback", "intent", "--registry", registry])
    assert refused.exit_code == 2
    promoted = runner.invoke(app, ["models", "promote", "intent", "v2", "--registry", registry])
    assert json.loads(promoted.output)["previous_version"] == "v1"
    back = runner.invoke(app, ["models", "rollback", "intent", "--registry", registry])
    assert json.loads(back.output)["version"] == "v1"


def test_models_list_on_an_empty_registry_says_so_on_stderr_and_keeps_stdout_json_lines(tmp_path: Path) -> None:
    listed = CliRunner().invoke(app, ["models", "list", "intent", "--registry", str(tmp_path / "models")])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout == ""  # it printed nothing at all, which reads like a hang or a failure
    assert "no registered versions of intent" in listed.stderr and "shipped" in listed.stderr


def test_retrain_without_data_reads_the_store_and_says_when_it_is_not_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["retrain", "intent", "--registry", str(tmp_path / "models")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "the embedded store is not running" in result.output
    assert not (tmp_path / "models" / "intent").exists() or not list((tmp_path / "models" / "intent").glob("v*"))
