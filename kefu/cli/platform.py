"""Running the platform: ``up``, ``status``, ``worker``, ``api``, ``registry``, ``topics``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from kefu.settings import get_settings
from kefu.state import NotRunning, read_state, resolve_endpoints
from streams.probes import http_ok, kafka_open

topics_app = typer.Typer(help="Topic administration.", no_args_is_help=True)


def up() -> None:
    """Start the platform on the embedded default (or against KEFU_* services) and supervise it."""
    from streams.embedded import EmbeddedPlatform

    raise typer.Exit(EmbeddedPlatform(get_settings()).run())


def _serving_ok(ready_file: Path) -> bool:
    """`kefu serve` announced itself and its Serve HTTP proxy answers its health route."""
    from serving.deployments.runtime import ServeInfo

    info = ServeInfo.read(ready_file)
    return info is not None and info.http is not None and http_ok(f"{info.http}/-/healthz", 2.0)


def _status() -> dict[str, Any]:
    settings = get_settings()
    try:
        endpoints = resolve_endpoints(settings)
    except NotRunning as error:
        state = read_state(settings)
        return {"healthy": False, "running": False, "error": str(error), "stale_state": state is not None}
    body = endpoints.as_dict()
    checks = {
        "kafka": kafka_open(endpoints.kafka, 1.0),
        "schema_registry": http_ok(endpoints.schema_registry.rstrip("/") + "/subjects", 2.0),
        "http": http_ok(f"{endpoints.http}/health", 2.0) if endpoints.http else None,
        "store": http_ok(f"{endpoints.store}/health", 2.0) if endpoints.store else None,
        "serving": _serving_ok(Path(endpoints.serving)) if endpoints.serving else None,
    }
    body.update(running=True, checks=checks, healthy=all(v for v in checks.values() if v is not None))
    return body


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    wait: Annotated[float, typer.Option(help="Wait up to this many seconds for the platform to be healthy.")] = 0.0,
) -> None:
    """Endpoints and health of the running platform."""
    deadline = time.monotonic() + wait
    body = _status()
    while not body["healthy"] and time.monotonic() < deadline:
        time.sleep(0.25)
        body = _status()
    if as_json:
        print(json.dumps(body, indent=1))
    elif not body.get("running"):
        print(body["error"], file=sys.stderr)
    else:
        print(f"Kefu ({body['mode']}): {'healthy' if body['healthy'] else 'UNHEALTHY'}")
        keys = ("kafka", "schema_registry", "http", "chat", "agents", "kpi", "store", "serving", "api_key", "data_dir")
        for key in keys:
            if body.get(key):
                ok = body["checks"].get(key)
                mark = "" if ok is None else (" ok" if ok else " DOWN")
                print(f"  {key:16} {body[key]}{mark}")
    raise typer.Exit(0 if body["healthy"] else 1)


def worker(
    worker_id: Annotated[int, typer.Option("--id", help="Worker number (its data sub-directory).")] = 0,
    ready_file: Annotated[Path | None, typer.Option(help="Touched once the worker has joined its group.")] = None,
) -> None:
    """Run one Faust worker (needs KEFU_KAFKA_BOOTSTRAP and KEFU_SCHEMA_REGISTRY_URL, or a running `kefu up`)."""
    from streams.worker import run_worker

    settings = get_settings()
    endpoints = resolve_endpoints(settings)
    sys.argv = [sys.argv[0], "worker"]  # Faust's Worker parses argv; keep ours away from it
    run_worker(settings, endpoints.kafka, endpoints.schema_registry, worker_id, ready_file)


def api() -> None:
    """Run the HTTP API (uvicorn) on KEFU_HTTP_HOST:KEFU_HTTP_PORT."""
    import uvicorn

    from serving.api import create_api
    from serving.api.kpi_sql import store_query
    from serving.auth import WEBCHAT_KEYS_FILE, ApiKeys

    settings = get_settings()
    endpoints = resolve_endpoints(settings)
    keys = ApiKeys.parse(settings.api_keys) if settings.api_keys else ApiKeys.load(settings.data_dir)
    webchat_keys = (
        ApiKeys.parse(settings.webchat_keys)
        if settings.webchat_keys
        else ApiKeys.load(settings.data_dir, WEBCHAT_KEYS_FILE)
    )
    application = create_api(
        settings,
        endpoints.kafka,
        endpoints.schema_registry,
        keys,
        kpi_query=store_query(settings),
        webchat_keys=webchat_keys,
    )
    uvicorn.run(application, host=settings.http_host, port=settings.http_port or 8080, log_level="warning")


def registry(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8081,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Run the embedded schema registry (Confluent REST subset), persisted in the data directory."""
    import uvicorn

    from schemas.registry.server import create_registry_app
    from schemas.registry.store import SchemaStore

    store = SchemaStore(get_settings().data_dir / "registry.json")
    uvicorn.run(create_registry_app(store), host=host, port=port, log_level="warning")


@topics_app.command("create")
def topics_create() -> None:
    """Create Kefu's topics and register its schemas (idempotent)."""
    from streams.admin import ensure_topics, register_schemas

    settings = get_settings()
    endpoints = resolve_endpoints(settings)
    created = ensure_topics(
        endpoints.kafka, settings.topic_partitions, settings.topic_replication, settings.topic_prefix
    )
    ids = register_schemas(endpoints.schema_registry, settings.topic_prefix)
    print(json.dumps({"created_topics": created, "schema_ids": ids}, indent=1))


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(status)
    app.command()(worker)
    app.command()(api)
    app.command()(registry)
    app.add_typer(topics_app, name="topics")
