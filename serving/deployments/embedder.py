"""EmbedderDeployment: any serving.protocols.Embedder behind Ray Serve, query embeddings batched."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from ray import serve
from starlette.requests import Request

from serving.deployments.factories import load_factory, settings_from
from serving.protocols import Embedder, Vectors


@serve.deployment(name="embedder")
class EmbedderDeployment:
    """``embed_queries`` calls from many clients are merged into one model call (``@serve.batch``)."""

    def __init__(self, settings_dump: dict[str, Any], factory: str) -> None:
        settings = settings_from(settings_dump)
        self.embedder: Embedder = load_factory(factory)(settings)
        self.model_id = self.embedder.model_id
        # @serve.batch adds these setters; its type hints do not show them
        self._embed_many.set_max_batch_size(settings.embed_batch_size)  # type: ignore[attr-defined]
        self._embed_many.set_batch_wait_timeout_s(settings.embed_batch_wait_s)  # type: ignore[attr-defined]

    @serve.batch(max_batch_size=32, batch_wait_timeout_s=0.01)
    async def _embed_many(self, requests: list[list[str]]) -> list[Vectors]:
        flat = [text for texts in requests for text in texts]
        vectors = await asyncio.to_thread(self.embedder.embed_queries, flat)
        bounds = np.cumsum([len(texts) for texts in requests])[:-1]
        return list(np.split(np.asarray(vectors, dtype=np.float32), bounds))

    async def embed_queries(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return await self._embed_many(list(texts))

    async def embed_passages(self, texts: list[str]) -> Vectors:
        # bulk ingestion sends large lists already: no batching across callers needed
        return await asyncio.to_thread(self.embedder.embed_passages, list(texts))

    def info(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "dim": self.embedder.dim}

    def check_health(self) -> None:
        if self.embedder.embed_queries(["ok"]).shape[0] != 1:
            raise RuntimeError(f"{self.model_id} returned no vector")

    async def __call__(self, request: Request) -> dict[str, Any]:
        """HTTP: ``{"texts": [...], "kind": "query"|"passage"}`` -> ``{"vectors": [[...], ...]}``."""
        body = await request.json()
        texts = [str(t) for t in body["texts"]]
        kind = body.get("kind", "query")
        vectors = await (self.embed_passages(texts) if kind == "passage" else self.embed_queries(texts))
        return {"model_id": self.model_id, "vectors": vectors.tolist()}
