"""``kefu bench``: measured figures. Each area adds its own command to ``bench_app``."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import Annotated, cast

import typer

from kefu.settings import get_settings

bench_app = typer.Typer(help="Benchmarks (figures go to docs/benchmarks.md).", no_args_is_help=True)


@bench_app.command("serving")
def serving(
    profile: Annotated[
        list[str] | None, typer.Option(help="Generation profiles to time (default: fast, quality).")
    ] = None,
    prompt_tokens: Annotated[int, typer.Option(help="Prompt length for time to first token.")] = 300,
    max_tokens: Annotated[int, typer.Option(help="Tokens generated per run.")] = 64,
    requests: Annotated[int, typer.Option(help="Embed calls per throughput figure.")] = 200,
    through_serve: Annotated[
        bool, typer.Option(help="Also start `kefu serve` and call it via handle and HTTP.")
    ] = True,
) -> None:
    """Generation TTFT and tokens/s in-process; embed/rerank/generate through Ray Serve (handle and HTTP)."""
    from serving.benchmark import (
        bench_generation,
        bench_in_process,
        bench_through_serving,
        serve_info,
        start_serve_process,
    )
    from serving.models import Profile

    settings = get_settings()
    report: dict[str, object] = {}
    generation: dict[str, dict[str, object]] = {}
    repeat = 1
    for name in profile or ["fast", "quality"]:
        figures = bench_generation(settings, cast(Profile, name), prompt_tokens, max_tokens)
        generation[name] = figures
        repeat = cast(int, figures["faq_repeats"])
        report["generation_in_process"] = generation
        print(json.dumps({name: figures}, ensure_ascii=False), flush=True)
    report["embed_rerank_in_process"] = asyncio.run(bench_in_process(settings, requests))
    print(json.dumps(report["embed_rerank_in_process"]), flush=True)
    if through_serve:
        # the fast profile only: two GGUF replicas beside the benchmark's own would not fit 2 cores fairly
        env = {"KEFU_LLM_PROFILE": "fast", "KEFU_LLM_FALLBACK": "off"}
        process, ready = start_serve_process(env)
        try:
            info = serve_info(ready)
            remote = settings.model_copy(
                update={
                    "ray_address": info.ray_address,
                    "serve_http_url": info.http,
                    "llm_profile": "fast",
                    "llm_fallback": False,
                }
            )
            for transport in ("handle", "http"):
                figures = asyncio.run(bench_through_serving(remote, transport, requests, max_tokens, repeat))
                report[f"through_serve_{transport}"] = figures
                print(json.dumps({transport: figures}), flush=True)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
    print(json.dumps(report, indent=1, ensure_ascii=False))
