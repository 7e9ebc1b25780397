"""A tiny OpenAI-compatible chat endpoint on loopback, speaking the real SSE format, for protocol tests."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse


@dataclass
class Behaviour:
    answer: list[str] = field(default_factory=lambda: ["您好，", "请提供", "订单号。"])
    fail_first: int = 0
    """Answer the first N requests with ``fail_status``."""
    fail_status: int = 503
    retry_after: str | None = None
    first_token_delay_s: float = 0.0
    """Send keep-alive comments for this long before the first token (a queued or slow server)."""
    break_first: int = 0
    """Drop the connection of the first N streams after the role chunk, before any token."""
    break_after_token: bool = False
    """Drop every stream's connection after its first token."""
    hung_up: list[int] = field(default_factory=list)
    """Numbers of the requests whose client went away before the stream ended."""
    requests: list[dict[str, Any]] = field(default_factory=list)


def create_app(behaviour: Behaviour) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"data": [{"id": "fake-qwen"}]}

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(request: Request) -> Response:
        body = await request.json()
        behaviour.requests.append({"body": body, "authorization": request.headers.get("authorization")})
        if len(behaviour.requests) <= behaviour.fail_first:
            headers = {"Retry-After": behaviour.retry_after} if behaviour.retry_after else {}
            return JSONResponse({"error": {"message": "busy"}}, status_code=behaviour.fail_status, headers=headers)
        if not body.get("stream"):
            message = {"role": "assistant", "content": "".join(behaviour.answer)}
            return JSONResponse({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})

        number = len(behaviour.requests)

        async def events() -> AsyncIterator[str]:
            finished = False
            try:
                yield 'data: {"choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n'
                if number <= behaviour.break_first:
                    raise ConnectionAbortedError("fake endpoint drops the stream before any token")
                waited = 0.0
                while waited < behaviour.first_token_delay_s:
                    yield ": keep-alive\n\n"
                    await asyncio.sleep(0.05)
                    waited += 0.05
                yield ": keep-alive\n\n"
                for n, piece in enumerate(behaviour.answer):
                    if n and behaviour.break_after_token:
                        raise ConnectionAbortedError("fake endpoint drops the stream after a token")
                    chunk = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
                yield 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
                if (body.get("stream_options") or {}).get("include_usage"):  # as vLLM and OpenAI send it
                    usage = {"prompt_tokens": 23, "completion_tokens": len(behaviour.answer), "total_tokens": 0}
                    yield f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n"
                yield "data: [DONE]\n\n"
                finished = True
            finally:
                if not finished:
                    behaviour.hung_up.append(number)

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve_fake(behaviour: Behaviour) -> Iterator[str]:
    """Run the fake endpoint in a thread; yields its base URL (``http://127.0.0.1:PORT/v1``)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(behaviour), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(5)
