"""The loop of issue 7 at the logic level: a new intent appears, drift fires, a retrained model is promoted and
swapped into the running enrichment pipeline, and its predictions for the new intent improve; a worse candidate is
rejected with its reason recorded. No broker, no restart: the same pipeline object throughout."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastavro.validation import validate

from jobs.registry import FileRegistry, InMemoryRegistryStore
from jobs.retrain import RetrainJob, RetrainParams, read_training_table, retrain_intent, training_table
from processors.dedupe import Deduplicator
from processors.drift import DriftMonitor, DriftParams, signals_from_enriched_batch
from processors.enrichment import EnrichmentPipeline
from processors.intent import IntentModel, load_default_intent_model
from processors.intent.default import SAMPLE_DATA_DIR
from processors.model_watch import ModelWatcher, refresh_pipeline
from processors.pii import PiiMasker
from processors.sentiment import load_default_sentiment_model
from processors.sentiment.sample_data import POLARITY_TRAIN_FILE, TEST_FILE
from schemas.catalog import schema

HERE = Path(__file__).parent
NEW_INTENT = "livestream_promo"
DIALOGUES = Path(__file__).parents[3] / "processors" / "dialogue" / "eval_data" / "dialogues.jsonl"


def livestream_messages() -> tuple[list[str], list[str]]:
    """(agent-labelled, held-out test) live-stream promotion messages: 65 and 21."""
    texts = [json.loads(line)["text"] for line in (HERE / "livestream_intent.jsonl").read_text("utf-8").splitlines()]
    return [t for i, t in enumerate(texts) if i % 4 != 3], [t for i, t in enumerate(texts) if i % 4 == 3]


def in_domain_messages() -> list[str]:
    """Customer messages the shipped intent model was not trained on (dialogue turns, sentiment test set)."""
    turns = [turn["text"] for line in DIALOGUES.read_text("utf-8").splitlines() for turn in json.loads(line)["turns"]]
    return turns + [json.loads(line)["text"] for line in TEST_FILE.read_text("utf-8").splitlines() if line.strip()]


def inbound(index: int, text: str) -> dict[str, Any]:
    return {
        "event_id": f"e{index}",
        "conversation_id": f"c{index}",
        "tenant_id": "acme",
        "channel": "web",
        "user_id": f"u{index}",
        "role": "customer",
        "text": text,
        "ts": 1_790_000_000_000 + index * 1000,
        "locale": "zh-CN",
        "metadata": {},
    }


@dataclass
class Tables:
    """Training data as the ClickHouse queries would give it (a real TrainingData, not a mock)."""

    base: pa.Table
    new: pa.Table

    def tables(self, model: str, trigger: Any) -> tuple[pa.Table, pa.Table]:
        return self.base, self.new


@pytest.fixture(scope="module")
def pipeline() -> EnrichmentPipeline:
    return EnrichmentPipeline(
        masker=PiiMasker(),
        intent_model=load_default_intent_model(),
        sentiment_model=load_default_sentiment_model(),
        deduplicator=Deduplicator(),
    )


def run_stream(
    pipeline: EnrichmentPipeline, monitor: DriftMonitor, texts: list[str], start: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Enrich ``texts`` in batches of 100 and feed the monitor; returns (enriched datums, triggers)."""
    enriched: list[dict[str, Any]] = []
    triggers: list[dict[str, Any]] = []
    for offset in range(0, len(texts), 100):
        batch = [inbound(start + offset + i, text) for i, text in enumerate(texts[offset : offset + 100])]
        datums = [d for d in pipeline(batch) if d is not None]
        enriched += datums
        triggers += monitor.update_many(
            signals_from_enriched_batch(datums, oov=pipeline.intent_model.unseen_ngram_rate)
        )
    return enriched, triggers


