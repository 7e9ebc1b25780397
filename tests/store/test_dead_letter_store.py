"""A dead letter from the inbound stage lands in ClickHouse with its digest and masked preview, and no plant."""

from __future__ import annotations

import json

from clickhouse_connect.driver.client import Client

from streams.store.sink import ClickHouseSink
from tests.planted import found_plants, planted_identifiers, planted_text
from tests.unit.test_inbound_stage import Codecs, decoded_dead_letter, record


def test_a_poison_record_is_stored_as_a_dead_letter_without_its_identifiers(store: Client) -> None:
    plants = planted_identifiers(3)
    codecs = Codecs()
    value = json.dumps({"text": planted_text(plants)}, ensure_ascii=False).encode()
    [out] = codecs.stage().process([record(value, key=b"conv-1")])
    sink = ClickHouseSink(store)
    sink.add("dead_letters", decoded_dead_letter(codecs, out))
    sink.flush()

    rows = store.query("SELECT * FROM dead_letters FINAL").named_results()
    [row] = list(rows)
    assert row["error_class"] == "undecodable" and len(row["original_sha256"]) == 64
    assert "[PHONE_1]" in row["preview"]
    assert found_plants(json.dumps(row, default=str, ensure_ascii=False).encode(), plants) == []
