"""Serving settings and commands: the switches `kefu up` and operators rely on."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kefu.cli import app
from kefu.settings import Settings
from serving.deployments.apps import deployment_options, generator_profiles


def test_kefu_serving_off_disables_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_SERVING", "off")
    assert Settings().serving is False


def test_fallback_profile_is_served_only_behind_quality() -> None:
    assert generator_profiles(Settings(llm_profile="quality", llm_fallback=True)) == ["quality", "fast"]
    assert generator_profiles(Settings(llm_profile="quality", llm_fallback=False)) == ["quality"]
    assert generator_profiles(Settings(llm_profile="fast", llm_fallback=True)) == ["fast"]


def test_autoscaling_only_when_the_maximum_exceeds_the_replicas() -> None:
    settings = Settings(serve_target_ongoing_requests=3, serve_replica_cpus=0.5)
    scaled = deployment_options(settings, 1, 4, 8)
    assert scaled["autoscaling_config"] == {"min_replicas": 1, "max_replicas": 4, "target_ongoing_requests": 3}
    assert "num_replicas" not in scaled
    assert scaled["ray_actor_options"] == {"num_cpus": 0.5}
    fixed = deployment_options(settings, 2, 2, 8)
    assert fixed["num_replicas"] == 2 and "autoscaling_config" not in fixed


def test_cli_has_the_serving_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "models", "bench"):
        assert command in result.output


def test_models_fetch_rejects_an_unknown_profile() -> None:
    result = CliRunner().invoke(app, ["models", "fetch", "--profile", "huge"])
    assert result.exit_code != 0
    assert "unknown profile" in result.output
