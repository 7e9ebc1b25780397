"""Where the registry mirrors its versions and events besides its own files (ClickHouse through Kafka)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from jobs.registry.card import ModelCard

__all__ = ["InMemoryRegistryStore", "RegistryStore", "version_record"]


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


def version_record(card: ModelCard, ts_ms: int) -> dict[str, Any]:
    """The ``ModelVersion`` datum (schemas/avro/ModelVersion.avsc) of a card as written at ``ts_ms``.

    The store's ``model_versions`` table (migration 0003) keeps the newest per model and version.

    >>> card = ModelCard("intent", "v2", "rejected", "2026-11-21T08:00:00+00:00", {"held_out_macro_f1": 0.5},
    ...                  parent_version="v1", trigger_id="drift-1", reason="below the margin",
    ...                  details={"current_metrics": {"macro_f1": 0.6}})
    >>> record = version_record(card, 1_795_000_000_000)
    >>> record["status"], record["created_at"], record["current_metrics"], record["event_id"][:6]
    ('rejected', 1795248000000, {'macro_f1': 0.6}, 'mv-f47')
    """
    created = datetime.fromisoformat(card.created_at)
    created = created if created.tzinfo else created.replace(tzinfo=UTC)
    key = "\x1f".join([card.model, card.version, card.status, str(ts_ms)])
    current = card.details.get("current_metrics") or {}
    return {
        "event_id": "mv-" + hashlib.sha256(key.encode()).hexdigest()[:24],
        "model": card.model,
        "version": card.version,
        "status": card.status,
        "reason": card.reason,
        "created_at": int(created.timestamp() * 1000),
        "parent_version": card.parent_version,
        "trigger_id": card.trigger_id,
        "data_sha256": card.data_sha256,
        "artifact_uri": card.artifact_uri,
        "metrics": {name: float(value) for name, value in card.metrics.items()},
        "current_metrics": {name: float(value) for name, value in current.items()},
        "ts": ts_ms,
    }