def test_new_intent_is_detected_retrained_promoted_and_swapped_in(pipeline: EnrichmentPipeline, tmp_path: Path) -> None:
    rng = random.Random(0)
    labelled, test_messages = livestream_messages()
    assert len(labelled) + len(test_messages) >= 60
    pool = in_domain_messages()
    registry = FileRegistry(tmp_path / "models", stores=[mirror := InMemoryRegistryStore()])
    watcher = ModelWatcher(registry, "intent", IntentModel.load)
    assert refresh_pipeline(pipeline, {"intent": watcher}) == []
    monitor = DriftMonitor(params=DriftParams(merge_window_ms=120_000))

    # 1500 ordinary messages: no drift.
    _, triggers = run_stream(pipeline, monitor, [rng.choice(pool) for _ in range(1500)], start=0)
    assert triggers == []
    # Then half of the traffic is about live-stream promotions, which the shipped model does not know.
    shifted = [rng.choice(labelled) if rng.random() < 0.5 else rng.choice(pool) for _ in range(1500)]
    enriched, triggers = run_stream(pipeline, monitor, shifted, start=1500)
    triggers += monitor.flush()
    assert len(triggers) == 1
    [trigger] = triggers
    assert (trigger["tenant_id"], trigger["model"]) == ("acme", "intent")
    assert "oov_rate" in trigger["evidence"]["metrics"].split(",")
    assert float(trigger["evidence"]["oov_rate.mean_after"]) > float(trigger["evidence"]["oov_rate.mean_before"]) + 0.1
    assert validate(trigger, schema("RetrainTrigger").parsed, raise_errors=True)

    before = pipeline([inbound(10_000 + i, text) for i, text in enumerate(test_messages)])
    assert sum(d is not None and d["intent"] == NEW_INTENT for d in before) == 0

    # Agents labelled the live-stream messages they handled: rows as the feedback/events join returns them.
    corrections = training_table(
        {"example_id": d["event_id"], "text": d["text"], "label": NEW_INTENT, "source": "agent_correction",
         "tenant_id": d["tenant_id"], "ts": d["ts"]}
        for d in enriched
        if d["text"] in set(labelled)
    )  # fmt: skip
    base = read_training_table(SAMPLE_DATA_DIR / "intents.jsonl", source="base")
    job = RetrainJob(registry, Tables(base, corrections), RetrainParams(min_class_size=10))
    result = job.handle(trigger)

    assert result.action == "promoted", result.reason
    assert result.card is not None and result.card.version == "v1" and result.card.trigger_id == trigger["event_id"]
    assert result.card.parent_version == "shipped"
    assert result.outcome is not None and result.outcome.per_class_deltas[NEW_INTENT].candidate_f1 >= 0.8
    assert result.promoted_event is not None
    assert validate(result.promoted_event, schema("ModelPromoted").parsed, raise_errors=True)
    assert [e["version"] for e in mirror.events] == ["v1"]

    # The running pipeline picks the promoted version up between batches.
    [swap] = refresh_pipeline(pipeline, {"intent": watcher})
    assert (swap.version, swap.previous_version) == ("v1", None)
    after = pipeline([inbound(20_000 + i, text) for i, text in enumerate(test_messages)])
    assert sum(d is not None and d["intent"] == NEW_INTENT for d in after) >= 18
    assert NEW_INTENT in pipeline.intent_model.labels

    # A replayed trigger does not train again.
    assert job.handle(trigger).action == "replayed"

    # Worse data: the live-stream messages re-corrected later with labels drawn at random from the old intents.
    labels = sorted(set(base.column("label").to_pylist()))
    shuffle = random.Random(0)
    rows = corrections.to_pylist()
    bad = training_table(
        [*rows, *({**row, "label": shuffle.choice(labels), "ts": row["ts"] + timedelta(hours=1)} for row in rows)]
    )
    worse = RetrainJob(registry, Tables(base, bad), RetrainParams(min_class_size=10))
    rejected = worse.handle({**trigger, "event_id": "manual-bad-labels"})
    assert rejected.action == "rejected"
    assert rejected.reason.startswith("macro_f1 ") and "is below the margin 0.01" in rejected.reason
    assert rejected.card is not None and rejected.card.status == "rejected"
    assert registry.card("intent", rejected.card.version).reason == rejected.reason
    assert registry.active_version("intent") == "v1"
    assert refresh_pipeline(pipeline, {"intent": watcher}) == []


def test_a_worse_candidate_is_not_promoted_and_says_why() -> None:
    labelled, _ = livestream_messages()
    base = read_training_table(SAMPLE_DATA_DIR / "intents.jsonl", source="base")
    new = training_table(({"text": text, "label": NEW_INTENT} for text in labelled), source="agent_labelled")
    good = retrain_intent(base, new, load_default_intent_model(), min_class_size=10, reference="refit")
    assert good.promoted
    # Same data, but a candidate regularised into uselessness, judged against the good one.
    worse = retrain_intent(base, new, good.candidate, min_class_size=10, train_params={"regularization": 0.001})
    assert not worse.promoted
    assert worse.candidate_metrics["macro_f1"] < worse.current_metrics["macro_f1"] - 0.1
    assert worse.reason == (
        f"macro_f1 {worse.current_metrics['macro_f1']:.4f} -> {worse.candidate_metrics['macro_f1']:.4f} "
        f"({worse.candidate_metrics['macro_f1'] - worse.current_metrics['macro_f1']:+.4f}) is below the margin 0.01"
    )


def sarcastic_complaints() -> list[str]:
    """Praise-shaped complaints ("你们物流真了不起，两周了还没动静"): the shipped polarity model reads most of them
    as neutral or positive."""
    subjects = ("物流", "客服", "售后", "发货", "退款", "快递")
    praise = ("真是绝了", "可真厉害", "真了不起", "效率真高啊", "太给力了呢")
    waits = ("等了三天", "一个星期了", "半个月了", "催了五次", "两周了")
    tails = ("还没动静", "都没人理", "还在原地", "一点消息都没有")
    texts = sorted({f"你们{s}{p}，{w}{t}" for s in subjects for p in praise for w in waits for t in tails})
    random.Random(0).shuffle(texts)
    return texts[:120]


def test_agents_corrected_polarities_retrain_the_sentiment_model(tmp_path: Path) -> None:
    texts = sarcastic_complaints()
    corrected, unseen = texts[:60], texts[60:]
    shipped = load_default_sentiment_model()
    assert sum(p.polarity == "negative" for p in shipped.predict(unseen)) < len(unseen) / 2

    # Agents set the polarity of the messages they handled: rows as CORRECTIONS_SQL["sentiment"] returns them.
    corrections = training_table(
        {"example_id": f"m{i}", "text": text, "label": "negative", "source": "agent_correction", "tenant_id": "acme"}
        for i, text in enumerate(corrected)
    )
    base = read_training_table(POLARITY_TRAIN_FILE, source="base")
    registry = FileRegistry(tmp_path / "models")
    result = RetrainJob(registry, Tables(base, corrections), RetrainParams(min_class_size=10)).handle(
        {"event_id": "drift-sentiment-1", "tenant_id": "acme", "model": "sentiment"}
    )

    assert result.action == "promoted", result.reason
    assert registry.active_version("sentiment") == "v1"
    assert result.outcome is not None
    assert result.outcome.candidate_metrics["macro_f1"] > result.outcome.current_metrics["macro_f1"] + 0.05
    assert sum(p.polarity == "negative" for p in result.outcome.candidate.predict(unseen)) >= 0.9 * len(unseen)
    polite = result.outcome.candidate.predict(["请问这个什么时候发货？", "退货地址是哪里"])
    assert [p.polarity for p in polite] == ["neutral", "neutral"]  # a neutral question still reads neutral
