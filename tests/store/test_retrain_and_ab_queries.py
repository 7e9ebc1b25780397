"""The queries the retrain agent, `kefu models list --from-store` and `kefu ab report` run, on a real chDB store
filled through the sink exactly as the platform fills it."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from clickhouse_connect.driver.client import Client

from jobs.ab_report import AB_ROWS_SQL, ab_report
from jobs.registry import ModelCard, version_record
from jobs.retrain import CORRECTIONS_SQL, StoreTrainingData, corrections
from kefu.cli.models import STORE_VERSIONS_SQL
from streams.store import check_read_only
from streams.store.sink import ClickHouseSink
from tests.store.conftest import T0, enriched, feedback, handoff, reply


def _query(store: Client) -> Any:
    def query(sql: str, params: dict[str, Any]) -> pa.Table:
        check_read_only(sql)  # what StoreClient applies in every process
        return store.query_arrow(sql, parameters=params)

    return query


def test_corrected_intents_join_the_masked_text_and_the_latest_correction_wins(store: Client) -> None:
    sink = ClickHouseSink(store)
    sink.add("events", enriched("m1", "c1", text="直播间的券[PHONE_1]领不了"))
    sink.add("events", enriched("m2", "c2", text="退货怎么退"))
    sink.add("feedback", feedback("f1", "c1", message_id="m1", corrected_intent="coupon", source="agent", csat=None))
    sink.add("feedback", feedback("f2", "c1", message_id="m1", corrected_intent="livestream_promo", source="agent",
                                  csat=None, ts=T0 + 9000))  # fmt: skip
    sink.add("feedback", feedback("f3", "c2", csat=4))  # a rating, no correction
    sink.add("feedback", feedback("f4", "c9", message_id="gone", corrected_intent="x", csat=None))  # no such message
    sink.flush()
    sink.add("feedback", feedback("f2", "c1", message_id="m1", corrected_intent="livestream_promo", source="agent",
                                  csat=None, ts=T0 + 9000))  # a replay  # fmt: skip
    sink.flush()

    base, new = StoreTrainingData(_query(store)).tables("intent", {"event_id": "t1", "model": "intent"})
    assert new.to_pylist() == [
        {"text": "直播间的券[PHONE_1]领不了", "label": "livestream_promo", "source": "agent_correction",
         "example_id": "m1", "tenant_id": "acme", "ts": new.column("ts")[0].as_py()}
    ]  # fmt: skip
    assert base.num_rows > 500 and set(base.column("source").to_pylist()) == {"base"}
    _, sentiment_new = StoreTrainingData(_query(store)).tables("sentiment", {"event_id": "t1", "model": "sentiment"})
    assert sentiment_new.num_rows == 0  # intent corrections are not polarity labels
    assert all(sql.count("FINAL") == 2 for sql in CORRECTIONS_SQL.values())


def test_corrected_polarities_are_the_sentiment_retrains_new_labels(store: Client) -> None:
    sink = ClickHouseSink(store)
    sink.add("events", enriched("m1", "c1", text="你们这服务真行，等了三天没人理"))  # sarcasm read as positive
    sink.add("events", enriched("m2", "c2", text="好的谢谢", tenant_id="other"))
    sink.add("events", enriched("m3", "c3", text="东西收到了"))
    sink.add("feedback", feedback("f1", "c1", message_id="m1", corrected_polarity="negative", source="agent",
                                  csat=None))  # fmt: skip
    sink.add("feedback", feedback("f2", "c2", message_id="m2", corrected_polarity="positive", source="analyst",
                                  csat=None, tenant_id="other"))  # fmt: skip
    sink.add("feedback", feedback("f3", "c3", message_id="m3", corrected_intent="delivery", source="agent",
                                  csat=None))  # an intent correction only  # fmt: skip
    sink.add("feedback", feedback("f4", "c3", message_id="m3", corrected_polarity="neutral", source="agent",
                                  csat=None, ts=T0 + 5000))  # fmt: skip
    sink.flush()

    base, new = StoreTrainingData(_query(store)).tables("sentiment", {"event_id": "t2", "model": "sentiment"})
    assert sorted((r["example_id"], r["label"], r["source"], r["tenant_id"]) for r in new.to_pylist()) == [
        ("m1", "negative", "agent_correction", "acme"),
        ("m2", "positive", "analyst_correction", "other"),
        ("m3", "neutral", "agent_correction", "acme"),
    ]
    assert base.num_rows > 100 and set(base.column("source").to_pylist()) == {"base"}
    acme = corrections(_query(store), "sentiment", tenant="acme")
    assert sorted(acme.column("example_id").to_pylist()) == ["m1", "m3"]
    assert corrections(_query(store), "sentiment", since_ms=T0 + 4000).column("example_id").to_pylist() == ["m3"]
    intents = corrections(_query(store), "intent")
    assert [(r["example_id"], r["label"]) for r in intents.to_pylist()] == [("m3", "delivery")]
    with pytest.raises(ValueError, match="no corrections are recorded for 'kpi'"):
        corrections(_query(store), "kpi")


def test_model_versions_keep_the_newest_state_of_each_card(store: Client) -> None:
    sink = ClickHouseSink(store)
    card = ModelCard("intent", "v2", "candidate", "2026-11-21T08:00:00+00:00", {"held_out_macro_f1": 0.5},
                     parent_version="v1", trigger_id="drift-1", reason="below the margin",
                     details={"current_metrics": {"macro_f1": 0.6}})  # fmt: skip
    sink.add("model_versions", version_record(card, T0))
    sink.add("model_versions", version_record(card.with_status("rejected"), T0 + 5))
    sink.add("model_versions", version_record(ModelCard("intent", "v1", "promoted", "2026-11-20T08:00:00"), T0))
    sink.flush()
    rows = _query(store)(STORE_VERSIONS_SQL, {"model": "intent"}).to_pylist()
    assert [(r["version"], r["status"], r["trigger_id"]) for r in rows] == [
        ("v1", "promoted", None),
        ("v2", "rejected", "drift-1"),
    ]
    assert dict(rows[1]["metrics"]) == {"held_out_macro_f1": 0.5} and rows[1]["reason"] == "below the margin"
    assert _query(store)(STORE_VERSIONS_SQL, {"model": "sentiment"}).num_rows == 0


def test_ab_rows_are_one_per_conversation_with_its_outcome_and_latest_csat(store: Client) -> None:
    sink = ClickHouseSink(store)
    for i in range(6):
        arm = "exp1:control" if i % 2 == 0 else "exp1:short"
        sink.add("bot_replies", reply(f"r{i}a", f"m{i}", f"c{i}", variant=arm))
        sink.add("bot_replies", reply(f"r{i}b", f"m{i}", f"c{i}", variant=arm, ts=T0 + 1500))
    sink.add("bot_replies", reply("r9", "m9", "c9", variant="other:control"))
    sink.add("bot_replies", reply("r1c", "m1", "c1", variant="exp1:short", ts=T0 + 1800,
                                  handoff={"reason": "low_confidence", "detail": ""}))  # fmt: skip
    sink.add("handoffs", handoff("h2", "c2"))
    sink.add("feedback", feedback("f0", "c0", csat=2))
    sink.add("feedback", feedback("f0b", "c0", csat=5, ts=T0 + 9000))
    sink.flush()

    rows = _query(store)(AB_ROWS_SQL, {"prefix": "exp1:", "tenant": ""}).to_pylist()
    by_conversation = {r["conversation_id"]: r for r in rows}
    assert sorted(by_conversation) == [f"c{i}" for i in range(6)]
    assert (by_conversation["c0"]["contained"], by_conversation["c0"]["csat"]) == (1, 5)
    assert (by_conversation["c1"]["handoff"], by_conversation["c1"]["contained"]) == (1, 0)
    assert (by_conversation["c2"]["handoff"], by_conversation["c2"]["csat"]) == (1, None)
    report = ab_report(rows, "exp1", min_n=100)
    assert report["arms"] == {"control": 3, "short": 3}
    assert all(c["verdict"].startswith("not enough data") for c in report["comparisons"])
    assert _query(store)(AB_ROWS_SQL, {"prefix": "exp1:", "tenant": "other"}).num_rows == 0
