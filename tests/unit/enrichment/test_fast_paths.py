"""The stream's fast paths give exactly what the plain definitions give, on the benchmark's and the PII sets' texts."""

from __future__ import annotations

import random
import uuid

from processors.dedupe import DedupeConfig, Deduplicator
from processors.enrichment import EnrichmentPipeline
from processors.intent import load_default_intent_model
from processors.pii import PiiMasker
from processors.pii.synthetic import generate_samples
from processors.sentiment import load_default_sentiment_model
from processors.sentiment.cues import find_cues
from processors.sentiment.text import normalize_text
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams.bench.events import synthetic_event
from streams.inbound import InboundStage, with_named_branches
from streams.records import InRecord


def _texts() -> list[str]:
    rng = random.Random(5)
    bench = [synthetic_event(i, "fast", 0, rng)["text"] for i in range(600)]
    pii = [sample.text for sample in generate_samples(600, seed=5)]
    return [*bench, *pii, "", "   ", "WHERE IS MY REFUND!!!", "不满意，但是东西还行？？"]


def _pipeline() -> EnrichmentPipeline:
    return EnrichmentPipeline(
        masker=PiiMasker(),
        intent_model=load_default_intent_model(),
        sentiment_model=load_default_sentiment_model(),
        deduplicator=Deduplicator(DedupeConfig()),
    )


def test_cues_from_a_given_normalised_text_equal_cues_found_alone() -> None:
    for text in _texts():
        assert find_cues(text, normalize_text(text)) == find_cues(text), text


def test_batched_sentiment_equals_one_text_at_a_time() -> None:
    model = load_default_sentiment_model()
    texts = [PiiMasker().mask(text).masked for text in _texts()]
    assert model.predict(texts) == [model.predict([text])[0] for text in texts]


def test_stage_output_bytes_equal_the_plain_encoding_of_the_enriched_datums() -> None:
    client = registry_client(f"mock://fast-{uuid.uuid4()}")
    inbound, enriched = AvroCodec(client, schema("ConversationEvent")), AvroCodec(client, schema("EnrichedEvent"))
    rng = random.Random(9)
    events = [synthetic_event(i, "fast", 1_795_248_000_000, rng) for i in range(400)]
    events += [{**e, "role": "agent", "event_id": f"{e['event_id']}-agent"} for e in events[:50]]
    stage = InboundStage(
        inbound,
        enriched,
        AvroCodec(client, schema("DeadLetter")),
        enriched_topic="enriched",
        deadletter_topic="deadletter",
        max_text_chars=10_000,
        enricher=_pipeline(),
    )
    records = [InRecord("inbound", 0, i, None, inbound.encode(e)) for i, e in enumerate(events)]
    outputs = stage.process(records)
    expected = [d for d in _pipeline()(events) if d is not None]
    assert len(outputs) == len(expected) == len(events)
    for output, datum in zip(outputs, expected, strict=True):
        datum["enriched_ts"] = enriched.decode(output.value)["enriched_ts"]  # the clock moved between the two runs
        assert output.value == enriched.encode(datum)


def test_named_branches_leave_untagged_datums_alone() -> None:
    datum = {"sentiment": None, "text": "x"}
    assert with_named_branches(datum) is datum
