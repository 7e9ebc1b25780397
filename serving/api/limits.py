"""ASGI middleware in front of every route: per-IP token buckets (429) and the request size limit (413).

The body is read here, up to the limit, whatever the transfer encoding (a chunked upload has no Content-Length),
and replayed to the route, so no route can forget the limit. ``/health`` is never limited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from serving.api.metrics import OVERSIZED, RATE_LIMITED
from serving.ratelimit import RateLimiter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

EXEMPT_PATHS = frozenset({"/health"})


async def _refuse(send: Send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    body = orjson.dumps({"error": message, "detail": message})
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    """Refuses what is over the caller's IP rate or the size limit before any route runs."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, ip_limiter: RateLimiter | None) -> None:
        self.app, self.max_body_bytes, self.ip_limiter = app, max_body_bytes, ip_limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if self.ip_limiter is not None:
            client = scope.get("client") or ("unknown", 0)
            decision = self.ip_limiter.take(f"ip:{client[0]}")
            if not decision.allowed:
                RATE_LIMITED.labels("ip").inc()
                await _refuse(
                    send, 429, "too many requests from this address", {"Retry-After": decision.retry_after_header}
                )
                return
        too_large = f"request body larger than {self.max_body_bytes} bytes"
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            OVERSIZED.inc()
            await _refuse(send, 413, too_large)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                OVERSIZED.inc()
                await _refuse(send, 413, too_large)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
