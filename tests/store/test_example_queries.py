"""Every example query in docs/queries.sql passes the read-only guard and runs on the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from streams.store.sqlguard import check_read_only, split_statements

QUERIES = split_statements((Path(__file__).parents[2] / "docs" / "queries.sql").read_text(encoding="utf-8"))
PARAMS = {"tenant": "acme", "conversation": "c1"}


@pytest.mark.parametrize("sql", QUERIES, ids=[f"query{i}" for i in range(len(QUERIES))])
def test_example_query_is_read_only_and_runs(store: Client, sql: str) -> None:
    check_read_only(sql)
    store.query(sql, parameters={k: v for k, v in PARAMS.items() if "{" + k in sql})
