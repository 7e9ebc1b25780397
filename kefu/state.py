"""The state file ``<data dir>/state.json`` that ``kefu up`` writes and every other command reads."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from kefu.settings import Settings


class NotRunning(RuntimeError):
    """No endpoints are configured and no embedded platform is running for this data directory."""


@dataclass
class Endpoints:
    kafka: str
    schema_registry: str
    http: str | None = None
    api_key: str | None = None
    mode: str = "production"
    pid: int | None = None
    data_dir: str | None = None
    processes: dict[str, int] = field(default_factory=dict)
    metrics: list[str] = field(default_factory=list)  # Prometheus endpoints of the API and each worker
    store: str | None = None  # the embedded store's query endpoint (the sink process owns the chDB directory)
    serving: str | None = None  # `kefu serve`'s ready file: Ray address, Serve HTTP URL, apps (JSON)
    milvus: str | None = None  # the knowledge base (embedded: the milvus-lite server of `kefu up`)
    webchat_key: str | None = None  # the embedded web-chat key (chat and customer feedback only)
    chat: str | None = None  # the web chat page, with the web-chat key in its fragment
    agents: str | None = None  # the agents' console, with the API key in its fragment (embedded)
    kpi: str | None = None  # the KPI page, with the API key in its fragment (embedded)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_state(settings: Settings, endpoints: Endpoints) -> None:
    path = settings.state_file
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(endpoints.as_dict(), indent=1))
    os.replace(tmp, path)


def read_state(settings: Settings) -> Endpoints | None:
    try:
        raw = json.loads(settings.state_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return Endpoints(**raw)


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def resolve_endpoints(settings: Settings) -> Endpoints:
    """Configured services (production) win; otherwise the running embedded platform's state file."""
    state = read_state(settings)
    running = state if state is not None and pid_alive(state.pid) else None
    kafka = settings.kafka_bootstrap or (running.kafka if running else None)
    registry = settings.schema_registry_url or (running.schema_registry if running else None)
    if kafka is None or registry is None:
        raise NotRunning(
            f"Kefu is not running for data dir {settings.data_dir} (no live {settings.state_file}); start it with "
            "`make up` or `kefu up`, or set KEFU_KAFKA_BOOTSTRAP and KEFU_SCHEMA_REGISTRY_URL"
        )
    if running is not None:
        running.kafka, running.schema_registry = kafka, registry
        return running
    return Endpoints(kafka=kafka, schema_registry=registry)
