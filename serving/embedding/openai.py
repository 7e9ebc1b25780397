"""An OpenAI-compatible ``POST {base}/embeddings`` endpoint (vLLM, TEI, Infinity, hosted APIs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from serving.embedding.errors import EmbedderError
from serving.endpoint import EndpointClient, raising
from serving.protocols import Vectors


class OpenAIEmbedder:
    """Embeds through an OpenAI-compatible endpoint, ``batch_size`` texts per request.

    ``query_prefix`` / ``passage_prefix`` are prepended when the served model wants them (e5 does; bge-m3 and
    Qwen3-Embedding take instructions of their own or none). ``dim`` is asked of the endpoint on first use when
    not given. Every failure (connection, timeout, HTTP status, malformed body) raises ``EmbedderError`` naming
    the endpoint.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        dim: int | None = None,
        timeout_s: float = 10.0,
        batch_size: int = 32,
        query_prefix: str = "",
        passage_prefix: str = "",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._endpoint = EndpointClient(
            base_url,
            "embeddings",
            error=raising(EmbedderError),
            api_key=api_key,
            timeout_s=timeout_s,
            transport=transport,
        )
        self.model_id = model
        self.batch_size = batch_size
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self._dim = dim

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self._post(["dim"]).shape[1])
        return self._dim

    @dim.setter
    def dim(self, value: int) -> None:
        self._dim = value

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._embed([self.query_prefix + t for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._embed([self.passage_prefix + t for t in texts])

    def close(self) -> None:
        self._endpoint.close()

    def _embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._post(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        vectors = np.concatenate(parts)
        if self._dim is None:
            self._dim = int(vectors.shape[1])
        elif vectors.shape[1] != self._dim:
            raise EmbedderError(f"{self._endpoint.url} returned {vectors.shape[1]}-d vectors, expected {self._dim}")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        normalised: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
        return normalised

    def _post(self, texts: list[str]) -> Vectors:
        response = self._endpoint.post({"model": self.model_id, "input": texts})
        try:
            data: list[dict[str, Any]] = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = np.asarray([item["embedding"] for item in data], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as error:
            raise self._endpoint.malformed(error) from error
        if vectors.ndim != 2 or len(vectors) != len(texts):
            raise EmbedderError(f"{self._endpoint.url} returned {len(vectors)} vectors for {len(texts)} texts")
        return vectors
