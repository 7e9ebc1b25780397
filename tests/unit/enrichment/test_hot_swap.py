"""A model promoted in the registry reaches a running enrichment pipeline without a restart."""

from __future__ import annotations

from pathlib import Path

from jobs.registry import FileRegistry
from kefu.settings import Settings
from processors.intent import IntentModel
from processors.model_watch import refresh_pipeline
from streams.enricher import build_enrichment_pipeline, model_watchers


def test_a_promoted_intent_model_is_swapped_into_the_pipeline(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    pipeline = build_enrichment_pipeline(settings)
    watchers = model_watchers(settings)
    assert refresh_pipeline(pipeline, watchers) == []  # nothing promoted yet: the shipped models stay

    examples = [("直播间的优惠券怎么领", "livestream_coupon"), ("主播说的福利在哪", "livestream_coupon")] * 5
    examples += [("快递到哪了", "where_is_my_order"), ("物流怎么不动了", "where_is_my_order")] * 5
    registry = FileRegistry(settings.model_registry_dir)
    card = registry.register(
        "intent", lambda directory: IntentModel.train(examples, calibration_folds=2).save(directory)
    )
    registry.promote("intent", card.version, reason="test")

    swaps = refresh_pipeline(pipeline, watchers)
    assert [s.name for s in swaps] == ["intent"]
    assert "livestream_coupon" in pipeline.intent_model.labels
    [out] = pipeline(
        [
            {
                "event_id": "e1",
                "conversation_id": "c",
                "tenant_id": "t",
                "channel": "web",
                "user_id": "u",
                "role": "customer",
                "text": "直播间优惠券在哪里领",
                "ts": 0,
                "locale": "zh-CN",
                "metadata": {},
            }
        ]
    )
    assert out is not None and out["intent"] == "livestream_coupon"
