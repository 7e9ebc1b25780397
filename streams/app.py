"""The Faust app: topics and agents wired together. Start one worker process with ``kefu worker``.

Records travel as raw bytes through Faust and are decoded by Kefu's own codecs, so an undecodable record
becomes a dead letter instead of a crashed agent. Agents consume in batches (``take_events``) and confirm
delivery of a batch's outputs before its offsets are acknowledged: at-least-once, with idempotent sinks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import faust

from kefu.settings import Settings
from processors.model_watch import refresh_pipeline
from schemas.wire import registry_client
from streams import metrics, topics
from streams.batch_agents import register_batch_agent
from streams.drift_agent import register_drift_agent
from streams.enricher import build_enrichment_pipeline, build_inbound_stage, model_watchers
from streams.faust_app import KefuApp
from streams.faust_drain import hand_over_eagerly
from streams.faust_fetch import cap_fetch_wait
from streams.kpi_agent import register_kpi_agent
from streams.model_events import follow_promotions
from streams.observe import ConsumerPositions, register_lag_monitor
from streams.producer import BatchProducer, producer_config
from streams.retrain_agent import register_retrain_agent

log = logging.getLogger(__name__)


def create_app(settings: Settings, bootstrap: str, registry_url: str, worker_id: int = 0) -> faust.App:
    """The Faust app with its agents, talking to ``bootstrap`` and ``registry_url``."""
    datadir = Path(settings.data_dir) / "faust" / f"worker-{worker_id}"
    datadir.parent.mkdir(parents=True, exist_ok=True)
    cap_fetch_wait(settings.consumer_fetch_wait_ms)
    hand_over_eagerly()
    app = KefuApp(
        "kefu",
        broker=f"kafka://{bootstrap}",
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=False,
        datadir=str(datadir),
        broker_session_timeout=settings.broker_session_timeout_s,
        broker_heartbeat_interval=max(settings.broker_session_timeout_s / 6, 0.5),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        topic_allow_declare=False,
        consumer_auto_offset_reset="earliest",
        producer_linger_ms=settings.producer_linger_ms,
        stream_buffer_maxsize=max(4 * settings.worker_batch_size, 4096),
    )
    client = registry_client(registry_url)
    producer = BatchProducer(producer_config(bootstrap, settings.producer_linger_ms))
    enricher = build_enrichment_pipeline(settings)
    watchers = model_watchers(settings)
    stage = build_inbound_stage(settings, client, enricher)
    positions = ConsumerPositions()
    inbound_topic = app.topic(settings.topic(topics.INBOUND), key_type=bytes, value_type=bytes)
    register_batch_agent(app, inbound_topic, "enrich", stage.process, settings, producer, positions)

    if settings.kpi_agent_enabled:
        app.kefu_kpi = register_kpi_agent(app, settings, client, producer, positions)  # type: ignore[attr-defined]
    register_lag_monitor(app, positions)
    if settings.responder_enabled:
        from streams.responder.agent import register_responder_agent
        from streams.responder.wiring import build_responder

        app.kefu_responder = register_responder_agent(  # type: ignore[attr-defined]
            app, settings, client, producer, build_responder(settings)
        )

    def oov_rate(texts: Sequence[str]) -> list[float]:
        # The model in use at the time: after a swap, its own vocabulary defines what is out of it.
        rates: list[float] = enricher.intent_model.unseen_ngram_rate(texts)
        return rates

    if settings.drift_agent_enabled:
        app.kefu_drift = register_drift_agent(app, settings, client, producer, positions, oov_rate)  # type: ignore[attr-defined]
    if settings.retrain_agent_enabled:
        app.kefu_retrain = register_retrain_agent(app, settings, client, producer)  # type: ignore[attr-defined]

    def swap_models() -> None:
        # Runs on the event loop between batches, so a batch never sees two versions of a model.
        for swap in refresh_pipeline(enricher, watchers):
            metrics.MODEL_SWAPS.labels(swap.name).inc()

    @app.timer(settings.model_poll_s, name="swap-promoted-models")  # type: ignore[untyped-decorator]
    async def swap_promoted_models() -> None:
        swap_models()

    if settings.model_watch_events:

        @app.task  # type: ignore[untyped-decorator]
        async def swap_on_promotion() -> None:
            await follow_promotions(bootstrap, settings.topic(topics.PROMOTED), swap_models)

    app.kefu_stage = stage  # type: ignore[attr-defined]  # for metrics and tests
    app.kefu_producer = producer  # type: ignore[attr-defined]
    return app
