"""The registry's state: schemas by id, subjects with versions, compatibility levels; one JSON file on disk.

Like Confluent Schema Registry, a schema text (canonicalised) has one global id however many subjects use it,
and registering an already registered schema under a subject returns the existing id and version.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastavro

from schemas.compatibility import LEVELS, incompatibilities

DEFAULT_LEVEL = "BACKWARD"


class NotFound(LookupError):
    """Subject, version or schema does not exist; ``code`` is Confluent's error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class InvalidSchema(ValueError):
    """The schema text is not valid Avro JSON."""


class InvalidRequest(ValueError):
    """A malformed request parameter; ``code`` is Confluent's error code (42202 version, 42203 level)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class IncompatibleSchema(ValueError):
    """The schema breaks the subject's compatibility level."""


def canonical(text: str) -> str:
    """Canonical text for identity: parsed JSON, keys sorted, no whitespace."""
    try:
        return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except json.JSONDecodeError as error:
        raise InvalidSchema(f"schema is not JSON: {error}") from None


@dataclass
class _Version:
    version: int
    schema_id: int
    deleted: bool = False


@dataclass
class _State:
    schemas: dict[int, str] = field(default_factory=dict)
    subjects: dict[str, list[_Version]] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)  # "" = global


class SchemaStore:
    """Thread-safe registry state; ``path=None`` keeps it in memory."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._state = self._load()
        self._ids = {canonical(text): sid for sid, text in self._state.schemas.items()}

    # -- persistence ---------------------------------------------------------------------------------------
    def _load(self) -> _State:
        if self.path is None or not self.path.exists():
            return _State()
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        return _State(
            schemas={int(k): v for k, v in raw["schemas"].items()},
            subjects={s: [_Version(**v) for v in vs] for s, vs in raw["subjects"].items()},
            config=raw.get("config", {}),
        )

    def _save(self) -> None:
        if self.path is None:
            return
        raw = {
            "schemas": self._state.schemas,
            "subjects": {s: [v.__dict__ for v in vs] for s, vs in self._state.subjects.items()},
            "config": self._state.config,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(raw, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)  # atomic: a crash never leaves a half-written registry

    # -- reads ---------------------------------------------------------------------------------------------
    def subjects(self, include_deleted: bool = False) -> list[str]:
        with self._lock:
            return sorted(s for s, vs in self._state.subjects.items() if include_deleted or self._live(vs))

    def versions(self, subject: str) -> list[int]:
        return [v.version for v in self._live(self._subject(subject))]

    def schema_text(self, schema_id: int) -> str:
        with self._lock:
            if schema_id not in self._state.schemas:
                raise NotFound(40403, f"Schema {schema_id} not found")
            return self._state.schemas[schema_id]

    def version(self, subject: str, version: str | int) -> tuple[int, int, str]:
        """(version, id, schema text) of a subject's version number or ``"latest"``."""
        live = self._live(self._subject(subject))
        if not live:
            raise NotFound(40401, f"Subject '{subject}' not found.")
        if str(version) in ("latest", "-1"):
            chosen = live[-1]
        else:
            if not str(version).isdigit():
                raise InvalidRequest(42202, f"The specified version '{version}' is not a valid version id.")
            match = [v for v in live if v.version == int(version)]
            if not match:
                raise NotFound(40402, f"Version {version} not found.")
            chosen = match[0]
        return chosen.version, chosen.schema_id, self._state.schemas[chosen.schema_id]

    def lookup(self, subject: str, text: str) -> tuple[int, int]:
        """(version, id) of ``text`` under ``subject``."""
        key = canonical(text)
        live = self._live(self._subject(subject))
        sid = self._ids.get(key)
        for v in live:
            if v.schema_id == sid:
                return v.version, v.schema_id
        raise NotFound(40403, "Schema not found")

    def subjects_of(self, schema_id: int) -> list[tuple[str, int]]:
        self.schema_text(schema_id)
        with self._lock:
            return [
                (s, v.version)
                for s, vs in sorted(self._state.subjects.items())
                for v in vs
                if v.schema_id == schema_id and not v.deleted
            ]

    def level(self, subject: str | None = None) -> str:
        with self._lock:
            if subject is not None and subject in self._state.config:
                return self._state.config[subject]
            return self._state.config.get("", DEFAULT_LEVEL)

    # -- writes --------------------------------------------------------------------------------------------
    def register(self, subject: str, text: str) -> tuple[int, int]:
        """Register ``text`` under ``subject``; returns (version, id). Idempotent."""
        key = canonical(text)
        parsed = json.loads(key)
        try:
            fastavro.parse_schema(parsed, _write_hint=False)
        except Exception as error:  # fastavro raises SchemaParseException, KeyError, ... on bad schemas
            raise InvalidSchema(f"invalid Avro schema: {error}") from None
        with self._lock:
            try:
                return self.lookup(subject, text)
            except NotFound:
                pass
            previous = [json.loads(self._state.schemas[v.schema_id]) for v in self._live_of(subject)]
            errors = incompatibilities(self.level(subject), parsed, previous)
            if errors:
                raise IncompatibleSchema("; ".join(errors[:5]))
            sid = self._ids.get(key)
            if sid is None:
                sid = max(self._state.schemas, default=0) + 1
                self._state.schemas[sid] = text
                self._ids[key] = sid
            versions = self._state.subjects.setdefault(subject, [])
            number = max((v.version for v in versions), default=0) + 1
            versions.append(_Version(number, sid))
            self._save()
            return number, sid

    def check(self, subject: str, text: str, version: str | int = "latest") -> list[str]:
        """Incompatibilities of ``text`` with one version (or, for transitive levels, all)."""
        parsed = json.loads(canonical(text))
        live = self._live_of(subject)
        level = self.level(subject)
        if level.endswith("_TRANSITIVE") or not live:
            previous = [json.loads(self._state.schemas[v.schema_id]) for v in live]
        else:
            _, _, old = self.version(subject, version)
            previous = [json.loads(old)]
        return incompatibilities(level, parsed, previous)

    def set_level(self, level: str, subject: str | None = None) -> str:
        level = level.upper()
        if level not in LEVELS:
            raise InvalidRequest(42203, f"Invalid compatibility level {level!r}; expected one of {', '.join(LEVELS)}")
        with self._lock:
            self._state.config[subject or ""] = level
            self._save()
        return level

    def delete_subject(self, subject: str, permanent: bool = False) -> list[int]:
        with self._lock:
            versions = self._subject(subject)
            removed = [v.version for v in versions if permanent or not v.deleted]
            if permanent:
                del self._state.subjects[subject]
            else:
                for v in versions:
                    v.deleted = True
            self._save()
            return removed

    # -- helpers -------------------------------------------------------------------------------------------
    def _subject(self, subject: str) -> list[_Version]:
        with self._lock:
            if subject not in self._state.subjects:
                raise NotFound(40401, f"Subject '{subject}' not found.")
            return self._state.subjects[subject]

    def _live_of(self, subject: str) -> list[_Version]:
        with self._lock:
            return self._live(self._state.subjects.get(subject, []))

    @staticmethod
    def _live(versions: list[_Version]) -> list[_Version]:
        return [v for v in versions if not v.deleted]

    def as_dict(self) -> dict[str, Any]:
        """A snapshot for debugging and tests."""
        with self._lock:
            return {
                "subjects": {s: self.versions(s) for s in self.subjects()},
                "ids": sorted(self._state.schemas),
            }
