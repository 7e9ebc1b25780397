"""The enrichment chain for a batch of inbound events: dedupe -> PII masking -> intent -> sentiment.

Pure logic over Avro datums (dicts), so the Faust agent, the plain-Kafka benchmark loop and the tests all
run exactly this code. Masking comes first and covers every role and every metadata value: nothing
after it (the models, the enriched topic, the logs) sees raw personal data. A customer's ``user_id`` that is
itself personal data (a phone number, an e-mail address) becomes a keyed pseudonym
(:class:`processors.pii.IdentifierPseudonymizer`); agents' ids are staff ids and stay as they are. Only customer
messages are tagged with intent and sentiment; bot, agent and system messages pass through masked.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from processors.dedupe import Deduplicator
from processors.intent import IntentModel
from processors.pii import IdentifierPseudonymizer, MaskResult, PiiMasker, process_pseudonyms
from processors.sentiment import SentimentModel

__all__ = ["EnrichmentPipeline", "model_version"]

TAGGED_ROLES = frozenset({"customer"})


def model_version(kind: str, metadata: dict[str, Any]) -> str:
    """A model's version string as recorded on every enriched event (``kind@digest-prefix``).

    >>> model_version("intent", {"data_sha256": "0123456789abcdef"})
    'intent@0123456789ab'
    >>> model_version("sentiment", {"version": "sentiment-lr@abc"})
    'sentiment-lr@abc'
    """
    if "version" in metadata:
        return str(metadata["version"])
    return f"{kind}@{str(metadata.get('data_sha256', 'unknown'))[:12]}"


@dataclass
class EnrichmentPipeline:
    """Callable enricher for :class:`streams.inbound.InboundStage`: one output per event, ``None`` = duplicate.

    The models are attributes, so a newly promoted model can be swapped in between batches. ``pseudonyms``
    defaults to a key of this process alone (safe, but pseudonyms then differ between processes and restarts):
    the workers pass the platform's key (``streams.enricher.build_enrichment_pipeline``).
    """

    masker: PiiMasker
    intent_model: IntentModel
    sentiment_model: SentimentModel
    deduplicator: Deduplicator
    pseudonyms: IdentifierPseudonymizer = field(default_factory=process_pseudonyms)

    def __call__(self, events: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
        kept = [event for event in events if self.deduplicator.check(event) is None]
        masked = [self.masker.mask(event["text"]) for event in kept]
        tagged = [i for i, event in enumerate(kept) if event["role"] in TAGGED_ROLES]
        tagged_texts = [masked[i].masked for i in tagged]
        intents = dict(zip(tagged, self.intent_model.predict(tagged_texts), strict=True))
        sentiments = dict(zip(tagged, self.sentiment_model.predict(tagged_texts), strict=True))
        versions = self.model_versions()
        stamp = int(time.time() * 1000)
        enriched_by_id: dict[int, dict[str, Any]] = {}
        for i, (event, mask) in enumerate(zip(kept, masked, strict=True)):
            datum = _masked_datum(event, mask, self.masker, stamp)
            if event["role"] == "customer":
                datum["user_id"] = self.pseudonyms(event["tenant_id"], event["user_id"])
            if i in intents:
                intent, sentiment = intents[i], sentiments[i]
                datum["intent"] = intent.intent
                datum["intent_confidence"] = float(intent.confidence)
                datum["intents"] = [{"label": label, "confidence": float(p)} for label, p in intent.intents]
                datum["sentiment"] = {
                    "polarity": sentiment.polarity,
                    "score": float(sentiment.score),
                    "emotion": sentiment.emotion,
                    "emotion_confidence": float(sentiment.emotion_confidence),
                }
                datum["model_versions"] = versions
            enriched_by_id[id(event)] = datum
        return [enriched_by_id.get(id(event)) for event in events]

    def model_versions(self) -> dict[str, str]:
        """The versions of the models that tag events now."""
        return {
            "intent": model_version("intent", self.intent_model.metadata),
            "sentiment": model_version("sentiment", self.sentiment_model.metadata),
        }


def _masked_datum(event: dict[str, Any], mask: MaskResult, masker: PiiMasker, stamp: int) -> dict[str, Any]:
    """The EnrichedEvent fields that do not depend on the models."""
    return {
        "event_id": event["event_id"],
        "conversation_id": event["conversation_id"],
        "tenant_id": event["tenant_id"],
        "channel": event["channel"],
        "user_id": event["user_id"],
        "role": event["role"],
        "text": mask.masked,
        "ts": event["ts"],
        "locale": event["locale"],
        # Metadata is free text from upstream systems: values and even keys may carry personal data too.
        "metadata": {masker.mask(key).masked: masker.mask(value).masked for key, value in event["metadata"].items()},
        "pii_entities": [
            {"type": e.type, "start": e.start, "end": e.end, "placeholder": e.placeholder} for e in mask.entities
        ],
        "intent": None,
        "intent_confidence": None,
        "intents": [],
        "sentiment": None,
        "model_versions": {},
        "enriched_ts": stamp,
    }
