"""``POST /v1/chat/completions``: the OpenAI chat API in front of Kefu's conversation loop.

The last user message becomes a ConversationEvent on ``conversations.inbound`` (so it is deduplicated, masked,
tagged and answered like any channel's message); the reply comes back from ``conversations.replies``. The
conversation id comes from the ``X-Conversation-Id`` header or the request's ``user`` field; the message id from
``X-Message-Id`` (the client's own, so a retried request is deduplicated and counted once; the event id is
``api:<id>``) or a new UUID. Streaming sends the
reply as Server-Sent Events chunks once the responder has produced it (tokens are not relayed through Kafka).
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse

from serving.api.deps import TenantDependency
from serving.api.replies import ReplyWaiter
from serving.ingest import Ingestor

CHUNK_CHARS = 8
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
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "kefu": _kefu_fields(reply, conversation_id),
    }


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


async def _sse(reply: dict[str, Any], model: str, conversation_id: str) -> AsyncIterator[bytes]:
    base = {
        "id": f"chatcmpl-{reply['event_id']}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }
    text = reply["text"]
    first = {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    yield b"data: " + orjson.dumps(first) + b"\n\n"
    for start in range(0, len(text), CHUNK_CHARS):
        piece = {
            **base,
            "choices": [{"index": 0, "delta": {"content": text[start : start + CHUNK_CHARS]}, "finish_reason": None}],
        }
        yield b"data: " + orjson.dumps(piece) + b"\n\n"
        await asyncio.sleep(0)
    last = {
        **base,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "kefu": _kefu_fields(reply, conversation_id),
    }
    yield b"data: " + orjson.dumps(last) + b"\n\ndata: [DONE]\n\n"


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
        if prepared.rejections:
            return JSONResponse({"error": {"message": prepared.rejections[0].as_dict()}}, status_code=422)
        if not await asyncio.to_thread(waiter.wait_ready, 10.0):
            return JSONResponse({"error": {"message": "replies are not readable yet; retry"}}, status_code=503)
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
        model = str(payload.get("model") or "kefu")
        if payload.get("stream"):
            return StreamingResponse(_sse(reply, model, conversation_id), media_type="text/event-stream")
        return _completion(reply, model, conversation_id)

    return router
