"""The web chat: the page ``GET /chat``, agents' messages for it, and ``POST /v1/feedback``.

The page (``serving/chat_page``) talks to ``POST /v1/chat/completions`` (streamed), long-polls
``GET /v1/conversations/{id}/messages`` for human agents' messages after a hand-off, and sends thumbs and CSAT to
``POST /v1/feedback``. These three accept a web-chat key (public, one tenant, nothing else) as well as a full key.
"""

import time
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from kefu.settings import Settings
from serving.api.conversation_feed import AgentMessageFeed
from serving.api.deps import Caller, CallerDependency
from serving.api.metrics import FEEDBACK_IN, REJECTED
from serving.api.pages import bundled_page
from serving.channels import ChannelError, FeedbackForbidden, feedback_to_record
from serving.ingest import Ingestor


def chat_page_html() -> str:
    """The self-contained page: serving/chat_page/index.html with its CSS and JS inlined (no network)."""
    return bundled_page("serving", "chat_page", "chat")


def webchat_router(
    caller_of: CallerDependency,
    settings: Settings,
    feed: AgentMessageFeed,
    feedback: Ingestor,
    pseudonyms: Callable[[str, str], str],
) -> APIRouter:
    router = APIRouter()
    Who = Annotated[Caller, Depends(caller_of)]  # noqa: N806  # a type alias, named like one

    @router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
    async def chat_page() -> HTMLResponse:
        """The chat page; it reads its key from the URL fragment (#key=...) or asks for it."""
        return HTMLResponse(chat_page_html(), headers={"Cache-Control": "no-store"})

    @router.get("/v1/conversations/{conversation_id}/messages")
    async def agent_messages(
        conversation_id: str,
        caller: Who,
        after: Annotated[int, Query(description="Only messages after this time (Unix ms)")] = 0,
        wait: Annotated[float, Query(ge=0, description="Seconds to wait for one (long poll)")] = 0.0,
    ) -> JSONResponse:
        """Human agents' messages in the conversation since ``after`` (masked, as stored)."""
        timeout = min(wait, settings.agent_feed_wait_s)
        messages = await feed.wait(conversation_id, caller.tenant, after, timeout)
        return JSONResponse({"conversation_id": conversation_id, "messages": messages})

    @router.post("/v1/feedback", status_code=202)
    async def post_feedback(request: Request, caller: Who) -> JSONResponse:
        """Thumbs, CSAT 1-5, resolved, comment (customers); a message's ``corrected_intent`` / ``corrected_polarity``
        (agents)."""
        try:
            payload = orjson.loads(await request.body())
            record = feedback_to_record(
                payload,
                tenant=caller.tenant,
                agent_allowed=not caller.webchat,
                now_ms=int(time.time() * 1000),
                pseudonyms=pseudonyms,
            )
        except orjson.JSONDecodeError as error:
            return JSONResponse({"error": f"body is not valid JSON: {error}"}, status_code=400)
        except FeedbackForbidden as error:
            REJECTED.labels("forbidden_feedback").inc()
            return JSONResponse({"error": str(error)}, status_code=403)
        except ChannelError as error:
            REJECTED.labels("invalid_feedback").inc()
            return JSONResponse({"error": str(error)}, status_code=422)
        prepared = feedback.prepare([record], tenant_scope=caller.tenant)
        if prepared.rejections:
            status = 403 if prepared.rejections[0].error_class == "forbidden_tenant" else 422
            return JSONResponse({"error": prepared.rejections[0].as_dict()}, status_code=status)
        await feedback.deliver_async(prepared)
        FEEDBACK_IN.labels(record["source"]).inc()
        body: dict[str, Any] = {"event_id": record["event_id"], "status": "accepted"}
        return JSONResponse(body, status_code=202)

    return router
