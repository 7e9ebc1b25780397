"""RerankerDeployment: any serving.protocols.Reranker behind Ray Serve."""

from __future__ import annotations

import asyncio
from typing import Any

from ray import serve
from starlette.requests import Request

from serving.deployments.factories import load_factory, settings_from
from serving.protocols import Passage, Reranker


@serve.deployment(name="reranker")
class RerankerDeployment:
    """One query with its candidates per call: the candidates already form the batch."""

    def __init__(self, settings_dump: dict[str, Any], factory: str) -> None:
        self.reranker: Reranker = load_factory(factory)(settings_from(settings_dump))
        self.model_id = self.reranker.model_id

    async def score(self, query: str, passages: list[Passage]) -> list[float]:
        if not passages:
            return []
        return await asyncio.to_thread(self.reranker.score, query, passages)

    def check_health(self) -> None:
        probe = Passage(chunk_id="health", source="health", text="ok")
        if len(self.reranker.score("ok", [probe])) != 1:
            raise RuntimeError(f"{self.model_id} returned no score")

    async def __call__(self, request: Request) -> dict[str, Any]:
        """HTTP: ``{"query": "...", "passages": [{"chunk_id", "source", "text", ...}]}`` -> ``{"scores": [...]}``."""
        body = await request.json()
        passages = [Passage(**p) for p in body["passages"]]
        return {"model_id": self.model_id, "scores": await self.score(str(body["query"]), passages)}
