"""The production-shaped stack (docker-compose.yml, Dockerfile, deploy/) stays internally consistent.

No Docker engine is needed: the YAML is checked structurally, and `docker compose config` (client only)
validates it against the Compose spec where the compose plugin is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is not installed; compose checks need it")

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / "deploy" / ".env.example"
PROMETHEUS_CONFIG = REPO / "deploy" / "prometheus" / "prometheus.yml"
GRAFANA_PROVISIONING = REPO / "deploy" / "grafana" / "provisioning"

# The settings object's environment names that the compose stack sets (kefu/settings.py, KEFU_ prefix).
SETTINGS_VARS = frozenset(
    {
        "KEFU_KAFKA_BOOTSTRAP",
        "KEFU_PSEUDONYM_KEY",
        "KEFU_SCHEMA_REGISTRY_URL",
        "KEFU_TOPIC_PARTITIONS",
        "KEFU_TOPIC_REPLICATION",
        "KEFU_CLICKHOUSE_DSN",
        "KEFU_MILVUS_URI",
        "KEFU_RAY_ADDRESS",
        "KEFU_LLM_BASE_URL",
        "KEFU_LLM_API_KEY",
        "KEFU_LLM_MODEL",
        "KEFU_EMBEDDINGS_BASE_URL",
        "KEFU_EMBEDDINGS_MODEL",
        "KEFU_RERANK_BASE_URL",
        "KEFU_API_KEYS",
        "KEFU_WEBCHAT_KEYS",
        "KEFU_JWT_SECRET",
        "KEFU_JWT_PUBLIC_KEY",
        "KEFU_JWT_AUDIENCE",
        "KEFU_JWT_ISSUER",
        "KEFU_WECHAT_TOKEN",
        "KEFU_WECHAT_APP_ID",
        "KEFU_WECHAT_APP_SECRET",
        "KEFU_SMTP_HOST",
        "KEFU_SMTP_PORT",
        "KEFU_SMTP_USERNAME",
        "KEFU_SMTP_PASSWORD",
        "KEFU_EMAIL_FROM",
        "KEFU_EMAIL_CONTACT_KEY",
        "KEFU_EMAIL_CONTACTS_FILE",
        "KEFU_PREMIUM_TENANTS",
        "KEFU_DATA_DIR",
        "KEFU_HTTP_HOST",
        "KEFU_HTTP_PORT",
        "KEFU_LOG_LEVEL",
    }
)
KEFU_SERVICES = {"kefu-worker": ["worker"], "kefu-api": ["api"], "kefu-topics": ["topics", "create"]}
ONE_SHOT_SERVICES = {"kefu-topics"}
# Repo paths that other parts of the project write; they may not exist yet on this branch.
PATHS_WRITTEN_ELSEWHERE = ("./dashboards/",)
SECRET_NAME = re.compile(r"PASSWORD|SECRET|API_KEY", re.IGNORECASE)
REQUIRED_VAR = re.compile(r"\$\{([A-Z0-9_]+):\?")
# A secret's whole value is one variable, required (:?) or optional with an empty default (:-}): never a literal.
SECRET_FROM_ENV = re.compile(r"\$\{[A-Z0-9_]+(:\?[^}]*|:-)\}")
ANY_VAR = re.compile(r"\$\{([A-Z0-9_]+)")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    with COMPOSE_FILE.open(encoding="utf-8") as f:
        loaded: dict[str, Any] = yaml.safe_load(f)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def _bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of every bind mount from a repo path, short or long syntax."""
    mounts: list[tuple[str, str]] = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            parts = volume.split(":")
            if len(parts) >= 2 and parts[0].startswith("./"):
                mounts.append((parts[0], parts[1]))
        elif volume.get("type") == "bind" and str(volume.get("source", "")).startswith("./"):
            mounts.append((volume["source"], volume["target"]))
    return mounts


def _kafka_brokers(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: svc
        for name, svc in services.items()
        if str(svc.get("image", "")).startswith(("apache/kafka:", "bitnami/kafka:"))
    }


def test_compose_file_follows_the_compose_spec_without_a_version_key(compose: dict[str, Any]) -> None:
    assert "version" not in compose
    assert compose["services"]


