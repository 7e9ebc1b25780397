"""Start or join Ray, run Kefu's Serve applications, and describe where they answer.

Embedded: this process starts a local Ray instance (it ends with the process) and Serve's HTTP proxy on a
loopback port. Production: ``KEFU_RAY_ADDRESS`` names the cluster and the apps are deployed onto it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kefu.settings import Settings
from serving.deployments.apps import AppSpec, build_apps

log = logging.getLogger(__name__)

# Measured on these machines (STACK.md): no telemetry, no token auth on a loopback-only cluster, and a
# router that gives up on a dead replica's queue-length probe after 1 s instead of the default 30 s.
# Ray starts its workers at niceness 15; the model replicas are the latency-critical path, and at 15 the
# generator's prompt evaluation lost the cores to the broker and the stream workers (docs/decisions.md).
RAY_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "disabled",
    "RAY_SERVE_QUEUE_LENGTH_RESPONSE_DEADLINE_S": "1.0",
    "RAY_worker_niceness": "0",
}


@dataclass
class ServeInfo:
    """What a client needs to reach the running apps; written as JSON into the ready file."""

    ray_address: str
    http: str | None
    apps: dict[str, str] = field(default_factory=dict)  # app name -> route prefix
    started_s: float = 0.0

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: Path) -> ServeInfo | None:
        try:
            return cls(**json.loads(path.read_text()))
        except (FileNotFoundError, json.JSONDecodeError, TypeError):
            return None


def ready_file(settings: Settings) -> Path:
    """Where ``kefu serve`` under ``kefu up`` announces itself, and where clients look for it."""
    return settings.data_dir.resolve() / "run" / "serve.ready"


def init_ray(settings: Settings, *, client: bool = False) -> str:
    """Connect to KEFU_RAY_ADDRESS, or (``client=False``) start a local instance; returns the address."""
    for key, value in RAY_ENV.items():
        os.environ.setdefault(key, value)
    import ray

    if ray.is_initialized():
        return str(ray.get_runtime_context().gcs_address)
    if settings.ray_address is not None or client:
        address = settings.ray_address
        if address is None:
            raise RuntimeError("no Ray address: set KEFU_RAY_ADDRESS or start `kefu serve`")
        ray.init(address=address, namespace="kefu", log_to_driver=False, logging_level=logging.WARNING)
    else:
        ray.init(
            num_cpus=settings.ray_num_cpus,
            include_dashboard=False,
            object_store_memory=settings.ray_object_store_mb * 2**20,
            namespace="kefu",
            logging_level=logging.WARNING,
        )
    if settings.ray_address is not None and settings.ray_address.startswith("ray://"):
        return settings.ray_address
    return str(ray.get_runtime_context().gcs_address)


def run_apps(settings: Settings, specs: list[AppSpec] | None = None) -> ServeInfo:
    """Deploy the apps (waiting until each is healthy) and return where they answer."""
    from ray import serve

    started = time.monotonic()
    address = init_ray(settings)
    embedded = settings.ray_address is None
    port = settings.serve_http_port or (_free_port() if embedded else 8000)
    serve.start(http_options={"host": "127.0.0.1" if embedded else "0.0.0.0", "port": port})
    apps = {}
    for spec in specs if specs is not None else build_apps(settings):
        t0 = time.monotonic()
        serve.run(spec.app, name=spec.name, route_prefix=spec.route_prefix)
        log.info("app %s ready in %.1fs", spec.name, time.monotonic() - t0)
        apps[spec.name] = spec.route_prefix
    http = f"http://127.0.0.1:{port}" if embedded else None  # production: the cluster's proxy address
    return ServeInfo(ray_address=address, http=http, apps=apps, started_s=round(time.monotonic() - started, 2))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def shutdown() -> None:
    import ray
    from ray import serve

    if ray.is_initialized():
        serve.shutdown()  # type: ignore[no-untyped-call]
        ray.shutdown()
