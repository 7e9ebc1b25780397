"""Dialogue state: what the responder remembers of one conversation between messages.

The state is an immutable value; :func:`update_state` and :func:`record_reply` return a new one. It
round-trips through a JSON-compatible dict (:meth:`DialogueState.to_dict` / :meth:`DialogueState.from_dict`)
so the responder can keep it in any store that survives a restart. Every text in it is masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .lexicon import DEFAULT_LEXICON, Lexicon
from .slots import extract_slots
from .summary import summarize
from .topics import detect_topic

__all__ = ["STATE_VERSION", "DialogueState", "ReplyAction", "StateConfig", "Turn", "record_reply", "update_state"]

STATE_VERSION = 1
"""Version of the serialised form; :meth:`DialogueState.from_dict` refuses newer ones."""

ReplyAction = Literal["answer", "canned", "clarify", "handoff"]


@dataclass(frozen=True)
class StateConfig:
    """How much history the state keeps.

    Attributes
    ----------
    max_turns
        Turns (customer and bot) kept verbatim, newest last.
    max_emotions
        Customer emotions kept, newest last.
    summary_max_chars
        Upper bound on the rolling summary's length.
    """

    max_turns: int = 8
    max_emotions: int = 6
    summary_max_chars: int = 300


@dataclass(frozen=True)
class Turn:
    """One message of the conversation (masked text); ``ts`` in UTC milliseconds."""

    role: str
    text: str
    ts: int = 0


@dataclass(frozen=True)
class DialogueState:
    """Everything the responder carries from one message of a conversation to the next.

    Examples
    --------
    >>> state = DialogueState(conversation_id="c1", locale="zh-CN")
    >>> state = update_state(state, {"role": "customer", "text": "订单KF20250520123456的耳机坏了", "intent": None})
    >>> state.slots, state.topic, state.turn_count
    ({'order_id': 'KF20250520123456', 'product': '耳机', 'reason': 'quality'}, None, 1)
    >>> DialogueState.from_dict(state.to_dict()) == state
    True
    """

    conversation_id: str = ""
    tenant_id: str = ""
    locale: str = "zh-CN"
    slots: Mapping[str, str] = field(default_factory=dict)
    turns: tuple[Turn, ...] = ()
    summary: str = ""
    topic: str | None = None
    topics: tuple[str, ...] = ()
    intent: str | None = None
    emotions: tuple[str, ...] = ()
    clarifications: int = 0
    turn_count: int = 0
    last_query: str | None = None
    first_issue: str | None = None
    handed_off: bool = False
    agent_until: int = 0
    """Until when (ms) a human agent holds the conversation; see :mod:`processors.dialogue.agent_hold`."""

    @property
    def emotion(self) -> str | None:
        """The latest customer emotion, or ``None`` before the first tagged message."""
        return self.emotions[-1] if self.emotions else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict of the state (with a ``version`` key)."""
        return {
            "version": STATE_VERSION,
            "conversation_id": self.conversation_id,
            "tenant_id": self.tenant_id,
            "locale": self.locale,
            "slots": dict(self.slots),
            "turns": [{"role": t.role, "text": t.text, "ts": t.ts} for t in self.turns],
            "summary": self.summary,
            "topic": self.topic,
            "topics": list(self.topics),
            "intent": self.intent,
            "emotions": list(self.emotions),
            "clarifications": self.clarifications,
            "turn_count": self.turn_count,
            "last_query": self.last_query,
            "first_issue": self.first_issue,
            "handed_off": self.handed_off,
            "agent_until": self.agent_until,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DialogueState:
        """Rebuild a state from :meth:`to_dict` output; missing keys take their defaults.

        Raises ``ValueError`` for a version newer than :data:`STATE_VERSION` (written by newer code).
        """
        version = int(data.get("version", STATE_VERSION))
        if version > STATE_VERSION:
            raise ValueError(f"dialogue state version {version} is newer than {STATE_VERSION}")
        return cls(
            conversation_id=str(data.get("conversation_id", "")),
            tenant_id=str(data.get("tenant_id", "")),
            locale=str(data.get("locale", "zh-CN")),
            slots={str(k): str(v) for k, v in dict(data.get("slots", {})).items()},
            turns=tuple(Turn(str(t["role"]), str(t["text"]), int(t.get("ts", 0))) for t in data.get("turns", [])),
            summary=str(data.get("summary", "")),
            topic=data.get("topic"),
            topics=tuple(data.get("topics", ())),
            intent=data.get("intent"),
            emotions=tuple(data.get("emotions", ())),
            clarifications=int(data.get("clarifications", 0)),
            turn_count=int(data.get("turn_count", 0)),
            last_query=data.get("last_query"),
            first_issue=data.get("first_issue"),
            handed_off=bool(data.get("handed_off", False)),
            agent_until=int(data.get("agent_until", 0)),
        )


def _emotion_of(event: Mapping[str, Any]) -> str:
    sentiment = event.get("sentiment")
    if isinstance(sentiment, Mapping):
        return str(sentiment.get("emotion", "neutral"))
    return "neutral"


def update_state(
    state: DialogueState,
    event: Mapping[str, Any],
    *,
    standalone_query: str | None = None,
    config: StateConfig = StateConfig(),
    lexicon: Lexicon = DEFAULT_LEXICON,
) -> DialogueState:
    """The state after one event of the conversation.

    Parameters
    ----------
    state
        The state before the event.
    event
        An ``EnrichedEvent``-like dict: ``role``, masked ``text``, ``ts``, ``intent``, ``sentiment``
        (with ``emotion``) and ``pii_entities``. Only customer messages change slots, topic, intent and
        emotions; other roles are only recorded as turns.
    standalone_query
        The message rewritten as a standalone question (see :func:`processors.dialogue.condense_question`);
        kept as ``last_query`` so the next follow-up can be resolved against it.
    config, lexicon
        History bounds; word lists for slots and topics.

    Examples
    --------
    >>> s = update_state(DialogueState(), {"role": "customer", "text": "耳机能退货吗", "intent": "return_refund"})
    >>> s = update_state(s, {"role": "customer", "text": "订单号KF20250101000001", "sentiment": {"emotion": "angry"}})
    >>> s.slots["product"], s.slots["order_id"], s.topic, s.emotions
    ('耳机', 'KF20250101000001', 'returns', ('neutral', 'angry'))
    """
    role = str(event.get("role", "customer"))
    text = str(event.get("text", ""))
    turns = (*state.turns, Turn(role, text, int(event.get("ts", 0) or 0)))[-config.max_turns :]
    if role != "customer":
        return replace(state, turns=turns)
    intent = event.get("intent")
    slots = {**state.slots, **extract_slots(text, event.get("pii_entities") or (), lexicon=lexicon)}
    topic = detect_topic(text, intent if isinstance(intent, str) else None, lexicon=lexicon)
    topics = state.topics
    if topic is not None and (not topics or topics[-1] != topic):
        topics = (*[t for t in topics if t != topic], topic)
    first_issue = state.first_issue
    if first_issue is None and (topic is not None or len(slots) > len(state.slots)):
        first_issue = text
    updated = replace(
        state,
        slots=slots,
        turns=turns,
        topic=topic or state.topic,
        topics=topics,
        intent=intent if isinstance(intent, str) else state.intent,
        emotions=(*state.emotions, _emotion_of(event))[-config.max_emotions :],
        turn_count=state.turn_count + 1,
        last_query=standalone_query or text,
        first_issue=first_issue,
    )
    return replace(updated, summary=summarize(updated, max_chars=config.summary_max_chars))


def record_reply(
    state: DialogueState,
    text: str,
    *,
    action: ReplyAction,
    ts: int = 0,
    config: StateConfig = StateConfig(),
) -> DialogueState:
    """The state after the bot replied.

    A clarifying question adds one to the run of ``clarifications``; an answer from the knowledge base
    ends the run; canned replies (greetings, thanks) leave it as it is. A hand-off marks the state.

    Examples
    --------
    >>> s = record_reply(DialogueState(), "您想问退货还是退款？", action="clarify")
    >>> s.clarifications, record_reply(s, "好的[1]", action="answer").clarifications
    (1, 0)
    """
    clarifications = state.clarifications
    if action == "clarify":
        clarifications += 1
    elif action == "answer":
        clarifications = 0
    turns = (*state.turns, Turn("bot", text, ts))[-config.max_turns :]
    updated = replace(
        state, turns=turns, clarifications=clarifications, handed_off=state.handed_off or action == "handoff"
    )
    return replace(updated, summary=summarize(updated, max_chars=config.summary_max_chars))
