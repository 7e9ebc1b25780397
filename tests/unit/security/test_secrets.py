"""Secrets come only from the environment: no literal in docker-compose.yml, settings, or the tracked files."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kefu.settings import Settings

REPO = Path(__file__).resolve().parents[3]
SECRET_NAME = re.compile(r"PASSWORD|SECRET|API_KEY|TOKEN|ACCESS_KEY", re.IGNORECASE)
SECRET_FROM_ENV = re.compile(r"\$\{[A-Z0-9_]+(:\?[^}]*|:-)\}")
URL_PASSWORD = re.compile(r"://[^:/@\s]+:([^@\s]+)@")


def compose_strings(node: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [item for key, value in node.items() for item in compose_strings(value, f"{path}.{key}")]
    if isinstance(node, list):
        return [item for i, value in enumerate(node) for item in compose_strings(value, f"{path}[{i}]")]
    return [(path, str(node))]


def test_compose_holds_no_literal_secret_in_any_value_or_url() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    strings = compose_strings(compose)
    assert len(strings) > 100  # the walk reached the services
    for path, value in strings:
        leaf = path.rsplit(".", 1)[-1]
        if SECRET_NAME.search(leaf) and not leaf.endswith(("_FILE", "_USER", "_KEY_ID")):  # user names
            assert SECRET_FROM_ENV.fullmatch(value), f"{path} = {value!r} is not taken from the environment"
        for password in URL_PASSWORD.findall(value):
            assert SECRET_FROM_ENV.fullmatch(password), f"{path} has a literal password in a URL"


def test_the_env_example_leaves_every_secret_empty() -> None:
    for line in (REPO / "deploy" / ".env.example").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            if SECRET_NAME.search(name):
                assert value.strip() == "", f"{name} has a value in .env.example"


SECRET_SETTINGS = ["api_keys", "jwt_secret", "jwt_public_key", "wechat_token", "llm_api_key", "embeddings_api_key",
                   "rerank_api_key", "milvus_token", "clickhouse_dsn"]  # fmt: skip


@pytest.mark.parametrize("name", SECRET_SETTINGS)
def test_secret_settings_have_no_default(name: str) -> None:
    assert Settings.model_fields[name].default is None


def test_jwt_keys_do_not_show_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_JWT_SECRET", "do-not-print-me-" * 3)
    assert "do-not-print-me" not in repr(Settings()) + str(Settings().model_dump())


LEAKS = {
    "private key": re.compile(r"-----BEGIN (RSA |EC |OPENSSH |)PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "OpenAI-style key": re.compile(r"\bsk-[A-Za-z0-9]{32,}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
}


def test_no_tracked_file_holds_a_private_key_or_cloud_token() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    assert "kefu/settings.py" in files
    found = []
    for name in files:
        path = REPO / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        found += [f"{name}: {kind}" for kind, pattern in LEAKS.items() if pattern.search(text)]
    assert found == []