def test_every_depends_on_target_is_a_defined_service_with_a_matching_condition(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, svc in services.items():
        for target, spec in (svc.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on undefined service {target}"
            condition = spec["condition"]
            if target in ONE_SHOT_SERVICES:
                assert condition == "service_completed_successfully", (name, target)
            else:
                assert condition == "service_healthy", (name, target)
                has_check = "healthcheck" in services[target]
                assert has_check, f"{name} waits for {target}, which has no healthcheck"


def test_every_long_running_service_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    missing = [n for n, s in services.items() if n not in ONE_SHOT_SERVICES and "healthcheck" not in s]
    assert missing == []


def test_kefu_env_anchor_holds_exactly_the_settings_variables(compose: dict[str, Any]) -> None:
    anchor = compose["x-kefu-env"]
    kefu_names = {k for k in anchor if k.startswith("KEFU_")}
    assert kefu_names - SETTINGS_VARS == set(), "unknown settings variable in x-kefu-env"
    assert set(anchor) == SETTINGS_VARS


def test_kefu_services_share_one_image_and_the_settings_anchor(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    anchor = compose["x-kefu-env"]
    images = set()
    for name, command in KEFU_SERVICES.items():
        svc = services[name]
        assert svc["environment"] == anchor, name
        assert svc["build"]["dockerfile"] == "Dockerfile"
        assert svc["command"] == command
        images.add(svc["image"])
    assert len(images) == 1
    assert services["kefu-worker"]["deploy"]["replicas"] == 2
    assert "8080:8080" in services["kefu-api"]["ports"]


def test_secrets_come_only_from_the_environment(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        env = svc.get("environment") or {}
        assert isinstance(env, dict), f"{name}: use the mapping form for environment"
        for key, value in env.items():
            if SECRET_NAME.search(key):
                assert SECRET_FROM_ENV.fullmatch(str(value)), f"{name}.{key} must be ${{VAR:?...}} from the env"
    dsn = services["kefu-api"]["environment"]["KEFU_CLICKHOUSE_DSN"]
    assert "${CLICKHOUSE_PASSWORD" in dsn
    assert REQUIRED_VAR.search(services["kefu-api"]["environment"]["KEFU_API_KEYS"])


def test_env_example_documents_every_variable_the_compose_file_reads() -> None:
    documented = {
        line.split("=", 1)[0].strip()
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    used = set(ANY_VAR.findall(COMPOSE_FILE.read_text(encoding="utf-8")))
    assert used - documented == set()


def test_mounted_repo_paths_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        for source, _target in _bind_mounts(svc):
            if source.startswith(PATHS_WRITTEN_ELSEWHERE):
                continue
            assert (REPO / source).exists(), f"{name} mounts missing repo path {source}"


def test_kafka_runs_three_kraft_brokers_with_rf3_and_min_isr2(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    brokers = _kafka_brokers(services)
    assert len(brokers) == 3
    node_ids = set()
    cluster_ids = set()
    for name, svc in brokers.items():
        env = svc["environment"]
        assert "broker" in env["KAFKA_PROCESS_ROLES"]
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "2"
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        voters = {v.split("@")[1].split(":")[0] for v in env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")}
        assert voters == set(brokers)
        node_ids.add(env["KAFKA_NODE_ID"])
        cluster_ids.add(env["CLUSTER_ID"])
    assert len(node_ids) == 3
    assert len(cluster_ids) == 1
    anchor = compose["x-kefu-env"]
    assert set(anchor["KEFU_KAFKA_BOOTSTRAP"].split(",")) == {f"{b}:9092" for b in brokers}
    assert anchor["KEFU_TOPIC_REPLICATION"] == "3"


def test_prometheus_scrapes_api_and_every_worker_and_loads_dashboard_rules(
    services: dict[str, dict[str, Any]],
) -> None:
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["kefu-api"]["static_configs"][0]["targets"] == ["kefu-api:8080"]
    worker_sd = jobs["kefu-worker"]["dns_sd_configs"][0]
    assert worker_sd["names"] == ["kefu-worker"]
    assert worker_sd["port"] == 9102
    mounts = dict(_bind_mounts(services["prometheus"]))
    rules_dir = mounts["./dashboards/prometheus"]
    assert config["rule_files"] == [f"{rules_dir}/*.yml"]


def test_grafana_provisions_clickhouse_and_loads_repo_dashboards(services: dict[str, dict[str, Any]]) -> None:
    grafana = services["grafana"]
    assert "grafana-clickhouse-datasource" in grafana["environment"]["GF_INSTALL_PLUGINS"]
    mounts = dict(_bind_mounts(grafana))
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    datasources = yaml.safe_load((GRAFANA_PROVISIONING / "datasources" / "kefu.yml").read_text("utf-8"))
    clickhouse = next(d for d in datasources["datasources"] if d["type"] == "grafana-clickhouse-datasource")
    assert clickhouse["jsonData"]["host"] == "clickhouse"
    providers = yaml.safe_load((GRAFANA_PROVISIONING / "dashboards" / "kefu.yml").read_text("utf-8"))
    assert providers["providers"][0]["options"]["path"] == mounts["./dashboards/grafana"]


def test_dockerfile_installs_the_project_as_a_non_root_kefu_entrypoint() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert re.search(r"^RUN pip install \.$", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert 'ENTRYPOINT ["kefu"]' in dockerfile


def _compose_plugin_available() -> bool:
    try:
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


@pytest.mark.skipif(shutil.which("docker") is None, reason="docker client not installed")
def test_docker_compose_config_accepts_the_file() -> None:
    if not _compose_plugin_available():
        pytest.skip("docker compose plugin not installed (`docker compose version` fails)")
    required = set(REQUIRED_VAR.findall(COMPOSE_FILE.read_text(encoding="utf-8")))
    env = dict(os.environ)
    env.update({var: f"dummy-{var.lower().replace('_', '-')}" for var in required})
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
