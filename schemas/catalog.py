"""The Avro contract: the schema files in ``schemas/avro`` and the topic each record type travels on.

The ``.avsc`` files are the source of truth for producers and analysts. Each is self-contained (shared enums
such as ``Channel`` are repeated verbatim; a test keeps the copies identical) so that a registry subject never
needs schema references.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import fastavro

NAMESPACE = "kefu.v1"

#: Record name -> topic it travels on (the subject is ``<topic>-value``, Confluent's TopicNameStrategy).
TOPIC_OF_RECORD: dict[str, str] = {
    "ConversationEvent": "conversations.inbound",
    "EnrichedEvent": "conversations.enriched",
    "BotReply": "conversations.replies",
    "ReplyDelta": "conversations.reply_deltas",
    "Handoff": "conversations.handoffs",
    "Feedback": "conversations.feedback",
    "KpiSnapshot": "kpi.snapshots",
    "RetrainTrigger": "models.retrain",
    "ModelPromoted": "models.promoted",
    "ModelVersion": "models.versions",
    "DeadLetter": "deadletter",
    "AgentPresence": "agents.presence",
}

RECORD_NAMES: tuple[str, ...] = tuple(TOPIC_OF_RECORD)


@dataclass(frozen=True)
class AvroSchema:
    """One record schema of the contract: its JSON text and its parsed (fastavro) form."""

    name: str
    text: str
    parsed: dict[str, Any]

    @property
    def full_name(self) -> str:
        return f"{NAMESPACE}.{self.name}"

    @property
    def topic(self) -> str:
        return TOPIC_OF_RECORD[self.name]

    @property
    def json(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.text)
        return loaded


def _read_text(relative: str) -> str:
    return resources.files("schemas").joinpath(relative).read_text(encoding="utf-8")


def parse_schema(text: str) -> dict[str, Any]:
    """Parse Avro schema JSON text with fastavro, keeping logical types."""
    parsed = fastavro.parse_schema(json.loads(text), _write_hint=False)
    if not isinstance(parsed, dict):
        raise ValueError("a record schema must be a JSON object")
    return parsed


@cache
def schema(name: str) -> AvroSchema:
    """The current schema of record ``name`` (e.g. ``"ConversationEvent"``)."""
    if name not in TOPIC_OF_RECORD:
        raise KeyError(f"unknown record {name!r}; known: {', '.join(RECORD_NAMES)}")
    text = _read_text(f"avro/{name}.avsc")
    return AvroSchema(name=name, text=text, parsed=parse_schema(text))


def released_versions() -> list[str]:
    """Released contract versions (folders under ``schemas/released``), oldest first."""
    root = resources.files("schemas").joinpath("released")
    return sorted((p.name for p in root.iterdir() if p.is_dir()), key=lambda v: int(v.lstrip("v")))


def released_schema_text(version: str, name: str) -> str | None:
    """The JSON text of ``name`` as released in ``version``, or None if it did not exist then."""
    path = resources.files("schemas").joinpath(f"released/{version}/{name}.avsc")
    return path.read_text(encoding="utf-8") if path.is_file() else None
