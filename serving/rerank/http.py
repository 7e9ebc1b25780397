"""A production ``/rerank`` endpoint (bge-reranker behind TEI, Infinity, vLLM, Jina or Cohere) as a Reranker."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import httpx

from serving.endpoint import EndpointClient, raising
from serving.protocols import Passage


class RerankerError(RuntimeError):
    """A rerank request failed: unreachable, slow, refused or answered something unreadable."""


class HttpReranker:
    """``POST {base}/rerank``, Cohere/Jina style (``documents``) or TEI style (``texts``).

    Either answer shape is read: ``{"results": [{"index", "relevance_score"}]}`` or ``[{"index", "score"}]``.
    Scores outside ``[0, 1]`` (raw logits) are passed through a sigmoid, so callers always get ``[0, 1]``.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 5.0,
        style: Literal["cohere", "tei"] = "cohere",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._endpoint = EndpointClient(
            base_url, "rerank", error=raising(RerankerError), api_key=api_key, timeout_s=timeout_s, transport=transport
        )
        self.model_id = model
        self.style = style

    def score(self, query: str, passages: Sequence[Passage]) -> list[float]:
        if not passages:
            return []
        texts = [p.text for p in passages]
        body: dict[str, Any]
        if self.style == "tei":
            body = {"query": query, "texts": texts, "truncate": True}
        else:
            body = {"model": self.model_id, "query": query, "documents": texts, "top_n": len(texts)}
        response = self._endpoint.post(body)
        try:
            payload = response.json()
            results = payload["results"] if isinstance(payload, dict) else payload
            scores: list[float | None] = [None] * len(texts)
            for item in results:
                value = item.get("relevance_score", item.get("score"))
                scores[int(item["index"])] = float(value)
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise self._endpoint.malformed(error) from error
        if any(s is None for s in scores):
            raise RerankerError(
                f"{self._endpoint.url} scored {sum(s is not None for s in scores)} of {len(texts)} passages"
            )
        raw = [float(s) for s in scores if s is not None]
        if all(0.0 <= s <= 1.0 for s in raw):
            return raw
        return [1.0 / (1.0 + math.exp(-s)) for s in raw]

    def close(self) -> None:
        self._endpoint.close()
