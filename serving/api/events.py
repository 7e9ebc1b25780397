"""Ingest routes: ``POST /v1/events`` (ConversationEvent JSON), the web-chat message and e-mail adapters.

Each turns its body into ConversationEvents and hands them to ``ingest`` (see :func:`ingest_handler`): all of a
request's events are accepted (202) or none (403 for another tenant's, 422 for invalid ones).

No ``from __future__ import annotations`` here: FastAPI must evaluate the ``Depends`` annotations that refer
to ``tenant_of``.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from kefu.settings import Settings
from processors.pii import IdentifierPseudonymizer
from serving.api.deps import TenantDependency
from serving.api.metrics import EVENTS_IN, REJECTED
from serving.channels import ChannelError, read_email, webchat_to_event
from serving.channels.email_contacts import EmailContacts
from serving.ingest import Ingestor

Ingest = Callable[[list[Any], str], Awaitable[JSONResponse]]
"""``ingest(items, tenant)``: validate, produce to ``conversations.inbound`` (masked downstream), answer."""


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


async def read_body(request: Request) -> bytes:
    return await request.body()  # RequestLimits has already refused a body over max_request_bytes


def ingest_handler(inbound: Ingestor) -> Ingest:
    """The ``ingest`` every ingesting route shares (events API, channels, agents' replies)."""

    async def ingest(items: list[Any], tenant: str) -> JSONResponse:
        prepared = inbound.prepare(items, tenant_scope=tenant)
        if prepared.rejections:
            for rejection in prepared.rejections:
                REJECTED.labels(rejection.error_class).inc()
            status = 403 if all(r.error_class == "forbidden_tenant" for r in prepared.rejections) else 422
            return error_response(
                status,
                f"{len(prepared.rejections)} of {len(items)} events are invalid; none were accepted",
                errors=[r.as_dict() for r in prepared.rejections],
            )
        await inbound.deliver_async(prepared)
        EVENTS_IN.labels(inbound.topic).inc(len(prepared.records))
        results = [{"index": i, "event_id": e, "status": "accepted"} for i, e in enumerate(prepared.event_ids)]
        return JSONResponse({"accepted": len(results), "results": results}, status_code=202)

    return ingest


def events_router(
    tenant_of: TenantDependency,
    settings: Settings,
    ingest: Ingest,
    email_contacts: EmailContacts,
    pseudonyms: IdentifierPseudonymizer,
) -> APIRouter:
    """``email_contacts``: where an accepted e-mail's sender is kept (encrypted) for the answers; ``pseudonyms``:
    the platform's, which names the sender on the event."""
    router = APIRouter()
    Tenant = Annotated[str, Depends(tenant_of)]  # noqa: N806  # a type alias, named like one

    @router.post("/v1/events", status_code=202)
    async def post_events(request: Request, tenant: Tenant) -> JSONResponse:
        try:
            payload = orjson.loads(await read_body(request))
        except orjson.JSONDecodeError as error:
            return error_response(400, f"body is not valid JSON: {error}")
        items = payload if isinstance(payload, list) else [payload] if isinstance(payload, dict) else None
        if items is None:
            return error_response(422, "body must be a JSON array of ConversationEvent objects (or one object)")
        if not items:
            return error_response(422, "no events in the request")
        if len(items) > settings.max_events_per_request:
            return error_response(413, f"at most {settings.max_events_per_request} events per request")
        return await ingest(items, tenant)

    @router.post("/v1/channels/webchat/messages", status_code=202)
    async def webchat(request: Request, tenant: Tenant) -> JSONResponse:
        try:
            payload = orjson.loads(await read_body(request))
            scope = payload.get("tenant_id", tenant) if isinstance(payload, dict) and tenant == "*" else tenant
            event = webchat_to_event(payload, scope)
        except (orjson.JSONDecodeError, ChannelError) as error:
            return error_response(422, str(error))
        return await ingest([event], tenant)

    @router.post("/v1/channels/email/{tenant_id}", status_code=202)
    async def email(tenant_id: str, request: Request, tenant: Tenant) -> JSONResponse:
        try:
            event, contact = read_email(await read_body(request), tenant_id, pseudonyms)
        except ChannelError as error:
            return error_response(422, str(error))
        response = await ingest([event], tenant)
        if response.status_code == 202:  # only an accepted e-mail's; enrichment alone outlasts this one write
            email_contacts.remember(tenant_id, event["conversation_id"], contact)
        return response

    return router
