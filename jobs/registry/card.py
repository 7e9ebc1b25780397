"""A model version's card: what it is, how good it was, where it came from and what became of it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

__all__ = ["CARD_FILE", "ModelCard", "VersionStatus"]

CARD_FILE = "card.json"

VersionStatus = Literal["candidate", "promoted", "rejected", "rolled_back"]
"""``candidate``: registered, not decided; ``promoted``: was made active; ``rejected``: evaluated and not
promoted (the reason says why); ``rolled_back``: was active until a rollback moved away from it."""


@dataclass(frozen=True, slots=True)
class ModelCard:
    """The ``card.json`` beside a version's model files.

    >>> card = ModelCard("intent", "v2", "candidate", "2026-11-21T08:00:00+00:00", {"macro_f1": 0.8},
    ...                  parent_version="v1", data_sha256="ab", trigger_id="drift-1")
    >>> ModelCard.from_dict(card.to_dict()) == card
    True
    >>> card.number
    2
    """

    model: str
    version: str
    status: VersionStatus
    created_at: str
    metrics: dict[str, float] = field(default_factory=dict)
    parent_version: str | None = None
    data_sha256: str = ""
    trigger_id: str | None = None
    reason: str = ""
    artifact_uri: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def number(self) -> int:
        """The version's sequence number (``v12`` -> 12)."""
        return int(self.version.removeprefix("v"))

    def with_status(self, status: VersionStatus, reason: str | None = None) -> ModelCard:
        """A copy with a new status (and reason, when given)."""
        return replace(self, status=status, reason=self.reason if reason is None else reason)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["status"] = cast(VersionStatus, known["status"])
        return cls(**known)

    @classmethod
    def read(cls, directory: Path) -> ModelCard:
        return cls.from_dict(json.loads((directory / CARD_FILE).read_text(encoding="utf-8")))
