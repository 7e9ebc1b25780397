"""The human agents' console and API: the console page, transcripts and replies to customers.

- ``GET /agent``: the console page (``serving/agent_page``) over the two routes below and ``POST /v1/feedback``;
  it reads a full API key from the URL fragment (``#key=...``) or asks for it.
- ``GET /v1/handoffs``: the queue (``agent_queue``).
- ``GET /v1/conversations/{conversation_id}/transcript``: the conversation as stored now (messages, bot replies,
  hand-offs; masked), oldest first; the console polls it while a conversation is open.
- ``POST /v1/conversations/{conversation_id}/agent-replies``: the agent's message as a ConversationEvent with
  role ``agent`` on ``conversations.inbound``: masked and stored like every message, delivered to the customer's
  web chat from the stream, never answered by the bot. While an agent holds a conversation (after a hand-off,
  renewed by each agent message, ``KEFU_AGENT_HOLD_S``) the bot stays silent and other agents' replies are refused
  (409 naming the holder) unless they say ``"take_over": true``; ``"release": true`` on the agent's last message
  gives the conversation back to the bot. The hold is read from the store, about a second behind the stream; the
  replies this API process accepted in the last seconds decide before it (``recent_answers``), so two agents
  answering within that second through one API process do not both get through (through two processes they can).

All need a full API key (a web-chat key is refused: it sits in customers' browsers).
"""

import time
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from kefu.settings import Settings
from serving.api.agent_sql import (
    CONVERSATION_SQL,
    HOLDER_SQL,
    TRANSCRIPT_SQL,
)
from serving.api.deps import TenantDependency
from serving.api.events import Ingest
from serving.api.kpi import query_of, run_query
from serving.api.kpi_sql import json_value
from serving.api.pages import bundled_page
from serving.api.recent_answers import RecentAnswers
from serving.channels import ChannelError, agent_reply_to_event


async def _holder(
    request: Request, recent: RecentAnswers, key_tenant: str, tenant: str, conversation_id: str, hold_s: float
) -> str | None:
    """The agent holding the conversation: what this process accepted in the last seconds, else the store's."""
    remembered = recent.holder(tenant, conversation_id)
    if remembered is not None:
        return remembered[0] if remembered else None
    hold = {"conversation": conversation_id, "tenant": key_tenant, "hold_ms": int(hold_s * 1000)}
    holders = await run_query(query_of(request), HOLDER_SQL, hold)
    return str(holders[0]["agent_id"]) if holders else None


def agents_router(tenant_of: TenantDependency, settings: Settings, ingest: Ingest, recent: RecentAnswers) -> APIRouter:
    """``recent``: the agent replies of the last seconds, which the store lags behind (this process's own, and
    every API process's once the agent message feed has read them)."""
    router = APIRouter()
    Tenant = Annotated[str, Depends(tenant_of)]  # noqa: N806  # a type alias, named like one

    @router.get("/agent", response_class=HTMLResponse, include_in_schema=False)
    async def agent_console() -> HTMLResponse:
        """The agents' console page (its data routes need a full API key)."""
        return HTMLResponse(bundled_page("serving", "agent_page", "agent"), headers={"Cache-Control": "no-store"})

    @router.get("/v1/conversations/{conversation_id}/transcript")
    async def transcript(
        conversation_id: str,
        request: Request,
        key_tenant: Tenant,
        hours: Annotated[int, Query(ge=1, le=24 * 31, description="How far back to look")] = 72,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many, the newest")] = 200,
    ) -> JSONResponse:
        """The conversation's stored messages, bot replies and hand-offs (masked), oldest first."""
        params = {"conversation": conversation_id, "tenant": key_tenant, "hours": hours, "limit": limit}
        rows = await run_query(query_of(request), TRANSCRIPT_SQL, params)
        if not rows:
            raise HTTPException(404, f"no conversation {conversation_id!r} of this key's tenant in the store")
        messages = [{k: json_value(v) for k, v in row.items()} for row in reversed(rows)]
        return JSONResponse({"conversation_id": conversation_id, "messages": messages, "complete": len(rows) < limit})

    @router.post("/v1/conversations/{conversation_id}/agent-replies", status_code=202)
    async def agent_reply(conversation_id: str, request: Request, key_tenant: Tenant) -> JSONResponse:
        """An agent's message to the customer: ``{text, agent_id, message_id?, release?}`` (202 with its event id)."""
        try:
            payload = orjson.loads(await request.body())
        except orjson.JSONDecodeError as error:
            return JSONResponse({"error": f"body is not valid JSON: {error}"}, status_code=400)
        found = await run_query(
            query_of(request), CONVERSATION_SQL, {"conversation": conversation_id, "tenant": key_tenant}
        )
        if not found:
            raise HTTPException(404, f"no conversation {conversation_id!r} of this key's tenant in the store")
        tenant, channel = str(found[0]["tenant_id"]), str(found[0]["channel"])
        try:
            event = agent_reply_to_event(
                payload, conversation_id=conversation_id, tenant=tenant, channel=channel, now_ms=int(time.time() * 1000)
            )
        except ChannelError as error:
            return JSONResponse({"error": str(error)}, status_code=422)
        take_over = payload.get("take_over", False)
        if not isinstance(take_over, bool):
            return JSONResponse({"error": "take_over: expected true or false"}, status_code=422)
        holder = await _holder(request, recent, key_tenant, tenant, conversation_id, settings.agent_hold_s)
        if holder not in (None, event["user_id"]) and not take_over:
            message = f"agent {holder} is answering this conversation; send take_over: true to answer anyway"
            return JSONResponse({"error": message, "held_by": holder}, status_code=409)
        response = await ingest([event], key_tenant)
        if response.status_code == 202:
            released = event["metadata"].get("action") == "release"
            recent.answered(tenant, conversation_id, str(event["user_id"]), released=released)
        return response

    return router
