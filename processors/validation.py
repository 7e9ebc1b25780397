"""Checks on a decoded ConversationEvent that the Avro schema cannot express.

Examples
--------
>>> event = {"event_id": "e1", "conversation_id": "c1", "tenant_id": "acme", "text": "hi", "ts": 1}
>>> validate_event(event, max_text_chars=100) is None
True
>>> validate_event({**event, "event_id": " "}, max_text_chars=100)
Traceback (most recent call last):
...
processors.validation.InvalidEvent: invalid_field: event_id is empty
>>> validate_event({**event, "tenant_id": "*"}, max_text_chars=100)
Traceback (most recent call last):
...
processors.validation.InvalidEvent: invalid_field: tenant_id '*' is not a tenant: name the tenant the event belongs to
>>> validate_event({**event, "role": "customer", "text": " "}, max_text_chars=100)
Traceback (most recent call last):
...
processors.validation.InvalidEvent: empty_text: text is empty or whitespace only; only system events may have no text
>>> validate_event({**event, "role": "system", "text": ""}, max_text_chars=100) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_ID_CHARS = 256
MAX_METADATA_ENTRIES = 64
MAX_METADATA_VALUE_CHARS = 4096
#: The only role whose text may be empty: the contract's "Empty for pure system events".
TEXTLESS_ROLES = frozenset({"system"})
#: Characters that show nothing but are not ``str.isspace()``: zero-width space/joiners, word joiner, BOM.
INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff"
_DROP_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE_CHARS))


class InvalidEvent(ValueError):
    """An event that decodes but must not be processed; ``error_class`` goes on the dead letter."""

    def __init__(self, error_class: str, reason: str) -> None:
        super().__init__(f"{error_class}: {reason}")
        self.error_class = error_class
        self.reason = reason


def is_blank_text(text: str) -> bool:
    """Whether ``text`` shows nothing: empty, Unicode whitespace (U+3000 too) or zero-width characters only.

    >>> is_blank_text(""), is_blank_text(" \\u3000\\n"), is_blank_text("\\u200b \\ufeff"), is_blank_text(" 好 ")
    (True, True, True, False)
    """
    stripped = text.strip()
    if not stripped or stripped[0] not in INVISIBLE_CHARS:
        return not stripped
    return not stripped.translate(_DROP_INVISIBLE).strip()


def validate_event(
    event: Mapping[str, Any],
    *,
    max_text_chars: int,
    known_tenants: frozenset[str] | None = None,
) -> None:
    """Raise InvalidEvent when ``event`` breaks a rule; return None when it is fine."""
    for name in ("event_id", "conversation_id", "tenant_id"):
        value = event.get(name, "")
        if not value.strip():
            raise InvalidEvent("invalid_field", f"{name} is empty")
        if len(value) > MAX_ID_CHARS:
            raise InvalidEvent("invalid_field", f"{name} is longer than {MAX_ID_CHARS} characters")
    if event["tenant_id"] == "*":  # the operator keys' wildcard ("any tenant") is never an event's tenant
        raise InvalidEvent("invalid_field", "tenant_id '*' is not a tenant: name the tenant the event belongs to")
    if known_tenants is not None and event["tenant_id"] not in known_tenants:
        raise InvalidEvent("unknown_tenant", f"tenant {event['tenant_id']!r} is not configured")
    text = event.get("text", "")
    if len(text) > max_text_chars:
        raise InvalidEvent("oversized", f"text has {len(text)} characters; the limit is {max_text_chars}")
    role = event.get("role", "system")  # the schema's default
    if role not in TEXTLESS_ROLES and is_blank_text(text):
        raise InvalidEvent("empty_text", "text is empty or whitespace only; only system events may have no text")
    if event.get("ts", 0) < 0:
        raise InvalidEvent("invalid_field", "ts is before 1970")
    metadata = event.get("metadata") or {}
    if len(metadata) > MAX_METADATA_ENTRIES:
        raise InvalidEvent("oversized", f"metadata has {len(metadata)} entries; the limit is {MAX_METADATA_ENTRIES}")
    for key, value in metadata.items():
        if len(value) > MAX_METADATA_VALUE_CHARS:
            raise InvalidEvent("oversized", f"metadata.{key} is longer than {MAX_METADATA_VALUE_CHARS} characters")
