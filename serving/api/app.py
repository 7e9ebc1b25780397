"""FastAPI application: ``POST /v1/events``, channel adapters, ``/health``, ``/metrics``.

No ``from __future__ import annotations`` here: FastAPI must evaluate the ``Depends`` annotations that refer
to functions local to ``create_api``.
"""

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kefu.settings import Settings
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from serving.api.agents import agents_router
from serving.api.chat import chat_router
from serving.api.conversation_feed import AgentMessageFeed
from serving.api.deps import (
    authenticator,
    chat_caller,
    chat_key_tenant,
    principal_dependency,
    tenant_dependency,
    user_limiter,
)
from serving.api.kpi import kpi_router
from serving.api.kpi_sql import KpiQuery
from serving.api.limits import RequestLimits
from serving.api.metrics import EVENTS_IN, LATENCY, REJECTED, REQUESTS, route_label
from serving.api.replies import ReplyWaiter
from serving.api.webchat import webchat_router
from serving.api.wechat import wechat_router
from serving.auth import ApiKeys
from serving.channels import ChannelError, email_to_event, webchat_to_event
from serving.ingest import Ingestor
from serving.ratelimit import RateLimiter
from streams.producer import BatchProducer, producer_config
from streams.topics import ENRICHED, FEEDBACK, INBOUND, REPLIES, REPLY_DELTAS

log = logging.getLogger(__name__)


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def create_api(  # noqa: PLR0915
    settings: Settings,
    bootstrap: str,
    registry_url: str,
    keys: ApiKeys,
    kpi_query: KpiQuery | None = None,
    webchat_keys: ApiKeys | None = None,
) -> FastAPI:
    """The API app. ``kpi_query`` runs ClickHouse SQL for /v1/kpis and the agents' routes (None: they answer 503);
    ``webchat_keys`` are public keys limited to the web chat's routes (chat, agents' messages, customer feedback).
    """
    app = FastAPI(title="Kefu API", version="1", docs_url="/docs", redoc_url=None)
    app.state.kpi_query = kpi_query
    producer = BatchProducer(producer_config(bootstrap, settings.producer_linger_ms))
    inbound = Ingestor.for_topic(
        settings.topic(INBOUND),
        INBOUND,
        registry_client(registry_url),
        producer,
        max_text_chars=settings.max_text_chars,
        known_tenants=settings.known_tenants(),
    )

    ip_limiter = RateLimiter(
        settings.rate_limit_ip_per_s, settings.rate_limit_ip_burst, max_keys=settings.rate_limit_max_keys
    )
    # Added before the metrics middleware, so that one (outermost) also counts the 413s and 429s.
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_request_bytes, ip_limiter=ip_limiter)

    @app.middleware("http")
    async def metrics_of_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route, status = route_label(request), str(response.status_code)
        LATENCY.labels(route, status).observe(time.perf_counter() - started)
        REQUESTS.labels(route, status).inc()
        return response

    async def body_of(request: Request) -> bytes:
        return await request.body()  # RequestLimits has already refused a body over max_request_bytes

    auth, users = authenticator(settings, keys), user_limiter(settings)
    tenant_of = tenant_dependency(principal_dependency(auth, users))
    caller_of = chat_caller(auth, webchat_keys or ApiKeys({}), users)
    app.include_router(kpi_router(tenant_of, settings))
    replies_topic = settings.topic(REPLIES)
    registry = registry_client(registry_url)
    waiter = ReplyWaiter(
        bootstrap,
        replies_topic,
        AvroCodec(registry, schema("BotReply")),
        settings.topic(REPLY_DELTAS),
        AvroCodec(registry, schema("ReplyDelta")),
    )
    app.include_router(chat_router(chat_key_tenant(caller_of), inbound, waiter, settings.chat_reply_timeout_s))
    feed = AgentMessageFeed(
        bootstrap, settings.topic(ENRICHED), AvroCodec(registry_client(registry_url), schema("EnrichedEvent"))
    )
    feedback = Ingestor.for_topic(
        settings.topic(FEEDBACK),
        FEEDBACK,
        registry_client(registry_url),
        producer,
        max_text_chars=settings.max_text_chars,
    )
    app.include_router(webchat_router(caller_of, settings, feed, feedback))

    async def ingest(items: list[Any], tenant: str) -> JSONResponse:
        prepared = inbound.prepare(items, tenant_scope=tenant)
        if prepared.rejections:
            for rejection in prepared.rejections:
                REJECTED.labels(rejection.error_class).inc()
            status = 403 if all(r.error_class == "forbidden_tenant" for r in prepared.rejections) else 422
            return _error(
                status,
                f"{len(prepared.rejections)} of {len(items)} events are invalid; none were accepted",
                errors=[r.as_dict() for r in prepared.rejections],
            )
        await inbound.deliver_async(prepared)
        EVENTS_IN.labels(inbound.topic).inc(len(prepared.records))
        results = [{"index": i, "event_id": e, "status": "accepted"} for i, e in enumerate(prepared.event_ids)]
        return JSONResponse({"accepted": len(results), "results": results}, status_code=202)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "kafka": bootstrap, "schema_registry": registry_url}

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.post("/v1/events", status_code=202)
    async def post_events(request: Request, tenant: Annotated[str, Depends(tenant_of)]) -> JSONResponse:
        try:
            payload = orjson.loads(await body_of(request))
        except orjson.JSONDecodeError as error:
            return _error(400, f"body is not valid JSON: {error}")
        items = payload if isinstance(payload, list) else [payload] if isinstance(payload, dict) else None
        if items is None:
            return _error(422, "body must be a JSON array of ConversationEvent objects (or one object)")
        if not items:
            return _error(422, "no events in the request")
        if len(items) > settings.max_events_per_request:
            return _error(413, f"at most {settings.max_events_per_request} events per request")
        return await ingest(items, tenant)

    @app.post("/v1/channels/webchat/messages", status_code=202)
    async def webchat(request: Request, tenant: Annotated[str, Depends(tenant_of)]) -> JSONResponse:
        try:
            payload = orjson.loads(await body_of(request))
            scope = payload.get("tenant_id", tenant) if isinstance(payload, dict) and tenant == "*" else tenant
            event = webchat_to_event(payload, scope)
        except (orjson.JSONDecodeError, ChannelError) as error:
            return _error(422, str(error))
        return await ingest([event], tenant)

    @app.post("/v1/channels/email/{tenant_id}", status_code=202)
    async def email(tenant_id: str, request: Request, tenant: Annotated[str, Depends(tenant_of)]) -> JSONResponse:
        try:
            event = email_to_event(await body_of(request), tenant_id)
        except ChannelError as error:
            return _error(422, str(error))
        return await ingest([event], tenant)

    app.include_router(wechat_router(settings, waiter, ingest, body_of))
    app.include_router(agents_router(tenant_of, settings, ingest))

    @app.on_event("startup")
    async def read_replies() -> None:
        waiter.start()
        feed.start()

    @app.on_event("shutdown")
    async def flush() -> None:
        waiter.stop()
        feed.stop()
        producer.close()

    return app
