"""OpenAIChatGenerator: any OpenAI-compatible ``/chat/completions`` endpoint (vLLM, SGLang, a hosted API).

Streaming reads server-sent events. 429, 5xx and connection errors are retried with exponential backoff
(honouring ``Retry-After``) until ``retries`` is spent; a stream is retried only before its first token.
What cannot be answered within the deadlines raises ModelUnavailable.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from serving.errors import ModelUnavailable
from serving.protocols import ChatMessage

log = logging.getLogger(__name__)
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class OpenAIChatGenerator:
    """serving.protocols.Generator over an OpenAI-compatible chat endpoint."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 60.0,
        retries: int = 2,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.model_id = model
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s),
            transport=transport,
        )

    def generate(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256, temperature: float = 0.2) -> str:
        body = self._body(messages, max_tokens, temperature, stream=False)
        for attempt in self._attempts():
            try:
                response = self._client.post("/chat/completions", json=body)
            except httpx.TransportError as error:
                attempt.failed(_reason(error), str(error))
                continue
            if response.status_code in RETRY_STATUS:
                attempt.failed(f"http_{response.status_code}", response.text[:200], response.headers)
                continue
            if response.status_code >= 400:  # 401, 404, 400: retrying will not help; the caller falls back
                raise ModelUnavailable(self.model_id, f"http_{response.status_code}", response.text[:200])
            content: str = response.json()["choices"][0]["message"].get("content") or ""
            return content
        raise AssertionError("unreachable: _attempts raises when spent")

    def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int = 256, temperature: float = 0.2
    ) -> Iterator[str]:
        body = self._body(messages, max_tokens, temperature, stream=True)
        for attempt in self._attempts():
            started = False
            try:
                with self._client.stream("POST", "/chat/completions", json=body) as response:
                    if response.status_code in RETRY_STATUS:
                        response.read()
                        attempt.failed(f"http_{response.status_code}", response.text[:200], response.headers)
                        continue
                    if response.status_code >= 400:
                        response.read()
                        raise ModelUnavailable(self.model_id, f"http_{response.status_code}", response.text[:200])
                    for delta in _sse_deltas(response.iter_lines()):
                        started = True
                        yield delta
                    return
            except httpx.TransportError as error:
                if started:  # half an answer cannot be retried transparently
                    raise ModelUnavailable(self.model_id, _reason(error), f"stream broke: {error}") from error
                attempt.failed(_reason(error), str(error))

    def endpoint_reachable(self) -> bool:
        """Whether the endpoint answers at all. Not a replica health check: a replica is not broken because
        the endpoint it calls is down (restarting it would not help); calls then raise ModelUnavailable."""
        try:
            return self._client.get("/models", timeout=2.0).status_code < 500
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._client.close()

    # -- helpers -------------------------------------------------------------------------------------------
    def _body(
        self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float, stream: bool
    ) -> dict[str, Any]:
        return {
            "model": self.model_id,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": stream,
        }

    def _attempts(self) -> Iterator[_Attempt]:
        attempt = _Attempt()
        for n in range(self.retries + 1):
            yield attempt
            if attempt.reason is None:
                return
            if n == self.retries:
                break
            delay = min(self.backoff_s * 2**n, self.max_backoff_s)
            delay = max(delay, attempt.retry_after or 0.0)
            log.warning("%s: %s; retry %d/%d in %.1fs", self.model_id, attempt.reason, n + 1, self.retries, delay)
            time.sleep(delay)
            attempt.reset()
        raise ModelUnavailable(self.model_id, attempt.reason or "unknown", attempt.detail)


class _Attempt:
    """What went wrong with the last try, read by the retry loop."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.reason: str | None = None
        self.detail = ""
        self.retry_after: float | None = None

    def failed(self, reason: str, detail: str, headers: httpx.Headers | None = None) -> None:
        self.reason, self.detail = reason, detail
        if headers is not None and "retry-after" in headers:
            try:
                self.retry_after = min(float(headers["retry-after"]), 30.0)
            except ValueError:
                self.retry_after = None


def _reason(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    if isinstance(error, httpx.ConnectError):
        return "connect"
    return "transport"


def _sse_deltas(lines: Iterator[str]) -> Iterator[str]:
    """The content deltas of an OpenAI chat-completions event stream, until ``data: [DONE]``.

    >>> list(_sse_deltas(iter(['data: {"choices":[{"delta":{"content":"你"}}]}', "", ": ping",
    ...                        'data: {"choices":[{"delta":{}}]}', "data: [DONE]", "data: ignored"])))
    ['你']
    """
    for line in lines:
        if not line.startswith("data:"):
            continue  # blank separators, comments (": ping"), event/id fields
        data = line[5:].strip()
        if data == "[DONE]":
            return
        event = json.loads(data)
        if "error" in event:
            raise ModelUnavailable("llm endpoint", "stream_error", str(event["error"])[:200])
        for choice in event.get("choices", []):
            content = (choice.get("delta") or {}).get("content")
            if content:
                yield content
