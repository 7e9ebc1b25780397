"""GeneratorDeployment: a generation profile (local GGUF or an OpenAI-compatible endpoint) behind Ray Serve."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict
from typing import Any

from ray import serve
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse

from serving.deployments.bridge import iterate_in_thread
from serving.deployments.factories import settings_from
from serving.generation import build_generator
from serving.models import Profile
from serving.protocols import ChatMessage, Generator, TokenUsage

Messages = Sequence[ChatMessage | dict[str, str]]
log = logging.getLogger("ray.serve")  # what Ray Serve writes to the replica's log file; other loggers stay silent


def to_messages(messages: Messages) -> list[ChatMessage]:
    """ChatMessage objects (handles) or ``{"role", "content"}`` dicts (HTTP) -> ChatMessage."""
    return [m if isinstance(m, ChatMessage) else ChatMessage(m["role"], m["content"]) for m in messages]  # type: ignore[arg-type]


async def pieces_with_usage(pieces: AsyncIterator[str], usage: TokenUsage) -> AsyncIterator[str | TokenUsage]:
    """``pieces`` with the tokens ``usage`` counts, sent as soon as they are known and never twice: the prompt's
    before the first piece when the generator has counted it by then (the local model counts it before it
    generates), the rest as the last item.

    A consumer that stops reading early (the responder's sentence gate) closes the stream before the last item can
    be sent; it still has the prompt's count and knows how many pieces it read (``ModelClient.stream``).
    """
    sent = TokenUsage()
    async for piece in pieces:
        if usage.prompt_tokens > sent.prompt_tokens:
            yield TokenUsage(prompt_tokens=usage.prompt_tokens - sent.prompt_tokens)
            sent.prompt_tokens = usage.prompt_tokens
        yield piece
    yield TokenUsage(usage.prompt_tokens - sent.prompt_tokens, usage.completion_tokens)


@serve.deployment(name="generator")
class GeneratorDeployment:
    """``generate`` returns the whole answer; ``stream`` yields text pieces (call with ``stream=True``)."""

    def __init__(self, settings_dump: dict[str, Any], profile: Profile, warm_up: Messages = ()) -> None:
        """``warm_up``: a prompt a local model evaluates once, in the background, so that the first request
        sharing its prefix (the responder's system message) does not pay for it."""
        settings = settings_from(settings_dump)
        self.profile = profile
        self.max_tokens = settings.llm_max_tokens
        self.generator: Generator = build_generator(settings, profile)
        self.model_id = self.generator.model_id
        warm = getattr(self.generator, "warm_up", None)
        if warm is not None and warm_up:
            messages = to_messages(warm_up)
            threading.Thread(target=self._warm_up, args=(warm, messages), name="warm-up", daemon=True).start()

    def _warm_up(self, warm: Callable[[list[ChatMessage]], dict[str, float]], messages: list[ChatMessage]) -> None:
        started = time.monotonic()
        try:
            timings = warm(messages)
        except Exception:  # a failed warm-up only costs the first request the time it would have saved
            log.exception("%s: warm-up failed", self.model_id)
            return
        log.info("%s: warmed up in %.1f s (%s)", self.model_id, time.monotonic() - started, timings)

    async def generate(self, messages: Messages, max_tokens: int | None = None, temperature: float = 0.2) -> str:
        return await asyncio.to_thread(
            self.generator.generate,
            to_messages(messages),
            max_tokens=max_tokens or self.max_tokens,
            temperature=temperature,
        )

    async def stream(
        self, messages: Messages, max_tokens: int | None = None, temperature: float = 0.2
    ) -> AsyncIterator[str | TokenUsage]:
        """Text pieces with the stream's :class:`TokenUsage` as in :func:`pieces_with_usage`."""
        chat = to_messages(messages)
        tokens = max_tokens or self.max_tokens
        usage = TokenUsage()
        pieces = iterate_in_thread(
            lambda: self.generator.stream(chat, max_tokens=tokens, temperature=temperature, usage=usage)
        )
        async for item in pieces_with_usage(pieces, usage):
            yield item

    def info(self) -> dict[str, str]:
        return {"model_id": self.model_id, "profile": self.profile}

    def check_health(self) -> None:
        # only a local model can be broken inside this replica; an endpoint being down is per-request news
        healthy = getattr(self.generator, "healthy", None)
        if healthy is not None and not healthy():
            raise RuntimeError(f"{self.model_id} failed its health check")

    async def __call__(self, request: Request) -> StreamingResponse | JSONResponse:
        """HTTP: ``{"messages": [...], "max_tokens", "temperature", "stream"}``; a stream is NDJSON ``{"delta"}``
        lines, then one ``{"usage": {"prompt_tokens", "completion_tokens"}}``."""
        body = await request.json()
        messages = to_messages(body["messages"])
        max_tokens = body.get("max_tokens")
        temperature = float(body.get("temperature", 0.2))
        if not body.get("stream"):
            text = await self.generate(messages, max_tokens, temperature)
            return JSONResponse({"model_id": self.model_id, "text": text})

        async def lines() -> AsyncIterator[str]:
            async for piece in self.stream(messages, max_tokens, temperature):
                item = {"usage": asdict(piece)} if isinstance(piece, TokenUsage) else {"delta": piece}
                yield json.dumps(item, ensure_ascii=False) + "\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")
