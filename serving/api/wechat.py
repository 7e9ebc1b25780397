"""The WeChat callback: signature check, the message into the stream, and the bot's answer back to the customer.

WeChat waits 5 s for a callback's answer. A callback waits up to ``KEFU_WECHAT_REPLY_WAIT_S`` for the reply on
``conversations.replies`` and answers it as WeChat's passive-reply XML; otherwise it answers ``success`` (WeChat
then shows nothing and does not retry) and the reply, when it comes, goes out through WeChat's customer-service
message API (:mod:`serving.channels.wechat_api`; needs ``KEFU_WECHAT_APP_ID`` and ``KEFU_WECHAT_APP_SECRET``, else it
is counted and logged as not sent). Every such late reply is counted (``kefu_api_wechat_late_replies_total``) and
so is what became of it (``kefu_api_wechat_late_sends_total``). If WeChat retries a message anyway (our answer
did not reach it), the retry is not ingested again: it joins the first callback's wait, and a reply that comes
while a retry waits is answered to that retry instead of through the API, so it is delivered once.
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
from processors.responder import without_citation_markers
from serving.api.metrics import REJECTED, WECHAT_ANSWERS, WECHAT_LATE, WECHAT_SENT_LATE
from serving.api.replies import ReplyWaiter
from serving.channels import (
    ChannelError,
    verify_wechat_signature,
    wechat_text_reply,
    wechat_xml_to_event,
)
from serving.channels.wechat_api import send_counted, wechat_messenger

log = logging.getLogger(__name__)

#: How long a received MsgId is remembered: WeChat's three tries span about 15 s.
KEEP_S = 30.0


SendLate = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class _Pending:
    future: "asyncio.Future[dict[str, Any]]"
    expires: float
    delivered: bool = False
    waiting: int = 0  # callbacks waiting for the reply right now
    send_late: SendLate | None = None


class WeChatReplies:
    """Bot replies awaited per WeChat message (event id ``wechat:<MsgId>``), shared by a message's retries.

    A reply is delivered once: to a callback waiting for it, or else (after :meth:`send_when_it_comes`) by the
    late sender.
    """

    def __init__(self, waiter: ReplyWaiter, keep_s: float = KEEP_S, late_keep_s: float = 300.0) -> None:
        self.waiter, self.keep_s, self.late_keep_s = waiter, keep_s, late_keep_s
        self._pending: dict[str, _Pending] = {}
        self._sending: set[asyncio.Task[None]] = set()

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
        if pending is None or pending.delivered:
            return None
        pending.waiting += 1
        try:
            reply = await asyncio.wait_for(asyncio.shield(pending.future), timeout_s)
        except TimeoutError:
            return None
        finally:
            pending.waiting -= 1
        pending.delivered = True
        return reply

    def send_when_it_comes(self, event_id: str, send_late: SendLate, now: float) -> None:
        """Hand ``event_id``'s reply to ``send_late`` when it comes, unless a retry's callback is waiting then."""
        pending = self._pending.get(event_id)
        if pending is None or pending.send_late is not None:
            return
        pending.send_late = send_late
        pending.expires = max(pending.expires, now + self.late_keep_s)
        pending.future.add_done_callback(lambda future: self._reply_came(pending))

    def _reply_came(self, pending: _Pending) -> None:
        if pending.future.cancelled() or pending.delivered or pending.waiting or pending.send_late is None:
            return
        pending.delivered = True
        task = asyncio.ensure_future(pending.send_late(pending.future.result()))
        self._sending.add(task)  # keep a reference until it is done
        task.add_done_callback(self._sending.discard)

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
            if not pending.future.done():
                pending.future.cancel()


def late_sender(settings: Settings) -> Callable[[dict[str, Any]], SendLate]:
    """For an event, the function that delivers its late reply through WeChat's API (or counts it unsent)."""
    messenger = wechat_messenger(settings)

    def for_event(event: dict[str, Any]) -> SendLate:
        async def send(reply: dict[str, Any]) -> None:
            WECHAT_LATE.inc()
            if reply.get("text"):
                await send_counted(
                    messenger,
                    str(event["user_id"]),
                    without_citation_markers(str(reply["text"])),
                    count=lambda outcome: WECHAT_SENT_LATE.labels(outcome).inc(),
                    what=f"late reply to {event['event_id']}",
                )

        return send

    return for_event


def wechat_router(
    settings: Settings,
    waiter: ReplyWaiter,
    ingest: Callable[[list[Any], str], Awaitable[JSONResponse]],
    body_of: Callable[[Request], Awaitable[bytes]],
) -> APIRouter:
    router = APIRouter()
    replies = WeChatReplies(waiter, late_keep_s=settings.wechat_late_reply_s)
    send_late_for = late_sender(settings)

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
        if reply is None:
            replies.send_when_it_comes(event_id, send_late_for(event), time.monotonic())
        if reply is None or not reply["text"]:
            WECHAT_ANSWERS.labels("success").inc()
            return PlainTextResponse("success")
        WECHAT_ANSWERS.labels("reply" if first else "retry_reply").inc()
        content = without_citation_markers(reply["text"])
        return Response(wechat_text_reply(event, content, int(time.time())), media_type="application/xml")

    return router
