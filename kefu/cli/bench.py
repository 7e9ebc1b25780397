"""Benchmarks: ``kefu bench retrieval`` (the other benchmarks join ``bench_app`` as commands)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from kefu.settings import get_settings

bench_app = typer.Typer(help="Measure latency and throughput on this machine.", no_args_is_help=True)


@bench_app.command()
def retrieval(
    chunks: Annotated[int, typer.Option(help="Chunks in the generated knowledge base.")] = 20_000,
    queries: Annotated[int, typer.Option(help="Queries timed per stage.")] = 100,
) -> None:
    """Embed, search (dense, BM25, hybrid) and rerank latency p50/p95 and rates, as JSON."""
    from jobs.bench_retrieval import bench_retrieval
    from serving.embedding.factory import build_embedder
    from serving.rerank.factory import build_reranker

    settings = get_settings()
    embedder = build_embedder(settings)
    reranker = build_reranker(settings, embedder)
    result = bench_retrieval(
        embedder,
        reranker,
        chunks=chunks,
        queries=queries,
        candidates=settings.retrieval_candidates,
        rerank_top=settings.retrieval_rerank_top,
    )
    print(json.dumps({"embedder": embedder.model_id, "reranker": reranker.model_id, **result}))
