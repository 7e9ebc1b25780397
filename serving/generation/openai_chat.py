"""OpenAIChatGenerator: any OpenAI-compatible ``/chat/completions`` endpoint (vLLM, SGLang, a hosted API).

The HTTP side is the shared ``EndpointClient``: 429, 5xx and connection errors are retried with exponential
backoff (honouring ``Retry-After``) until ``retries`` is spent or the next try could not finish in time; a
stream is retried only before its first token and must produce it within ``first_token_timeout_s``. Streaming
reads server-sent events; it asks for the usage chunk (``stream_options.include_usage``, which vLLM, SGLang and
OpenAI send) and reports its token counts. Whatever cannot be answered raises ModelUnavailable, which the responder
handles.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

import httpx

from serving.endpoint import EndpointClient, EndpointFailure, EndpointRetry
from serving.errors import ModelUnavailable
from serving.protocols import ChatMessage, TokenUsage


class OpenAIChatGenerator:
    """serving.protocols.Generator over an OpenAI-compatible chat endpoint.

    ``read_timeout_s`` bounds each read and, with its retries, a whole ``generate``; ``first_token_timeout_s``
    (unbounded when ``None``) bounds how long a ``stream`` may take, retries included, to its first token.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 60.0,
        first_token_timeout_s: float | None = None,
        retries: int = 2,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.model_id = model
        self.read_timeout_s = read_timeout_s
        self.first_token_timeout_s = first_token_timeout_s
        self._endpoint = EndpointClient(
            base_url,
            "chat/completions",
            error=self._unavailable,
            api_key=api_key,
            timeout_s=read_timeout_s,
            connect_timeout_s=connect_timeout_s,
            retry=EndpointRetry(retries=retries, backoff_s=backoff_s, max_backoff_s=max_backoff_s),
            transport=transport,
        )

    def generate(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256, temperature: float = 0.2) -> str:
        body = self._body(messages, max_tokens, temperature, stream=False)
        response = self._endpoint.post(body, within_s=self.read_timeout_s)
        try:
            content: str = response.json()["choices"][0]["message"].get("content") or ""
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
            raise self._endpoint.malformed(error) from error
        return content

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        usage: TokenUsage | None = None,
    ) -> Iterator[str]:
        body = self._body(messages, max_tokens, temperature, stream=True)
        body["stream_options"] = {"include_usage": True}
        read = partial(_sse_deltas, usage=usage)
        return self._endpoint.stream(body, read, first_within_s=self.first_token_timeout_s)

    def endpoint_reachable(self) -> bool:
        """Whether the endpoint answers at all. Not a replica health check: a replica is not broken because
        the endpoint it calls is down (restarting it would not help); calls then raise ModelUnavailable."""
        return self._endpoint.answers("models")

    def close(self) -> None:
        self._endpoint.close()

    # -- helpers -------------------------------------------------------------------------------------------
    def _unavailable(self, failure: EndpointFailure) -> ModelUnavailable:
        return ModelUnavailable(self.model_id, failure.reason, failure.message)

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


def _sse_deltas(lines: Iterator[str], usage: TokenUsage | None = None) -> Iterator[str]:
    """The content deltas of an OpenAI chat-completions event stream, until ``data: [DONE]``; the token counts of
    its usage chunk go into ``usage``.

    >>> spent = TokenUsage()
    >>> list(_sse_deltas(iter(['data: {"choices":[{"delta":{"content":"你"}}]}', "", ": ping",
    ...                        'data: {"choices":[{"delta":{}}]}',
    ...                        'data: {"choices":[],"usage":{"prompt_tokens":31,"completion_tokens":1}}',
    ...                        "data: [DONE]", "data: ignored"]), spent))
    ['你']
    >>> spent
    TokenUsage(prompt_tokens=31, completion_tokens=1)
    """
    for line in lines:
        if not line.startswith("data:"):
            continue  # blank separators, comments (": ping"), event/id fields
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
        except ValueError as error:
            raise ModelUnavailable("llm endpoint", "malformed", f"unreadable event {data[:200]!r}") from error
        if "error" in event:
            raise ModelUnavailable("llm endpoint", "stream_error", str(event["error"])[:200])
        counted = event.get("usage")
        if usage is not None and isinstance(counted, dict):
            usage.prompt_tokens = int(counted.get("prompt_tokens") or 0)
            usage.completion_tokens = int(counted.get("completion_tokens") or 0)
        for choice in event.get("choices", []):
            content = (choice.get("delta") or {}).get("content")
            if content:
                yield content
