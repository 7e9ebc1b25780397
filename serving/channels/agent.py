"""An agent's reply through ``POST /v1/conversations/{id}/agent-replies`` -> a ConversationEvent (role agent).

It goes to ``conversations.inbound`` like any message, so it is masked, stored and delivered from the stream;
the responder answers customer messages only. An agent's message holds the conversation for the agent (the bot
stays silent); ``"release": true`` marks the agent's last message, which gives the conversation back to the bot.

Examples
--------
>>> event = agent_reply_to_event({"text": "您好，我是客服小王", "agent_id": "a7", "message_id": "m1"},
...                              conversation_id="c1", tenant="acme", channel="web", now_ms=1700000000000)
>>> event["event_id"], event["role"], event["user_id"], event["channel"]
('agent:acme:m1', 'agent', 'a7', 'web')
>>> agent_reply_to_event({"text": "再见", "agent_id": "a7", "release": True}, conversation_id="c1",
...                      tenant="acme", channel="web", now_ms=0)["metadata"]
{'source': 'agent_api', 'action': 'release'}
"""

from __future__ import annotations

import uuid
from typing import Any

from processors.dialogue.agent_hold import RELEASE
from serving.channels.errors import ChannelError

MAX_ID_CHARS = 200


def agent_reply_to_event(
    payload: Any, *, conversation_id: str, tenant: str, channel: str, now_ms: int
) -> dict[str, Any]:
    """``{text, agent_id, message_id?, locale?, release?}``; a client ``message_id`` makes retries idempotent."""
    if not isinstance(payload, dict):
        raise ChannelError("agent reply must be a JSON object")
    text, agent_id = payload.get("text"), payload.get("agent_id")
    if not isinstance(text, str):  # blank text is refused with the other text limits (processors.validation)
        raise ChannelError("text: required string")
    if not isinstance(agent_id, str) or not agent_id.strip() or len(agent_id) > MAX_ID_CHARS:
        raise ChannelError("agent_id: required string (who answers)")
    message_id = payload.get("message_id")
    if message_id is not None and (not isinstance(message_id, str) or not message_id or len(message_id) > MAX_ID_CHARS):
        raise ChannelError("message_id: expected a non-empty string")
    release = payload.get("release", False)
    if not isinstance(release, bool):
        raise ChannelError("release: expected true or false")
    locale = payload.get("locale") or ("en" if text.isascii() else "zh-CN")
    return {
        "event_id": f"agent:{tenant}:{message_id}" if message_id else f"agent:{uuid.uuid4()}",
        "conversation_id": conversation_id,
        "tenant_id": tenant,
        "channel": channel,
        "user_id": agent_id,
        "role": "agent",
        "text": text,
        "ts": now_ms,
        "locale": str(locale),
        "metadata": {"source": "agent_api", **({"action": RELEASE} if release else {})},
    }
