"""FastAPI application: ``POST /v1/events``, channel adapters, ``/health``, ``/metrics``.

No ``from __future__ import annotations`` here: FastAPI must evaluate the ``Depends`` annotations that refer
to functions local to ``create_api``.
"""

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kefu.key_files import pseudonym_key
from kefu.settings import Settings
from processors.pii import IdentifierPseudonymizer
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from serving.api.agent_queue import queue_router
from serving.api.agent_routing import AgentPresence
from serving.api.agents import agents_router
from serving.api.analyst import analyst_router
from serving.api.api_docs import api_docs_router
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
from serving.api.error_bodies import answer_errors_alike
from serving.api.events import events_router, ingest_handler, read_body
from serving.api.kpi import kpi_router
from serving.api.kpi_sql import KpiQuery
from serving.api.limits import RequestLimits
from serving.api.metrics import LATENCY, REQUESTS, route_label
from serving.api.openapi_bodies import document_bodies
from serving.api.presence_stream import PresenceStream
from serving.api.recent_answers import RecentAnswers
from serving.api.replies import ReplyWaiter
from serving.api.webchat import webchat_router
from serving.api.wechat import wechat_router
from serving.auth import ApiKeys
from serving.channels.email_contacts import open_email_contacts
from serving.ingest import Ingestor
from serving.ratelimit import RateLimiter
from streams.producer import BatchProducer, producer_config
from streams.topics import AGENT_PRESENCE, ENRICHED, FEEDBACK, INBOUND, REPLIES, REPLY_DELTAS

log = logging.getLogger(__name__)


def create_api(
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
    app = FastAPI(title="Kefu API", version="1", docs_url=None, redoc_url=None)  # /docs: api_docs_router
    app.state.kpi_query = kpi_query
    _limit_and_measure_requests(app, settings)
    producer = BatchProducer(producer_config(bootstrap, settings.producer_linger_ms))
    registry = registry_client(registry_url)
    inbound = Ingestor.for_topic(
        settings.topic(INBOUND),
        INBOUND,
        registry,
        producer,
        max_text_chars=settings.max_text_chars,
        known_tenants=settings.known_tenants(),
    )
    feedback = Ingestor.for_topic(
        settings.topic(FEEDBACK), FEEDBACK, registry, producer, max_text_chars=settings.max_text_chars
    )
    ingest = ingest_handler(inbound)
    pseudonyms = IdentifierPseudonymizer(pseudonym_key(settings))  # the workers' key: the same customer, one id
    recent = RecentAnswers()  # agents' replies of the last seconds, which the store lags behind (agents' hold)
    waiter, feed = _stream_followers(settings, bootstrap, registry, recent)
    presence = PresenceStream(
        AgentPresence(settings.agent_presence_s),
        bootstrap=bootstrap,
        topic=settings.topic(AGENT_PRESENCE),
        codec=AvroCodec(registry, schema("AgentPresence"), f"{settings.topic(AGENT_PRESENCE)}-value"),
        producer=producer,
        announce_every_s=settings.agent_presence_s / 3,  # a few announcements per presence window
    )

    auth, users = authenticator(settings, keys), user_limiter(settings)
    tenant_of = tenant_dependency(principal_dependency(auth, users, webchat_keys))
    caller_of = chat_caller(auth, webchat_keys or ApiKeys({}), users)
    app.include_router(kpi_router(tenant_of, settings))
    app.include_router(analyst_router(tenant_of, settings))
    app.include_router(chat_router(chat_key_tenant(caller_of), inbound, waiter, settings.chat_reply_timeout_s))
    app.include_router(webchat_router(caller_of, settings, feed, feedback, pseudonyms))
    app.include_router(_operations_router(bootstrap, registry_url))
    app.include_router(api_docs_router(app.title))
    app.include_router(events_router(tenant_of, settings, ingest, open_email_contacts(settings), pseudonyms))
    app.include_router(wechat_router(settings, waiter, ingest, read_body))
    app.include_router(queue_router(tenant_of, settings, presence))
    app.include_router(agents_router(tenant_of, settings, ingest, recent))
    document_bodies(app, settings)
    answer_errors_alike(app)

    @app.on_event("startup")
    async def read_replies() -> None:
        waiter.start()
        feed.start()
        presence.start()

    @app.on_event("shutdown")
    async def flush() -> None:
        waiter.stop()
        feed.stop()
        presence.stop()
        producer.close()

    return app


def _limit_and_measure_requests(app: FastAPI, settings: Settings) -> None:
    """Body-size and per-IP limits, then request metrics (outermost, so they count the 413s and 429s too)."""
    ip_limiter = RateLimiter(
        settings.rate_limit_ip_per_s, settings.rate_limit_ip_burst, max_keys=settings.rate_limit_max_keys
    )
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_request_bytes, ip_limiter=ip_limiter)

    @app.middleware("http")
    async def metrics_of_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route, status = route_label(request), str(response.status_code)
        LATENCY.labels(route, status).observe(time.perf_counter() - started)
        REQUESTS.labels(route, status).inc()
        return response


def _stream_followers(
    settings: Settings, bootstrap: str, registry: SchemaRegistryClient, recent: RecentAnswers
) -> tuple[ReplyWaiter, AgentMessageFeed]:
    """What the API reads back from the stream: bot replies (and their deltas), agents' messages (which also tell
    ``recent`` who answered, whichever API process accepted the message)."""
    waiter = ReplyWaiter(
        bootstrap,
        settings.topic(REPLIES),
        AvroCodec(registry, schema("BotReply")),
        settings.topic(REPLY_DELTAS),
        AvroCodec(registry, schema("ReplyDelta")),
    )
    feed = AgentMessageFeed(
        bootstrap, settings.topic(ENRICHED), AvroCodec(registry, schema("EnrichedEvent")), recent=recent
    )
    return waiter, feed


def _operations_router(bootstrap: str, registry_url: str) -> APIRouter:
    router = APIRouter()

    @router.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "kafka": bootstrap, "schema_registry": registry_url}

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
