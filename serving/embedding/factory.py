"""The embedder the settings ask for."""

from __future__ import annotations

from kefu.settings import Settings
from serving.protocols import Embedder


def build_embedder(settings: Settings) -> Embedder:
    """``OpenAIEmbedder`` when ``KEFU_EMBEDDINGS_BASE_URL`` is set (non-empty), else the in-process ``E5Embedder``."""
    if settings.embeddings_base_url:
        from serving.embedding.openai import OpenAIEmbedder

        e5 = "e5" in settings.embeddings_model.lower()
        return OpenAIEmbedder(
            settings.embeddings_base_url,
            settings.embeddings_model,
            api_key=settings.embeddings_api_key,
            dim=settings.embeddings_dim,
            timeout_s=settings.embeddings_timeout_s,
            batch_size=settings.embeddings_batch_size,
            query_prefix="query: " if e5 else "",
            passage_prefix="passage: " if e5 else "",
        )
    from serving.embedding.e5 import E5Embedder

    return E5Embedder(batch_size=settings.embeddings_batch_size)
