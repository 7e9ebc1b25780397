"""The ClickHouse store: ``sink`` (the writer and, embedded, the owner), ``sql`` and ``export`` for analysts."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from kefu.settings import get_settings
from kefu.state import resolve_endpoints

FORMATS = ("table", "json", "csv")
MAX_CELL = 60


def sink(
    ready_file: Annotated[Path | None, typer.Option(help="Touched once the sink has its partitions.")] = None,
) -> None:
    """Consume the contract's topics into ClickHouse (KEFU_CLICKHOUSE_DSN, or embedded chDB it then serves)."""
    from streams.store.service import run_sink

    settings = get_settings()
    endpoints = resolve_endpoints(settings)
    run_sink(settings, endpoints.kafka, endpoints.schema_registry, ready_file)


def _cell(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _print_table(rows: list[dict[str, Any]], names: list[str]) -> None:
    cells = [[_cell(row[n]) for n in names] for row in rows]
    widths = [max([len(n)] + [len(c[i]) for c in cells]) for i, n in enumerate(names)]
    print("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in cells:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", file=sys.stderr)


def sql(
    query: Annotated[str, typer.Argument(help='One read-only statement, e.g. "SELECT count() FROM events FINAL".')],
    output: Annotated[str, typer.Option("--format", help="table, json (one object per line) or csv.")] = "table",
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value for a {name:Type} placeholder.")
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(
            help="Scope the query to one tenant's rows (a tenant's analyst); default: every tenant (operator)."
        ),
    ] = None,
) -> None:
    """Query the store read-only (DDL, DML, settings, file/URL table functions and secret system tables refused)."""
    from kefu.cli.readable_rows import readable_rows
    from schemas.json_codec import to_json
    from streams.store.client import StoreClient, StoreError, StoreUnavailable
    from streams.store.sqlguard import QueryRefused

    if output not in FORMATS:
        print(f"kefu sql: --format must be one of {', '.join(FORMATS)}", file=sys.stderr)
        raise typer.Exit(2)
    params = {}
    for item in param or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"kefu sql: --param {item!r} is not name=value", file=sys.stderr)
            raise typer.Exit(2)
        params[name] = value
    try:
        with StoreClient.connect() as store:
            table = store.query(query, params, tenant=tenant)
    except QueryRefused as refused:
        print(f"kefu sql: refused: {refused}", file=sys.stderr)
        raise typer.Exit(2) from None
    except (StoreError, StoreUnavailable) as error:
        print(f"kefu sql: {error}", file=sys.stderr)
        raise typer.Exit(1) from None
    if output == "csv":
        import pyarrow as pa
        import pyarrow.csv as pcsv

        buffer = __import__("io").BytesIO()
        try:
            pcsv.write_csv(table, buffer)
        except pa.ArrowInvalid as error:  # e.g. an Array or Map column: CSV has no place for it
            print(f"kefu sql: --format csv: {error}; use --format json", file=sys.stderr)
            raise typer.Exit(2) from None
        sys.stdout.write(buffer.getvalue().decode(errors="replace"))  # a cut character: U+FFFD, as below
        return
    rows = readable_rows(table)
    if output == "json":
        for row in rows:
            print(json.dumps(to_json(row), ensure_ascii=False, default=str))
        return
    _print_table(rows, table.column_names)


def export(
    table: Annotated[str, typer.Argument(help="A store table, e.g. events, bot_replies, feedback.")],
    since: Annotated[str, typer.Option(help="From this time: 2026-11-01, 2026-11-01T08:00Z, or 7d / 12h ago.")],
    out: Annotated[Path, typer.Option(help="Parquet file to write.")],
    until: Annotated[str | None, typer.Option(help="Up to (excluding) this time; default now.")] = None,
) -> None:
    """Export a table's deduplicated rows to Parquet (for retraining and offline analysis)."""
    from streams.store.client import StoreClient, StoreError, StoreUnavailable
    from streams.store.export import export_table, parse_since

    now_ms = int(time.time() * 1000)
    try:
        since_ms = parse_since(since, now_ms)
        until_ms = parse_since(until, now_ms) if until else now_ms + 1
        with StoreClient.connect() as store:
            started = time.perf_counter()
            rows = export_table(store, table, since_ms, until_ms, out)
    except ValueError as error:
        print(f"kefu export: {error}", file=sys.stderr)
        raise typer.Exit(2) from None
    except (StoreError, StoreUnavailable) as error:
        print(f"kefu export: {error}", file=sys.stderr)
        raise typer.Exit(1) from None
    print(
        json.dumps({"table": table, "rows": rows, "out": str(out), "seconds": round(time.perf_counter() - started, 3)})
    )


def register(app: typer.Typer) -> None:
    app.command()(sink)
    app.command()(sql)
    app.command()(export)
