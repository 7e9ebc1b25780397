"""``POST /v1/chat/completions``: the OpenAI chat API in front of Kefu's conversation loop.

The last user message becomes a ConversationEvent on ``conversations.inbound`` (so it is deduplicated, masked,
tagged and answered like any channel's message); the reply comes back from ``conversations.replies``. The
conversation id comes from the ``X-Conversation-Id`` header or the request's ``user`` field; the message id from
``X-Message-Id`` (the client's own, so a retried request is deduplicated and counted once; the event id is
``api:<id>``) or a new UUID.

With ``stream: true`` the reply's deltas (``conversations.reply_deltas``: checked sentences as the model writes
them) are relayed as ``chat.completion.chunk`` Server-Sent Events as they arrive; the BotReply ends the stream:
whatever of its text the deltas did not bring is sent, then a chunk with ``finish_reason`` and the ``kefu`` fields
(reply id, citations, confidence, hand-off), then (with ``stream_options.include_usage``) a chunk with the
``usage``, then ``data: [DONE]``. ``usage`` counts the generator's tokens for the reply (``prompt_tokens`` and
``completion_tokens`` of the BotReply; 0 when no model wrote it: canned, cached, hand-off). When the reply fell back
after text was streamed (an extractive answer or a hand-off replaces an unsupported generated one), the final text
is sent once more after a blank line, in a chunk marked ``kefu.replace`` with the text to show instead.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from processors.responder.streaming import remainder_pieces
from serving.api.deps import TenantDependency
from serving.api.replies import ReplyItem, ReplyWaiter
from serving.ingest import Ingestor, Prepared
from streams.responder.records import reply_id

REPLACE_SEPARATOR = "\n\n"
#: Channels a client may name in ``X-Kefu-Channel`` (the web chat page says ``web``, ``kefu chat`` says ``api``).
CLIENT_CHANNELS = ("web", "app", "api")


def _last_user_text(payload: Any) -> str | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("messages"), list):
        return None
    for message in reversed(payload["messages"]):
        if isinstance(message, dict) and message.get("role") == "user" and isinstance(message.get("content"), str):
            return str(message["content"])
    return None


def _completion(reply: dict[str, Any], model: str, conversation_id: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{reply['event_id']}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply["text"]}, "finish_reason": "stop"}],
        "usage": token_usage(reply),
        "kefu": _kefu_fields(reply, conversation_id),
    }


def token_usage(reply: dict[str, Any]) -> dict[str, int]:
    """The OpenAI ``usage`` object of a BotReply: the generator's tokens (0 when no model wrote the reply).

    >>> token_usage({"prompt_tokens": 180, "completion_tokens": 42})
    {'prompt_tokens': 180, 'completion_tokens': 42, 'total_tokens': 222}
    >>> token_usage({"prompt_tokens": None, "completion_tokens": None})["total_tokens"]
    0
    """
    prompt, completion = int(reply.get("prompt_tokens") or 0), int(reply.get("completion_tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _kefu_fields(reply: dict[str, Any], conversation_id: str) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "message_id": reply["in_reply_to"],
        "reply_id": reply["event_id"],
        "citations": reply["citations"],
        "confidence": reply["confidence"],
        "handoff": reply["handoff"],
        "model_profile": reply["model_profile"],
        "variant": reply.get("variant"),
    }


class ChunkWriter:
    """``chat.completion.chunk`` events of one reply, as SSE bytes."""

    def __init__(self, reply_id: str, model: str) -> None:
        self.base = {"id": f"chatcmpl-{reply_id}", "object": "chat.completion.chunk", "created": int(time.time())}
        self.model = model

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return _event({**self.base, "model": self.model, "choices": [choice], **extra})

    def usage_chunk(self, reply: dict[str, Any]) -> bytes:
        """The last chunk when the client asked ``stream_options.include_usage``: no choices, the usage."""
        return _event({**self.base, "model": self.model, "choices": [], "usage": token_usage(reply)})


def _event(data: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"


async def relay(
    first: ReplyItem,
    items: asyncio.Queue[ReplyItem],
    writer: ChunkWriter,
    conversation_id: str,
    deadline: float,
    done: Callable[[], None] = lambda: None,
    include_usage: bool = False,
) -> AsyncIterator[bytes]:
    """SSE bytes from the deltas in ``items`` (``first`` already taken) until the final reply arrives; with
    ``include_usage`` a usage chunk precedes ``[DONE]``, as OpenAI sends it."""
    streamed, next_seq = "", 0
    try:
        yield writer.chunk({"role": "assistant", "content": ""})
        item: ReplyItem | None = first
        while item is not None:
            kind, record = item
            if kind == "reply":
                pieces, replace = remainder_pieces(str(record["text"]), streamed)
                for piece in pieces:
                    yield _content(writer, piece, replace)
                final = _kefu_fields(record, conversation_id)
                usage = writer.usage_chunk(record) if include_usage else b""
                yield writer.chunk({}, "stop", kefu=final) + usage + b"data: [DONE]\n\n"
                return
            if record["seq"] == next_seq:  # a redelivered or out-of-order delta is skipped; the reply repairs it
                next_seq += 1
                yield _content(writer, str(record["text"]), bool(record["replace"]))
                streamed = record["text"] if record["replace"] else streamed + record["text"]
            try:
                item = await asyncio.wait_for(items.get(), max(deadline - time.monotonic(), 0.0))
            except TimeoutError:
                yield _event({"error": {"message": "the reply did not complete in time", "type": "timeout"}})
                item = None
    finally:
        done()


def _content(writer: ChunkWriter, text: str, replace: bool) -> bytes:
    if not replace:
        return writer.chunk({"content": text})
    return writer.chunk({"content": REPLACE_SEPARATOR + text}, kefu={"replace": True, "text": text})


def chat_event_id(tenant: str, message_id: str) -> str:
    """The event id of a chat message: the client's ``X-Message-Id`` (or a fresh uuid) scoped by tenant, so a
    retried request is counted once and two tenants' message ids never collide in dedupe or the store."""
    return f"api:{tenant}:{message_id}"


