"""One customer message in, one reply (and maybe a hand-off) out: the pure processors around model calls.

The order is the one the dialogue evaluation scores (``processors/dialogue/evaluation.py``): moderation ->
condensation -> dialogue state -> triage (no retrieval needed?) -> retrieval -> decision -> grounded
generation, checked and moderated -> state saved. Every failure of a model ends in an extractive answer or a
hand-off with a reason: the customer never gets silence.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from processors.dialogue import DialogueState, condense_question, record_reply, retrieval_query, update_state
from processors.moderation import moderate_input, moderate_output, screen_passages
from processors.responder import (
    DEFAULT_POLICY,
    Decision,
    HandoffReason,
    MessageSignals,
    PolicyConfig,
    RetryPolicy,
    RoutingConfig,
    acall_with_retries,
    after_generation,
    build_messages,
    check_grounded,
    choose_profile,
    decide,
    extractive_answer,
    handoff_notice,
    tone_prefix,
    triage,
    trim_to_limit,
)
from serving.protocols import ChatMessage, Passage
from streams.responder.records import bot_reply, handoff_record
from streams.responder.state_store import DialogueStore

log = logging.getLogger(__name__)


class Retrieved(Protocol):
    @property
    def passages(self) -> Sequence[Passage]: ...

    @property
    def confidence(self) -> float: ...


Retrieve = Callable[[str, str, int], Awaitable[Retrieved]]
"""``(query, tenant, k) -> passages with a calibrated confidence``."""
Generate = Callable[[Sequence[ChatMessage], str], Awaitable[str]]
"""``(messages, profile) -> answer``; raises when the model is unavailable."""


@dataclass(frozen=True)
class Outcome:
    reply: dict[str, Any]
    handoff: dict[str, Any] | None
    state: DialogueState


@dataclass
class Responder:
    retrieve: Retrieve
    generate: Generate
    store: DialogueStore
    policy: PolicyConfig = DEFAULT_POLICY
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    tenant_tier: Callable[[str], str] = lambda _tenant: "standard"
    load: Callable[[], float] = lambda: 0.0
    variant: Callable[[dict[str, Any]], str | None] = lambda _event: None
    max_chars: int = 200
    k: int = 5

    async def respond(self, event: dict[str, Any]) -> Outcome:
        """Answer one enriched customer message."""
        started = time.monotonic()
        state = self.store.load(event["conversation_id"], tenant_id=event["tenant_id"], locale=event["locale"])
        moderation = moderate_input(event["text"])
        query = condense_question(moderation.text, state) if moderation.text else ""
        state = update_state(state, event, standalone_query=query or None)
        signals = MessageSignals.from_event(event, text=moderation.text)
        decision = triage(state, signals, moderation=moderation, config=self.policy)
        passages: Sequence[Passage] = ()
        confidence = 0.0
        profile = "canned"
        if decision is None:
            try:
                found = await self.retrieve(retrieval_query(query), event["tenant_id"], self.k)
                passages, confidence = screen_passages(list(found.passages)), float(found.confidence)
            except Exception as error:  # a dead KB or embedder must not silence the bot
                log.warning("retrieval failed for %s: %r", event["event_id"], error)
                decision = self._handoff(HandoffReason.MODEL_UNAVAILABLE, "retrieval failed", state)
            else:
                decision = decide(state, signals, confidence, moderation=moderation, config=self.policy)
        text = decision.reply
        if decision.action == "answer":
            decision, text, profile = await self._answer(event, state, query, passages, confidence)
        elif decision.action == "handoff":
            profile = "handoff"
        state = record_reply(state, text, action=decision.action)
        self.store.save(state)
        now = int(time.time() * 1000)
        latency_ms = int((time.monotonic() - started) * 1000)
        cited = passages if decision.action == "answer" else ()
        reply = bot_reply(
            event,
            text=text,
            decision=decision,
            passages=cited,
            confidence=confidence,
            latency_ms=latency_ms,
            model_profile=profile,
            variant=self.variant(event),
            ts=now,
        )
        handoff = handoff_record(event, state, decision, now) if decision.action == "handoff" else None
        return Outcome(reply, handoff, state)

    async def _answer(
        self, event: dict[str, Any], state: DialogueState, query: str, passages: Sequence[Passage], confidence: float
    ) -> tuple[Decision, str, str]:
        """Generate, check grounding, moderate; fall back to extractive or hand off."""
        profile: str = choose_profile(self.tenant_tier(event["tenant_id"]), state.intent, self.load(), self.routing)
        messages = build_messages(
            query, passages, state=state, locale=state.locale, emotion=state.emotion, max_chars=self.max_chars
        )
        try:
            body = await acall_with_retries(lambda: self.generate(messages, profile), self.retry, sleep=asyncio.sleep)
            grounding = check_grounded(body, passages)
            follow = after_generation(grounding.supported, confidence, locale=state.locale, config=self.policy)
        except Exception as error:
            log.warning("generation failed for %s: %r", event["event_id"], error)
            if confidence < self.policy.extractive_threshold:
                decision = self._handoff(HandoffReason.MODEL_UNAVAILABLE, "generator unavailable", state)
                return decision, decision.reply, "handoff"
            follow, body = Decision("answer", detail="extractive"), ""
        if follow.action == "handoff":
            return follow, follow.reply, "handoff"
        if follow.detail == "extractive":
            body, profile = extractive_answer(query, passages, max_chars=self.max_chars), "extractive"
        placeholders = [p["placeholder"] for p in event.get("pii_entities", [])]
        checked = moderate_output(
            body, passages=passages, system_prompt=messages[0].content, allowed_placeholders=placeholders
        )
        if checked.action == "block":
            decision = self._handoff(HandoffReason.MODERATION, "answer blocked by output moderation", state)
            return decision, decision.reply, "handoff"
        text = tone_prefix(state.emotion, state.locale) + trim_to_limit(checked.text, self.max_chars)
        return Decision("answer", detail=follow.detail), text, profile

    def _handoff(self, reason: HandoffReason, detail: str, state: DialogueState) -> Decision:
        return Decision(
            "handoff",
            reply=handoff_notice(reason, state.locale),
            reason=reason,
            detail=detail,
            priority=self.policy.default_priority,
        )
