"""How ModelClient reaches the Serve apps: Ray Serve handles, or the HTTP proxy on loopback/the cluster.

Each transport turns its own failures (a dead replica, a refused connection, a 5xx) into ModelUnavailable;
deadlines, fallback and counting are the client's.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict
from typing import Any, Protocol

import httpx
import numpy as np

from serving.deployments.apps import EMBEDDER_APP, RERANKER_APP
from serving.errors import ModelUnavailable
from serving.protocols import ChatMessage, Passage, TokenUsage, Vectors


class Transport(Protocol):
    async def embed_queries(self, texts: list[str]) -> Vectors: ...

    async def rerank(self, query: str, passages: Sequence[Passage]) -> list[float]: ...

    async def generate(
        self, app: str, messages: Sequence[ChatMessage], max_tokens: int | None, temperature: float
    ) -> str: ...

    def stream(
        self, app: str, messages: Sequence[ChatMessage], max_tokens: int | None, temperature: float
    ) -> AsyncIterator[str | TokenUsage]:
        """Text pieces, then the stream's :class:`TokenUsage` (a deployment sends it last)."""
        ...

    async def aclose(self) -> None: ...


def _ray_failure(app: str, error: BaseException) -> ModelUnavailable | None:
    """The ModelUnavailable a Ray/Serve error means, or None for an error of the caller's own making."""
    from ray import exceptions as ray_errors
    from ray.serve import exceptions as serve_errors

    if isinstance(error, ModelUnavailable):
        return ModelUnavailable(error.model, error.reason, error.detail)  # drop Ray's wrapper type
    if isinstance(error, ray_errors.RayActorError):
        return ModelUnavailable(app, "replica_died", str(error)[:200])
    if isinstance(error, serve_errors.BackPressureError):
        return ModelUnavailable(app, "overloaded", str(error)[:200])
    if isinstance(error, serve_errors.DeploymentUnavailableError | ValueError) and "not found" in str(error).lower():
        return ModelUnavailable(app, "not_deployed", str(error)[:200])
    if isinstance(error, serve_errors.RayServeException | ray_errors.RaySystemError | ConnectionError):
        return ModelUnavailable(app, "serve_error", str(error)[:200])
    return None


class HandleTransport:
    """Ray Serve handles; the process joins the Ray cluster as a driver on first use."""

    def __init__(self) -> None:
        self._handles: dict[str, Any] = {}

    def _handle(self, app: str) -> Any:
        if app not in self._handles:
            from ray import serve

            try:
                self._handles[app] = serve.get_app_handle(app)
            except Exception as error:
                raise _ray_failure(app, error) or error from error
        return self._handles[app]

    async def _call(self, app: str, method: str, *args: Any) -> Any:
        try:
            return await getattr(self._handle(app), method).remote(*args)
        except Exception as error:
            failure = _ray_failure(app, error)
            if failure is None:
                raise
            raise failure from error

    async def embed_queries(self, texts: list[str]) -> Vectors:
        vectors: Vectors = await self._call(EMBEDDER_APP, "embed_queries", texts)
        return vectors

    async def rerank(self, query: str, passages: Sequence[Passage]) -> list[float]:
        scores: list[float] = await self._call(RERANKER_APP, "score", query, list(passages))
        return scores

    async def generate(
        self, app: str, messages: Sequence[ChatMessage], max_tokens: int | None, temperature: float
    ) -> str:
        text: str = await self._call(app, "generate", list(messages), max_tokens, temperature)
        return text

    async def stream(
        self, app: str, messages: Sequence[ChatMessage], max_tokens: int | None, temperature: float
    ) -> AsyncIterator[str | TokenUsage]:
        handle = self._handle(app).options(stream=True)
        pieces = handle.stream.remote(list(messages), max_tokens, temperature)
        try:
            async for piece in pieces:
                yield piece
        except Exception as error:
            failure = _ray_failure(app, error)
            if failure is None:
                raise
            raise failure from error
        finally:
            pieces.cancel()  # the consumer stopped early or a deadline passed: free the replica

    async def aclose(self) -> None:
        self._handles.clear()


class HttpTransport:
    """Ray Serve's HTTP proxy: JSON bodies, NDJSON streams."""

    def __init__(self, base_url: str, routes: dict[str, str], timeout_s: float = 120.0) -> None:
        self.routes = routes
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout_s, connect=3.0))

    async def _post(self, app: str, body: dict[str, Any]) -> Any:
        try:
            response = await self._client.post(self.routes[app], json=body)
        except httpx.TransportError as error:
            raise ModelUnavailable(app, _http_reason(error), str(error)[:200]) from error
        if response.status_code >= 500 or response.status_code in (404, 429):
            raise ModelUnavailable(app, f"http_{response.status_code}", response.text[:200])
        response.raise_for_status()
        return response.json()

    async def embed_queries(self, texts: list[str]) -> Vectors:
        body = await self._post(EMBEDDER_APP, {"texts": texts, "kind": "query"})
        return np.asarray(body["vectors"], dtype=np.float32).reshape(len(texts), -1)

    async def rerank(self, query: str, passages: Sequence[Passage]) -> list[float]:
        payload = [{**asdict(p), "metadata": dict(p.metadata)} for p in passages]
        body = await self._post(RERANKER_APP, {"query": query, "passages": payload})
        return [float(s) for s in body["scores"]]

    async def generate(
        self, app: str, messages: Sequence[ChatMessage], max_tokens: int | None, temperature: float
    ) -> str:
        body = await self._post(app, _chat_body(messages, max_tokens, temperature, stream=False))
        return str(body["text"])

    async def stream(
        self, app: str, messages: Sequence[ChatMessage], max_tokens: int | None, temperature: float
    ) -> AsyncIterator[str | TokenUsage]:
        body = _chat_body(messages, max_tokens, temperature, stream=True)
        try:
            async with self._client.stream("POST", self.routes[app], json=body) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise ModelUnavailable(app, f"http_{response.status_code}", response.text[:200])
                async for line in response.aiter_lines():
                    if line:
                        item = json.loads(line)
                        yield TokenUsage(**item["usage"]) if "usage" in item else item["delta"]
        except httpx.TransportError as error:
            raise ModelUnavailable(app, _http_reason(error), str(error)[:200]) from error

    async def aclose(self) -> None:
        await self._client.aclose()


def _chat_body(
    messages: Sequence[ChatMessage], max_tokens: int | None, temperature: float, stream: bool
) -> dict[str, Any]:
    return {
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "max_tokens": max_tokens,
        "temperature": temperature,
        "stream": stream,
    }


def _http_reason(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    if isinstance(error, httpx.ConnectError):
        return "connect"
    return "transport"
