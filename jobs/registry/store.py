"""Where the registry mirrors its versions and events besides its own files (ClickHouse, later)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from jobs.registry.card import ModelCard

__all__ = ["MODEL_VERSIONS_DDL", "InMemoryRegistryStore", "RegistryStore"]


class RegistryStore(Protocol):
    """A mirror of the file registry: told of every card written and every promotion or rollback.

    The files stay the source of truth; a mirror that fails is logged and skipped, never blocks a promotion.
    """

    def record_version(self, card: ModelCard) -> None: ...

    def record_event(self, event: Mapping[str, Any]) -> None: ...


class InMemoryRegistryStore:
    """A mirror that keeps what it was told in lists (tests, and the embedded mode's in-process readers)."""

    def __init__(self) -> None:
        self.versions: list[ModelCard] = []
        self.events: list[dict[str, Any]] = []

    def record_version(self, card: ModelCard) -> None:
        self.versions.append(card)

    def record_event(self, event: Mapping[str, Any]) -> None:
        self.events.append(dict(event))


MODEL_VERSIONS_DDL = """
CREATE TABLE IF NOT EXISTS model_versions
(
    model LowCardinality(String),
    version String,
    status LowCardinality(String),
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC'),
    parent_version Nullable(String),
    data_sha256 String,
    trigger_id Nullable(String),
    reason String,
    artifact_uri String,
    metrics Map(String, Float64)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (model, version)
"""
"""The ClickHouse table a ``RegistryStore`` would fill: one row per card write, the newest per version wins.

Promotions and rollbacks go to the existing ``model_events`` table (``ModelPromoted`` records)."""
