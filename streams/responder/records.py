"""The Avro datums the responder emits: BotReply and Handoff."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from processors.dialogue import DialogueState
from processors.responder import Decision
from serving.protocols import Passage, TokenUsage


def reply_id(in_reply_to: str) -> str:
    """Deterministic id: a replayed customer message yields the same reply id (idempotent sinks)."""
    return "r-" + hashlib.sha256(in_reply_to.encode()).hexdigest()[:24]


def bot_reply(
    event: Mapping[str, Any],
    *,
    text: str,
    decision: Decision,
    passages: Sequence[Passage],
    confidence: float,
    latency_ms: int,
    model_profile: str,
    variant: str | None,
    ts: int,
    usage: TokenUsage | None = None,
) -> dict[str, Any]:
    """``usage``: the generator's tokens for this reply (None: no model wrote or was asked for it)."""
    handoff = None
    if decision.action == "handoff" and decision.reason is not None:
        handoff = {"reason": decision.reason.value, "detail": decision.detail}
    return {
        "event_id": reply_id(str(event["event_id"])),
        "in_reply_to": event["event_id"],
        "conversation_id": event["conversation_id"],
        "tenant_id": event["tenant_id"],
        "channel": event["channel"],
        "text": text,
        "citations": [
            {"source": p.source, "chunk_id": p.chunk_id, "title": p.title, "score": float(p.score)} for p in passages
        ],
        "confidence": float(confidence),
        "latency_ms": int(latency_ms),
        "model_profile": model_profile,
        "handoff": handoff,
        "variant": variant,
        "prompt_tokens": usage.prompt_tokens if usage is not None else None,
        "completion_tokens": usage.completion_tokens if usage is not None else None,
        "ts": ts,
    }


def handoff_record(event: Mapping[str, Any], state: DialogueState, decision: Decision, ts: int) -> dict[str, Any]:
    """Everything a human agent needs; the transcript is the masked turns kept in the state."""
    assert decision.reason is not None
    return {
        "event_id": "h-" + hashlib.sha256(str(event["event_id"]).encode()).hexdigest()[:24],
        "conversation_id": event["conversation_id"],
        "tenant_id": event["tenant_id"],
        "channel": event["channel"],
        "reason": decision.reason.value,
        "detail": decision.detail,
        "summary": state.summary,
        "slots": dict(state.slots),
        "intent": state.intent,
        "emotion": state.emotion,
        "priority": decision.priority,
        "transcript": [{"role": t.role, "text": t.text, "ts": int(t.ts)} for t in state.turns],
        "ts": ts,
    }