def chat_router(tenant_of: TenantDependency, inbound: Ingestor, waiter: ReplyWaiter, timeout_s: float) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/chat/completions")
    async def chat_completions(
        request: Request,
        tenant: Annotated[str, Depends(tenant_of)],
        x_conversation_id: Annotated[str | None, Header()] = None,
        x_tenant_id: Annotated[str | None, Header()] = None,
        x_kefu_channel: Annotated[str | None, Header()] = None,
        x_message_id: Annotated[str | None, Header()] = None,
    ) -> Any:
        try:
            payload = orjson.loads(await request.body())
        except orjson.JSONDecodeError as error:
            return JSONResponse({"error": {"message": f"body is not valid JSON: {error}"}}, status_code=400)
        text = _last_user_text(payload)
        if text is None:
            return JSONResponse(
                {"error": {"message": "messages must contain a user message with string content"}}, status_code=422
            )
        conversation_id = str(x_conversation_id or payload.get("user") or f"api-{uuid.uuid4()}")
        event_tenant = (x_tenant_id or "default") if tenant == "*" else tenant
        event_id = chat_event_id(event_tenant, x_message_id or str(uuid.uuid4()))
        event: dict[str, Any] = {
            "event_id": event_id,
            "conversation_id": conversation_id,
            "tenant_id": event_tenant,
            "channel": x_kefu_channel if x_kefu_channel in CLIENT_CHANNELS else "api",
            "user_id": str(payload.get("user") or conversation_id),
            "role": "customer",
            "text": text,
            "ts": int(time.time() * 1000),
            "locale": "en" if text.isascii() else "zh-CN",
            "metadata": {},
        }
        prepared = inbound.prepare([event], tenant_scope=tenant)
        if prepared.rejections:  # OpenAI's error shape: a message string, the offending parameter, a code
            rejection = prepared.rejections[0]
            param = "messages" if rejection.path.endswith(".text") else None
            invalid = {"message": rejection.message, "type": "invalid_request_error", "param": param}
            return JSONResponse({"error": {**invalid, "code": rejection.error_class}}, status_code=422)
        if not await asyncio.to_thread(waiter.wait_ready, 10.0):
            return JSONResponse({"error": {"message": "replies are not readable yet; retry"}}, status_code=503)
        model = str(payload.get("model") or "kefu")
        if payload.get("stream"):
            options = payload.get("stream_options")
            include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
            return await _stream(event_id, conversation_id, model, prepared, include_usage)
        future = waiter.expect(event_id)
        try:
            await inbound.deliver_async(prepared)
            reply = await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            return JSONResponse(
                {"error": {"message": f"no reply within {timeout_s:.0f}s; is the responder running?"}}, status_code=504
            )
        finally:
            waiter.forget(event_id)
        return _completion(reply, model, conversation_id)

    async def _stream(
        event_id: str, conversation_id: str, model: str, prepared: Prepared, include_usage: bool
    ) -> Response:
        deadline = time.monotonic() + timeout_s
        items = waiter.watch(event_id)
        try:
            await inbound.deliver_async(prepared)
            first = await asyncio.wait_for(items.get(), timeout_s)  # headers go out with the first text
        except TimeoutError:
            waiter.forget(event_id)
            return JSONResponse(
                {"error": {"message": f"no reply within {timeout_s:.0f}s; is the responder running?"}}, status_code=504
            )
        except BaseException:
            waiter.forget(event_id)
            raise
        writer = ChunkWriter(reply_id(event_id), model)
        events = relay(first, items, writer, conversation_id, deadline, lambda: waiter.forget(event_id), include_usage)
        return StreamingResponse(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    return router
