"""Who has a conversation: the bot, or a human agent after a hand-off.

When the bot hands a conversation off, a human agent holds it for ``hold_ms`` (``KEFU_AGENT_HOLD_S``), renewed by
every agent message. While it is held the bot answers nothing: the customer's messages are recorded for the agent
and the responder sends a silent reply (empty text, model profile ``agent``) so that channels stop waiting. The agent
gives the conversation back with a release message (``"release": true`` on
``POST /v1/conversations/{id}/agent-replies``), or the hold lapses.

Examples
--------
>>> state = hold_for_agent(DialogueState(conversation_id="c1"), ts=1_000, hold_ms=60_000)
>>> held_by_agent(state, ts=30_000), held_by_agent(state, ts=61_000)
(True, False)
>>> state = after_agent_message(state, {"role": "agent", "text": "您好", "ts": 50_000}, hold_ms=60_000)
>>> held_by_agent(state, ts=100_000), state.turns[-1].role
(True, 'agent')
>>> released = after_agent_message(state, {"role": "agent", "text": "再见", "ts": 60_000,
...                                         "metadata": {"action": RELEASE}}, hold_ms=60_000)
>>> held_by_agent(released, ts=60_001), released.handed_off
(False, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from processors.dialogue.state import DialogueState, StateConfig, update_state

__all__ = [
    "AGENT_PROFILE",
    "RELEASE",
    "after_agent_message",
    "held_by_agent",
    "hold_for_agent",
    "is_release",
    "is_silent_reply",
]

#: ``metadata.action`` of an agent message that gives the conversation back to the bot.
RELEASE = "release"
#: ``BotReply.model_profile`` of the silent reply sent while an agent holds the conversation.
AGENT_PROFILE = "agent"


def held_by_agent(state: DialogueState, ts: int) -> bool:
    """Whether a human agent holds the conversation at ``ts`` (ms)."""
    return state.agent_until > ts


def hold_for_agent(state: DialogueState, ts: int, hold_ms: int) -> DialogueState:
    """The state after a hand-off at ``ts``: held by an agent until ``ts + hold_ms`` (0 = never held)."""
    if hold_ms <= 0:
        return state
    return replace(state, handed_off=True, agent_until=max(state.agent_until, ts + hold_ms))


def is_silent_reply(reply: Mapping[str, Any]) -> bool:
    """A reply sent while a human agent holds the conversation (a BotReply, or the chat API's ``kefu`` fields): it
    tells channels to stop waiting; the bot said nothing, so it is neither stored nor counted as a bot reply.

    >>> is_silent_reply({"model_profile": AGENT_PROFILE, "text": ""}), is_silent_reply({"model_profile": "fast"})
    (True, False)
    """
    return reply.get("model_profile") == AGENT_PROFILE


def is_release(event: Mapping[str, Any]) -> bool:
    metadata = event.get("metadata") or {}
    return isinstance(metadata, Mapping) and metadata.get("action") == RELEASE


def after_agent_message(
    state: DialogueState, event: Mapping[str, Any], *, hold_ms: int, config: StateConfig | None = None
) -> DialogueState:
    """The state after a human agent's message: recorded as a turn; it renews the hold, or ends it (release)."""
    updated = update_state(state, event, config=config or StateConfig())
    if is_release(event):
        return replace(updated, agent_until=0, handed_off=False)
    return hold_for_agent(updated, int(event.get("ts", 0) or 0), hold_ms)
