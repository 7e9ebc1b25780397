"""The store package's public surface; `kefu sql` against the embedded owner does not load clickhouse-connect."""

from __future__ import annotations

import subprocess
import sys

import streams.store


def test_public_names_are_exactly_these() -> None:
    assert set(streams.store.__all__) == {
        "DATABASE", "TABLES", "ClickHouseSink", "QueryRefused", "StoreClient", "StoreError", "StoreUnavailable",
        "Table", "check_read_only",
    }  # fmt: skip
    for name in streams.store.__all__:
        assert hasattr(streams.store, name)


def test_the_query_client_does_not_import_clickhouse_connect() -> None:
    code = "import sys, streams.store; print('clickhouse_connect' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
