"""Evaluations: ``kefu eval retrieval`` (the other evaluations join ``eval_app`` as commands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kefu.settings import get_settings

eval_app = typer.Typer(help="Measure Kefu's models on labelled data.", no_args_is_help=True)


@eval_app.command()
def retrieval(
    pairs: Annotated[Path, typer.Option(help="AFQMC-format JSON lines: sentence1, sentence2, label.", exists=True)],
    candidates: Annotated[int | None, typer.Option(help="Candidates per search list; default from settings.")] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Reuse embeddings cached by content hash in this dir.")] = None,
    no_rerank: Annotated[bool, typer.Option(help="Measure dense and fusion only.")] = False,
) -> None:
    """KB = every sentence1, queries = positive sentence2: recall@1, recall@5 and MRR per stage, as JSON."""
    from jobs.eval_retrieval import evaluate_pairs, load_pairs
    from serving.embedding.factory import build_embedder
    from serving.protocols import Embedder
    from serving.rerank.factory import build_reranker

    settings = get_settings()
    embedder: Embedder = build_embedder(settings)
    if cache_dir is not None:
        from jobs.embedding_cache import CachedEmbedder

        embedder = CachedEmbedder(embedder, cache_dir)
    reranker = None if no_rerank else build_reranker(settings, embedder)
    result = evaluate_pairs(
        load_pairs(pairs),
        embedder,
        reranker,
        candidates=candidates or settings.retrieval_candidates,
        rerank_top=settings.retrieval_rerank_top,
    )
    print(json.dumps({"pairs": str(pairs), "reranker": reranker.model_id if reranker else None, **result}))
