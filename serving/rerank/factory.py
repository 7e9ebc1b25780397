"""The reranker the settings ask for."""

from __future__ import annotations

from kefu.settings import Settings
from serving.protocols import Embedder, Reranker


def build_reranker(settings: Settings, embedder: Embedder | None = None) -> Reranker:
    """``HttpReranker`` when ``KEFU_RERANK_BASE_URL`` is set (non-empty), else the shipped ``LearnedReranker``.

    ``embedder`` lets the learned reranker score passages that arrive without retrieval metadata.
    """
    if settings.rerank_base_url:
        from serving.rerank.http import HttpReranker

        return HttpReranker(
            settings.rerank_base_url,
            settings.rerank_model,
            api_key=settings.rerank_api_key,
            timeout_s=settings.rerank_timeout_s,
            style=settings.rerank_api_style,
        )
    from serving.embedding.factory import tuned_e5
    from serving.rerank.learned import LearnedReranker, default_model_path

    return LearnedReranker(default_model_path(tuned_e5(settings)), embedder=embedder)
