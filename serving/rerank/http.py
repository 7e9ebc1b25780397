"""A production ``/rerank`` endpoint (bge-reranker behind TEI, Infinity, vLLM, Jina or Cohere) as a Reranker."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import httpx

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
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._url = base_url.rstrip("/") + "/rerank"
        self._client = httpx.Client(headers=headers, timeout=timeout_s, transport=transport)
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
        try:
            response = self._client.post(self._url, json=body)
        except httpx.TimeoutException as error:
            raise RerankerError(f"{self._url} timed out after {self._client.timeout.read} s") from error
        except httpx.HTTPError as error:
            raise RerankerError(f"{self._url} unreachable: {error}") from error
        if response.status_code != 200:
            raise RerankerError(f"{self._url} answered {response.status_code}: {response.text[:200]}")
        try:
            payload = response.json()
            results = payload["results"] if isinstance(payload, dict) else payload
            scores: list[float | None] = [None] * len(texts)
            for item in results:
                value = item.get("relevance_score", item.get("score"))
                scores[int(item["index"])] = float(value)
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise RerankerError(f"{self._url} returned a malformed body: {error!r}") from error
        if any(s is None for s in scores):
            raise RerankerError(f"{self._url} scored {sum(s is not None for s in scores)} of {len(texts)} passages")
        raw = [float(s) for s in scores if s is not None]
        if all(0.0 <= s <= 1.0 for s in raw):
            return raw
        return [1.0 / (1.0 + math.exp(-s)) for s in raw]

    def close(self) -> None:
        self._client.close()
