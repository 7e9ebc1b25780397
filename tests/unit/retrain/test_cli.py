"""``kefu retrain`` and ``kefu models`` against a registry directory."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kefu.cli import app

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
