"""Web-chat widget messages -> ConversationEvent.

Examples
--------
>>> event = webchat_to_event({"conversation_id": "c1", "user_id": "u1", "text": "你好", "message_id": "m1",
...                           "ts": 1700000000000}, tenant_id="acme")
>>> event["event_id"], event["channel"], event["role"]
('web:m1', 'web', 'customer')
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from serving.channels.errors import ChannelError

REQUIRED = ("conversation_id", "user_id", "text")


def webchat_to_event(payload: Any, tenant_id: str) -> dict[str, Any]:
    """A widget message ``{conversation_id, user_id, text, message_id?, ts?, locale?, metadata?}``."""
    if not isinstance(payload, dict):
        raise ChannelError("web chat message must be a JSON object")
    for name in REQUIRED:
        if not isinstance(payload.get(name), str):
            raise ChannelError(f"{name}: required string is missing")
    message_id = payload.get("message_id")
    if message_id is not None and not isinstance(message_id, str):
        raise ChannelError("message_id: expected string")
    # A client-side message id makes retries from a flaky browser idempotent.
    event_id = f"web:{message_id}" if message_id else f"web:{uuid.uuid4()}"
    return {
        "event_id": event_id,
        "conversation_id": payload["conversation_id"],
        "tenant_id": tenant_id,
        "channel": "web",
        "user_id": payload["user_id"],
        "role": "customer",
        "text": payload["text"],
        "ts": payload.get("ts", int(time.time() * 1000)),
        "locale": payload.get("locale", "zh-CN"),
        "metadata": payload.get("metadata", {}),
    }
