"""The WeChat callback: signature check, the message into the stream, and the bot's answer as a passive reply.

WeChat waits 5 s for a callback's answer and then retries the same ``MsgId`` (three tries in all). A callback
waits up to ``KEFU_WECHAT_REPLY_WAIT_S`` for the reply on ``conversations.replies`` and answers it as WeChat's
passive-reply XML; otherwise it answers ``success`` (WeChat then shows nothing and stops retrying only after the
last try). A retry of a message already received is not ingested again: it joins the first callback's wait, so
a reply that came between two tries is answered to the retry. A reply that comes after the last try stays on
``conversations.replies`` and in ClickHouse and is counted (``kefu_api_wechat_late_replies_total``): delivering it
needs WeChat's customer-service message API, which embedded mode cannot reach (not built).
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from kefu.settings import Settings
from serving.api.metrics import REJECTED, WECHAT_ANSWERS, WECHAT_LATE
from serving.api.replies import ReplyWaiter
from serving.channels import ChannelError, verify_wechat_signature, wechat_text_reply, wechat_xml_to_event

log = logging.getLogger(__name__)

#: How long a received MsgId is remembered: WeChat's three tries span about 15 s.
KEEP_S = 30.0


@dataclass
class _Pending:
    future: "asyncio.Future[dict[str, Any]]"
    expires: float
    delivered: bool = False


class WeChatReplies:
    """Bot replies awaited per WeChat message (event id ``wechat:<MsgId>``), shared by a message's retries."""

    def __init__(self, waiter: ReplyWaiter, keep_s: float = KEEP_S) -> None:
        self.waiter, self.keep_s = waiter, keep_s
        self._pending: dict[str, _Pending] = {}

    def claim(self, event_id: str, now: float) -> tuple["asyncio.Future[dict[str, Any]]", bool]:
        """The future of ``event_id``'s reply and whether this is the first callback for it (so: ingest it)."""
        self.prune(now)
        pending = self._pending.get(event_id)
        if pending is not None:
            return pending.future, False
        future = self.waiter.expect(event_id)
        self._pending[event_id] = _Pending(future, now + self.keep_s)
        return future, True

    async def wait(self, event_id: str, timeout_s: float) -> dict[str, Any] | None:
        """The reply, or None if it did not come within ``timeout_s`` (the wait goes on for the next retry)."""
        pending = self._pending.get(event_id)
        if pending is None:
            return None
        try:
            reply = await asyncio.wait_for(asyncio.shield(pending.future), timeout_s)
        except TimeoutError:
            return None
        pending.delivered = True
        return reply

    def drop(self, event_id: str) -> None:
        """Forget a message that was not ingested (so a retry tries again)."""
        pending = self._pending.pop(event_id, None)
        self.waiter.forget(event_id)
        if pending is not None:
            pending.future.cancel()

    def prune(self, now: float) -> None:
        for event_id, pending in list(self._pending.items()):
            if pending.expires > now:
                continue
            del self._pending[event_id]
            self.waiter.forget(event_id)
            if pending.future.done() and not pending.delivered:
                WECHAT_LATE.inc()
                log.warning("bot reply to %s came after WeChat's last try; it is not delivered", event_id)
            elif not pending.future.done():
                pending.future.cancel()


def wechat_router(
    settings: Settings,
    waiter: ReplyWaiter,
    ingest: Callable[[list[Any], str], Awaitable[JSONResponse]],
    body_of: Callable[[Request], Awaitable[bytes]],
) -> APIRouter:
    router = APIRouter()
    replies = WeChatReplies(waiter)

    def refusal(signature: str, timestamp: str, nonce: str) -> Response | None:
        """Why a WeChat callback is refused (channel off, bad signature), or None when it is genuine."""
        if not settings.wechat_token:
            return JSONResponse({"error": "WeChat channel is not configured (KEFU_WECHAT_TOKEN)"}, status_code=503)
        if not verify_wechat_signature(settings.wechat_token, signature, timestamp, nonce):
            return JSONResponse({"error": "bad WeChat signature"}, status_code=403)
        return None

    @router.get("/v1/channels/wechat")
    async def wechat_verify(signature: str, timestamp: str, nonce: str, echostr: str) -> Response:
        return refusal(signature, timestamp, nonce) or PlainTextResponse(echostr)

    @router.post("/v1/channels/wechat")
    async def wechat(request: Request, signature: str, timestamp: str, nonce: str) -> Response:
        refused = refusal(signature, timestamp, nonce)
        if refused is not None:
            return refused
        try:
            event = wechat_xml_to_event(await body_of(request), settings.wechat_tenant)
        except ChannelError as error:
            log.warning("WeChat callback rejected: %s", error)
            REJECTED.labels("wechat_unsupported").inc()
            return PlainTextResponse("success")  # WeChat retries anything else; the reason is in the log
        event_id = str(event["event_id"])
        if not await asyncio.to_thread(waiter.wait_ready, 10.0):  # cannot see replies yet: ingest, answer later
            response = await ingest([event], settings.wechat_tenant)
            return PlainTextResponse("success") if response.status_code == 202 else response
        _, first = replies.claim(event_id, time.monotonic())
        if first:
            response = await ingest([event], settings.wechat_tenant)
            if response.status_code != 202:
                replies.drop(event_id)
                return response
        reply = await replies.wait(event_id, settings.wechat_reply_wait_s)
        if reply is None or not reply["text"]:
            WECHAT_ANSWERS.labels("success").inc()
            return PlainTextResponse("success")
        WECHAT_ANSWERS.labels("reply" if first else "retry_reply").inc()
        return Response(wechat_text_reply(event, reply["text"], int(time.time())), media_type="application/xml")

    return router
