"""``GET /v1/handoffs``: the agents' queue, rebuilt from ClickHouse on every call (SQL in ``agent_sql``).

A conversation waits for an agent when a hand-off no agent has answered yet is its latest, or when the customer
wrote again while an agent holds the conversation (``waiting_for``, ``waiting_since``, ``assigned_to``: the agent
holding it). Each comes with summary, slots, intent, emotion, masked transcript and the customer messages' ids,
predicted intents and polarities, so an agent can correct either with ``POST /v1/feedback`` (``source: agent``).
Fresh hand-offs name the present agent they are routed to (``routed_to``, see ``agent_routing``): the agents whose
console polls with ``?agent_id=`` are present, and such a poll lists only what that agent holds and what is
routed to them. Without ``agent_id`` the whole queue comes back. Needs a full API key.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from kefu.settings import Settings
from serving.api.agent_routing import AgentPresence, route
from serving.api.agent_sql import AGENT_LOADS_SQL, CUSTOMER_MESSAGES_SQL, WAITING_HANDOFFS_SQL
from serving.api.deps import TenantDependency
from serving.api.kpi import query_of, run_query, scoped_tenant
from serving.api.kpi_sql import json_value
from serving.api.presence_stream import PresenceStream

TRANSCRIPT_COLUMNS = ("transcript_role", "transcript_text", "transcript_ts")
INTERNAL_COLUMNS = (*TRANSCRIPT_COLUMNS, "answered_at")


def _waiting_since(row: dict[str, Any], messages: list[dict[str, Any]]) -> Any:
    """The hand-off's time, or for a customer who wrote again, their first message after the agent's last."""
    if row["waiting_for"] == "handoff":
        return row["ts"]
    return min((m["ts"] for m in messages if m["ts"] > row["answered_at"]), default=row["ts"])


def _handoff(row: dict[str, Any], messages: list[dict[str, Any]], waiting_since: Any) -> dict[str, Any]:
    transcript = [
        {"role": role, "text": text, "ts": json_value(ts)}
        for role, text, ts in zip(*(row[c] for c in TRANSCRIPT_COLUMNS), strict=True)
    ]
    plain = {k: json_value(v) for k, v in row.items() if k not in INTERNAL_COLUMNS}
    return {
        **plain,
        "waiting_since": json_value(waiting_since),
        "slots": dict(row["slots"] or {}),
        "transcript": transcript,
        "customer_messages": [{k: json_value(v) for k, v in m.items()} for m in messages],
    }


async def _routed(
    request: Request, presence: AgentPresence, scope: str, fresh: list[str], hold_ms: int
) -> dict[str, str]:
    """Fresh hand-offs (in queue order) -> the present agent each is routed to; the loads come from the store."""
    present = presence.present(scope)
    if not fresh or not present:
        return {}
    rows = await run_query(query_of(request), AGENT_LOADS_SQL, {"tenant": scope, "hold_ms": hold_ms})
    return route(fresh, present, {str(row["agent_id"]): int(row["held"]) for row in rows})


def queue_router(tenant_of: TenantDependency, settings: Settings, presence_stream: PresenceStream) -> APIRouter:
    """``presence_stream``: agents whose console polls the queue, here or at another API process."""
    router = APIRouter()
    Tenant = Annotated[str, Depends(tenant_of)]  # noqa: N806  # a type alias, named like one
    presence = presence_stream.presence

    @router.get("/v1/handoffs")
    async def handoffs(
        request: Request,
        key_tenant: Tenant,
        tenant: str | None = None,
        hours: Annotated[int, Query(ge=1, le=24 * 31, description="How far back to look")] = 72,
        agent_id: Annotated[
            str | None, Query(description="The agent asking: present; sees what they hold or is routed to them")
        ] = None,
    ) -> JSONResponse:
        """Conversations waiting for an agent (each with its latest hand-off), most urgent first, then longest
        waiting first; fresh ones name the present agent they are routed to."""
        query = query_of(request)
        scope = scoped_tenant(key_tenant, tenant) or "*"
        limit = settings.handoff_list_limit
        hold_ms = int(settings.agent_hold_s * 1000)
        params = {"tenant": scope, "hours": hours, "limit": limit * 4, "hold_ms": hold_ms}
        latest: dict[str, dict[str, Any]] = {}
        for row in await run_query(query, WAITING_HANDOFFS_SQL, params):  # newest first: each conversation's latest
            latest.setdefault(str(row["conversation_id"]), row)
        messages: dict[str, list[dict[str, Any]]] = {conversation: [] for conversation in latest}
        if latest:
            wanted = {"tenant": scope, "conversations": list(latest)}
            for message in await run_query(query, CUSTOMER_MESSAGES_SQL, wanted):
                messages[str(message.pop("conversation_id"))].append(message)
        since = {conversation: _waiting_since(row, messages[conversation]) for conversation, row in latest.items()}
        waiting = sorted(latest, key=lambda c: (latest[c]["priority"], since[c]))
        if agent_id is not None:
            presence_stream.seen(scope, agent_id)
        routed = await _routed(request, presence, scope, [c for c in waiting if not latest[c]["assigned_to"]], hold_ms)
        if agent_id is not None:  # theirs: what they hold, and fresh hand-offs routed to them
            waiting = [c for c in waiting if latest[c]["assigned_to"] == agent_id or routed.get(c) == agent_id]
        items = [{**_handoff(latest[c], messages[c], since[c]), "routed_to": routed.get(c)} for c in waiting[:limit]]
        # the console tells an agent answering an e-mail customer whether the answer is mailed at all
        return JSONResponse({"tenant": scope, "handoffs": items, "mails_email_answers": bool(settings.smtp_host)})

    return router
