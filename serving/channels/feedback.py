"""``POST /v1/feedback`` bodies -> Feedback records: ratings from customers, corrected intents and polarities from
agents.

A web-chat key (public, in a customer's browser) may send customer feedback only; ``source: agent`` or
``analyst`` needs a full API key. The free-text comment is PII-masked here, and a customer's ``user_id`` that is
personal data becomes the same keyed pseudonym the enrichment stage gives it (``pseudonyms``), because Feedback
records go straight to ``conversations.feedback`` without passing that stage.

Examples
--------
>>> record = feedback_to_record({"conversation_id": "c1", "reply_id": "r-1", "thumbs": "up", "csat": 5},
...                             tenant="acme", agent_allowed=False, now_ms=1700000000000)
>>> record["source"], record["thumbs"], record["csat"], record["tenant_id"]
('customer', 'up', 5, 'acme')
>>> feedback_to_record({"conversation_id": "c1", "message_id": "web:m1", "corrected_intent": "refund",
...                     "source": "agent", "user_id": "agent-7"}, tenant="acme", agent_allowed=True,
...                    now_ms=1700000000000)["corrected_intent"]
'refund'
>>> polarity = {"conversation_id": "c1", "message_id": "web:m1", "corrected_polarity": "negative", "source": "agent"}
>>> feedback_to_record(polarity, tenant="acme", agent_allowed=True, now_ms=1700000000000)["corrected_polarity"]
'negative'
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from processors.pii import mask_pii
from serving.channels.errors import ChannelError

MAX_ID_CHARS = 200
MAX_COMMENT_CHARS = 2000
MAX_INTENT_CHARS = 100
SOURCES = ("customer", "agent", "analyst")
POLARITIES = ("negative", "neutral", "positive")
SIGNALS = ("csat", "thumbs", "resolved", "corrected_intent", "corrected_polarity", "comment")
CORRECTIONS = ("corrected_intent", "corrected_polarity")


class FeedbackForbidden(ChannelError):
    """The caller's key may not give this kind of feedback (a web-chat key acting as an agent)."""


def _optional_id(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_CHARS:
        raise ChannelError(f"{name}: expected a non-empty string of at most {MAX_ID_CHARS} characters")
    return value


def _signals(payload: dict[str, Any]) -> dict[str, Any]:
    csat, thumbs, resolved = payload.get("csat"), payload.get("thumbs"), payload.get("resolved")
    if csat is not None and (isinstance(csat, bool) or not isinstance(csat, int) or not 1 <= csat <= 5):
        raise ChannelError("csat: expected an integer from 1 to 5")
    if thumbs is not None and thumbs not in ("up", "down"):
        raise ChannelError("thumbs: expected 'up' or 'down'")
    if resolved is not None and not isinstance(resolved, bool):
        raise ChannelError("resolved: expected true or false")
    intent = payload.get("corrected_intent")
    if intent is not None and (not isinstance(intent, str) or not intent.strip() or len(intent) > MAX_INTENT_CHARS):
        raise ChannelError(f"corrected_intent: expected a label of at most {MAX_INTENT_CHARS} characters")
    polarity = payload.get("corrected_polarity")
    if polarity is not None and polarity not in POLARITIES:
        raise ChannelError(f"corrected_polarity: expected one of {', '.join(POLARITIES)}")
    comment = payload.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS):
        raise ChannelError(f"comment: expected a string of at most {MAX_COMMENT_CHARS} characters")
    return {
        "csat": csat,
        "thumbs": thumbs,
        "resolved": resolved,
        "corrected_intent": intent.strip() if intent else None,
        "corrected_polarity": polarity,
        "comment": mask_pii(comment).masked if comment else None,
    }


def feedback_to_record(
    payload: Any,
    *,
    tenant: str,
    agent_allowed: bool,
    now_ms: int,
    pseudonyms: Callable[[str, str], str] | None = None,
) -> dict[str, Any]:
    """A Feedback datum from a request body; ``tenant`` is the key's (``'*'``: the body's ``tenant_id``).

    ``pseudonyms(tenant, user_id)`` replaces a customer's id (the API passes
    :class:`processors.pii.IdentifierPseudonymizer`); None leaves it as given.
    """
    if not isinstance(payload, dict):
        raise ChannelError("feedback must be a JSON object")
    conversation_id = _optional_id(payload, "conversation_id")
    if conversation_id is None:
        raise ChannelError("conversation_id: required string is missing")
    source = payload.get("source", "customer")
    if source not in SOURCES:
        raise ChannelError(f"source: expected one of {', '.join(SOURCES)}")
    if source != "customer" and not agent_allowed:
        raise FeedbackForbidden(f"a web-chat key may send customer feedback only, not source {source!r}")
    if tenant == "*":
        tenant = _optional_id(payload, "tenant_id") or ""
        if not tenant:
            raise ChannelError("tenant_id: required with an operator key")
    signals = _signals(payload)
    if all(signals[name] is None for name in SIGNALS):
        raise ChannelError(f"no feedback given: send at least one of {', '.join(SIGNALS)}")
    message_id, reply_id = _optional_id(payload, "message_id"), _optional_id(payload, "reply_id")
    for correction in (name for name in CORRECTIONS if signals[name] is not None):
        if source == "customer":
            raise ChannelError(f"{correction}: only agents and analysts correct a message (source agent|analyst)")
        if message_id is None:
            raise ChannelError(f"message_id: required with {correction} (the customer message corrected)")
    user_id = _optional_id(payload, "user_id") or f"{source}:{conversation_id}"
    if source == "customer" and pseudonyms is not None:
        user_id = pseudonyms(tenant, user_id)
    # A client-side feedback id makes a retried click idempotent; it is scoped to the tenant.
    client_id = _optional_id(payload, "feedback_id")
    event_id = (
        "fb-" + hashlib.sha256(f"{tenant}\x00{client_id}".encode()).hexdigest()[:32]
        if client_id
        else f"fb-{uuid.uuid4()}"
    )
    return {
        "event_id": event_id,
        "conversation_id": conversation_id,
        "tenant_id": tenant,
        "reply_id": reply_id,
        "message_id": message_id,
        "user_id": user_id,
        "source": source,
        **signals,
        "ts": now_ms,
    }
