"""Builds the enrichment chain the inbound stage runs, from the settings (models, dedupe windows)."""

from __future__ import annotations

from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient

from jobs.registry import FileRegistry
from kefu.key_files import pseudonym_key
from kefu.settings import Settings
from processors.dedupe import DedupeConfig, Deduplicator
from processors.enrichment import EnrichmentPipeline
from processors.intent import IntentModel, load_default_intent_model
from processors.model_watch import ModelWatcher
from processors.pii import IdentifierPseudonymizer, PiiMasker
from processors.sentiment import SentimentModel, load_default_sentiment_model
from schemas.catalog import schema
from schemas.wire import AvroCodec
from streams import topics
from streams.inbound import InboundStage


def build_enrichment_pipeline(settings: Settings) -> EnrichmentPipeline:
    """Dedupe -> PII -> intent -> sentiment with the configured (or shipped) models and the platform's pseudonym
    key."""
    intent = IntentModel.load(settings.intent_model_dir) if settings.intent_model_dir else load_default_intent_model()
    sentiment = (
        SentimentModel.load(settings.sentiment_model_dir)
        if settings.sentiment_model_dir
        else load_default_sentiment_model()
    )
    dedupe = Deduplicator(
        DedupeConfig(
            exact_window_s=settings.dedupe_window_s,
            near_window_s=settings.near_duplicate_window_s,
            max_conversations=settings.dedupe_max_conversations,
        )
    )
    return EnrichmentPipeline(
        masker=PiiMasker(),
        intent_model=intent,
        sentiment_model=sentiment,
        deduplicator=dedupe,
        pseudonyms=IdentifierPseudonymizer(pseudonym_key(settings)),
    )


def model_watchers(settings: Settings) -> dict[str, ModelWatcher[Any]]:
    """Watchers of the registry's active intent and sentiment versions (hot swap without a restart)."""
    registry = FileRegistry(settings.model_registry_dir)
    return {
        "intent": ModelWatcher(registry, "intent", IntentModel.load),
        "sentiment": ModelWatcher(registry, "sentiment", SentimentModel.load),
    }


def build_inbound_stage(
    settings: Settings, client: SchemaRegistryClient, enricher: EnrichmentPipeline | None = None
) -> InboundStage:
    """The stage the Faust agent and the benchmark's plain loop both run: decode, validate, enrich, encode."""
    return InboundStage(
        AvroCodec(client, schema("ConversationEvent"), f"{settings.topic(topics.INBOUND)}-value"),
        AvroCodec(client, schema("EnrichedEvent"), f"{settings.topic(topics.ENRICHED)}-value"),
        AvroCodec(client, schema("DeadLetter"), f"{settings.topic(topics.DEADLETTER)}-value"),
        enriched_topic=settings.topic(topics.ENRICHED),
        deadletter_topic=settings.topic(topics.DEADLETTER),
        max_text_chars=settings.max_text_chars,
        known_tenants=settings.known_tenants(),
        enricher=enricher or build_enrichment_pipeline(settings),
    )
