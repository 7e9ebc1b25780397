"""One Faust worker process: ``kefu worker``. Same code in embedded and production mode."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import faust
from prometheus_client import start_http_server

from kefu.settings import Settings
from streams.app import create_app
from streams.gc_tuning import tune_gc_for_streaming

log = logging.getLogger(__name__)


def run_worker(
    settings: Settings, bootstrap: str, registry_url: str, worker_id: int = 0, ready_file: Path | None = None
) -> None:
    """Run until SIGINT/SIGTERM. ``ready_file`` is touched once the worker has joined its consumer group."""
    app = create_app(settings, bootstrap, registry_url, worker_id)
    tune_gc_for_streaming()

    @app.on_rebalance_complete.connect  # type: ignore[arg-type]
    async def _joined(sender: Any, **_: Any) -> None:
        log.info("worker %d joined the consumer group", worker_id)
        if ready_file is not None:
            ready_file.parent.mkdir(parents=True, exist_ok=True)
            ready_file.touch()

    if settings.metrics_port:
        start_http_server(settings.metrics_port)
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()
