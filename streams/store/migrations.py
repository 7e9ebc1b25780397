"""Versioned schema migrations, applied at start-up and recorded in ``schema_migrations``.

Migrations are the SQL files ``streams/store/ddl/NNNN_name.sql``, applied in version order, each once.
Every statement in them is idempotent (``IF NOT EXISTS``), so two sinks starting together in production, or a
crash half-way through a file, are harmless: the next start re-runs the file and records it. An applied
migration must never be edited (its checksum is recorded and checked); change the schema with a new file.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources

from clickhouse_connect.driver.client import Client

from streams.store.sqlguard import split_statements

log = logging.getLogger(__name__)

MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY version
"""
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """The store's schema history does not match the migration files."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def statements(self) -> list[str]:
        return split_statements(self.sql)


def available_migrations() -> list[Migration]:
    """The migration files shipped with the package, oldest first."""
    folder = resources.files("streams.store").joinpath("ddl")
    found = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version: {versions}")
    return found


def applied_migrations(client: Client) -> dict[int, str]:
    """version -> checksum of the migrations recorded in the store."""
    client.command(MIGRATIONS_TABLE)
    rows = client.query("SELECT version, checksum FROM schema_migrations FINAL").result_rows
    return {int(version): str(checksum) for version, checksum in rows}


def apply_migrations(client: Client, migrations: list[Migration] | None = None) -> list[int]:
    """Apply the migrations not yet recorded; returns the versions applied now."""
    pending = available_migrations() if migrations is None else migrations
    applied = applied_migrations(client)
    done: list[int] = []
    for migration in pending:
        recorded = applied.get(migration.version)
        if recorded is not None:
            if recorded != migration.checksum:
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name} was edited after it was applied; "
                    "restore it and put the change in a new migration file"
                )
            continue
        for statement in migration.statements:
            client.command(statement)
        client.insert(
            "schema_migrations",
            [[migration.version, migration.name, migration.checksum]],
            column_names=["version", "name", "checksum"],
        )
        log.info("applied store migration %04d_%s", migration.version, migration.name)
        done.append(migration.version)
    return done
