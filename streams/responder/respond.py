"""One customer message in, one reply (and maybe a hand-off) out: the pure processors around model calls.

The order is the one the dialogue evaluation scores (``processors/dialogue/evaluation.py``): moderation ->
condensation -> dialogue state -> triage (no retrieval needed?) -> retrieval -> decision -> grounded
generation, checked and moderated -> state saved. Every failure of a model ends in an extractive answer or a
hand-off with a reason: a failure never leaves the customer in silence. The bot is silent on purpose only while a
human agent holds the conversation after a hand-off (:mod:`processors.dialogue.agent_hold`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from processors.dialogue import DialogueState, condense_question, record_reply, retrieval_query, update_state
from processors.dialogue.agent_hold import AGENT_PROFILE, after_agent_message, held_by_agent, hold_for_agent
from processors.dialogue.state import StateConfig
from processors.experiments import ExperimentBook
from processors.moderation import moderate_input, moderate_output, screen_passages
from processors.responder import (
    DEFAULT_POLICY,
    Decision,
    HandoffReason,
    MessageSignals,
    PolicyConfig,
    RetryPolicy,
    RoutingConfig,
    SentenceGate,
    acall_with_retries,
    after_generation,
    build_messages,
    check_grounded,
    choose_profile,
    cited_passages,
    decide,
    drop_restatements,
    extractive_answer,
    focus_passages,
    handoff_notice,
    relevant_passages,
    tone_prefix,
    triage,
    trim_to_limit,
    without_leading_punctuation,
)
from processors.responder.variants import VariantSettings, apply_assignment
from serving.deployments.apps import profile_order
from serving.protocols import ChatMessage, Passage, ProfileChoice, TokenUsage
from streams.responder.answer_cache import SemanticAnswerCache
from streams.responder.records import bot_reply, handoff_record
from streams.responder.state_store import DialogueStore
from streams.responder.streaming import DeltaSink, Stream, stream_answer

log = logging.getLogger(__name__)

#: Decision detail of an extractive answer made because the generator failed: it is sent, never cached (a
#: degraded answer must not outlive the outage that caused it).
GENERATOR_DOWN = "extractive_generator_down"


class Retrieved(Protocol):
    @property
    def passages(self) -> Sequence[Passage]: ...

    @property
    def confidence(self) -> float: ...


Retrieve = Callable[[str, str, int], Awaitable[Retrieved]]
"""``(query, tenant, k) -> passages with a calibrated confidence``."""
Generate = Callable[[Sequence[ChatMessage], ProfileChoice], Awaitable[str]]
"""``(messages, choice) -> answer``; sets ``choice.answered`` when another profile than ``choice.routed`` wrote it;
raises when the model is unavailable."""


@dataclass(frozen=True)
class Outcome:
    reply: dict[str, Any]
    handoff: dict[str, Any] | None
    state: DialogueState
    action: str = "answer"
    """The decision's action: ``answer``, ``canned``, ``clarify``, ``handoff`` or ``silent`` (an agent holds it)."""
    passages: Sequence[Passage] = ()
    """The passages the reply's citations refer to (with their text)."""


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
    experiments: ExperimentBook = field(default_factory=ExperimentBook)
    cache: SemanticAnswerCache | None = None
    state_config: StateConfig = field(default_factory=StateConfig)
    max_chars: int = 200
    k: int = 5
    served_profiles: tuple[str, ...] | None = None
    """The generator profiles being served, primary first (None: any); a routed profile that is not served is
    answered, and reported, as the primary."""
    prompt_passages: int = 2
    """Passages shown to the generator (the best ones); each cut to ``passage_chars`` around the question."""
    relevant_share: float = 0.05
    """Passages scoring under this share of the best passage's score are not used to answer (see
    ``processors.responder.relevant_passages``)."""
    passage_chars: int = 120
    history_turns: int = 0
    """Earlier turns shown to the generator with the rolling summary; 0 shows neither (each costs prompt evaluation)."""
    stream: Stream | None = None
    """Token streaming; used instead of ``generate`` when ``respond`` is given a delta sink."""
    agent_hold_ms: int = 0
    """How long a human agent holds a conversation after a hand-off or their last message (0: never)."""

    async def respond(self, event: dict[str, Any], deltas: DeltaSink | None = None) -> Outcome:
        """Answer one enriched customer message; with ``deltas``, generated text streams there as it is checked."""
        started = time.monotonic()
        tenant = event["tenant_id"]
        assignment = self.experiments.assign(
            tenant, conversation_id=event["conversation_id"], user_id=event.get("user_id")
        )
        variant = apply_assignment(self.policy, assignment)
        state = self.store.load(event["conversation_id"], tenant_id=tenant, locale=event["locale"])
        if held_by_agent(state, int(event["ts"])):
            return self._silent(event, state, started, variant.tag)
        moderation = moderate_input(event["text"])
        query = condense_question(moderation.text, state) if moderation.text else ""
        state = update_state(state, event, standalone_query=query or None, config=self.state_config)
        signals = MessageSignals.from_event(event, text=moderation.text)
        decision = triage(state, signals, moderation=moderation, config=variant.policy)
        passages: Sequence[Passage] = ()
        confidence = 0.0
        profile = "canned"
        text = ""
        usage: TokenUsage | None = None
        cached = await self._cached(tenant, query, variant) if decision is None else None
        if cached is not None:
            decision, profile = Decision("answer", detail="cache"), "cache"
            passages, confidence = cached.passages, cached.confidence
            text = tone_prefix(state.emotion, state.locale) + cached.text
        elif decision is None:
            try:
                found = await self.retrieve(retrieval_query(query), tenant, self.k)
                passages = relevant_passages(screen_passages(list(found.passages)), min_share=self.relevant_share)
                confidence = float(found.confidence)
            except Exception as error:  # a dead KB or embedder must not silence the bot
                log.warning("retrieval failed for %s: %r", event["event_id"], error)
                decision = self._handoff(HandoffReason.MODEL_UNAVAILABLE, "retrieval failed", state)
            else:
                decision = decide(state, signals, confidence, moderation=moderation, config=variant.policy)
            text = decision.reply
            if decision.action == "answer":
                decision, text, profile, usage = await self._answer(
                    event, state, query, passages, confidence, variant, deltas
                )
                passages = await self._cite_and_remember(tenant, query, decision, text, passages, confidence, state)
        else:
            text = decision.reply
        if decision.action == "handoff":
            profile = "handoff"
        now = int(time.time() * 1000)
        state = record_reply(state, text, action=decision.action, ts=now, config=self.state_config)
        if decision.action == "handoff":
            state = hold_for_agent(state, int(event["ts"]), self.agent_hold_ms)
        self.store.save(state)
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
            variant=variant.tag,
            ts=now,
            usage=usage,
        )
        handoff = handoff_record(event, state, decision, now) if decision.action == "handoff" else None
        return Outcome(reply, handoff, state, decision.action, tuple(cited))

    def note_agent_message(self, event: dict[str, Any]) -> None:
        """Record a human agent's message in the conversation's state: it renews the agent's hold, or releases it."""
        state = self.store.load(event["conversation_id"], tenant_id=event["tenant_id"], locale=event["locale"])
        self.store.save(after_agent_message(state, event, hold_ms=self.agent_hold_ms, config=self.state_config))

    def _silent(self, event: dict[str, Any], state: DialogueState, started: float, variant: str | None) -> Outcome:
        """A human agent holds the conversation: record the message for them and send an empty reply."""
        state = update_state(state, event, config=self.state_config)
        self.store.save(state)
        reply = bot_reply(
            event,
            text="",
            decision=Decision("canned", detail="with_agent"),
            passages=(),
            confidence=0.0,
            latency_ms=int((time.monotonic() - started) * 1000),
            model_profile=AGENT_PROFILE,
            variant=variant,
            ts=int(time.time() * 1000),
        )
        return Outcome(reply, None, state, "silent", ())

    async def _cached(self, tenant: str, query: str, variant: VariantSettings) -> Any:
        if self.cache is None:
            return None
        try:
            return await self.cache.lookup(tenant, retrieval_query(query), threshold=variant.cache_threshold)
        except Exception as error:  # the cache is an optimisation: retrieval still answers
            log.warning("answer cache lookup failed: %r", error)
            return None

    async def _cite_and_remember(
        self,
        tenant: str,
        query: str,
        decision: Decision,
        text: str,
        passages: Sequence[Passage],
        confidence: float,
        state: DialogueState,
    ) -> Sequence[Passage]:
        """The passages the answer cites; a generated answer goes into the answer cache with them."""
        cited = cited_passages(text, passages, shown=self.prompt_passages)
        if decision.action == "answer" and decision.detail != GENERATOR_DOWN:
            body = text.removeprefix(tone_prefix(state.emotion, state.locale))
            await self._remember(tenant, query, body, cited, confidence, state)
        return cited

    async def _remember(
        self, tenant: str, query: str, text: str, passages: Sequence[Passage], confidence: float, state: DialogueState
    ) -> None:
        if self.cache is None:
            return
        try:
            await self.cache.remember(tenant, retrieval_query(query), text, passages, confidence, state.slots)
        except Exception as error:
            log.warning("answer cache store failed: %r", error)

    async def _answer(
        self,
        event: dict[str, Any],
        state: DialogueState,
        query: str,
        passages: Sequence[Passage],
        confidence: float,
        variant: VariantSettings,
        deltas: DeltaSink | None = None,
    ) -> tuple[Decision, str, str, TokenUsage | None]:
        """Generate (streaming checked sentences to ``deltas``), check grounding, moderate; fall back to
        extractive or hand off. Returns the decision, the text, the profile that wrote it and the tokens the
        generator took (also when its answer was replaced)."""
        routed: str = variant.generator_profile or choose_profile(
            self.tenant_tier(event["tenant_id"]), state.intent, self.load(), self.routing
        )
        if self.served_profiles:
            routed = profile_order(self.served_profiles, routed)[0]  # the one ModelClient will ask first
        choice = ProfileChoice(routed)
        shown = focus_passages(query, passages, max_passages=self.prompt_passages, max_chars=self.passage_chars)
        messages = build_messages(
            query,
            shown,
            state=state if self.history_turns else None,  # the standalone query already carries the context
            locale=state.locale,
            emotion=state.emotion,
            max_chars=self.max_chars,
            history_turns=self.history_turns,
        )
        placeholders = [p["placeholder"] for p in event.get("pii_entities", [])]
        stream = self.stream

        async def generate() -> str:
            if deltas is None or stream is None:
                return await self.generate(messages, choice)
            prefix = tone_prefix(state.emotion, state.locale)  # a new gate per attempt: retries start from nothing
            gate = SentenceGate(passages, messages[0].content, placeholders, self.max_chars, prefix, query)
            return await stream_answer(stream(messages, choice), gate, deltas)

        try:
            body = drop_restatements(await acall_with_retries(generate, self.retry, sleep=asyncio.sleep), query)
            grounding = check_grounded(body, passages, question=query)
            follow = after_generation(grounding.supported, confidence, locale=state.locale, config=variant.policy)
        except Exception as error:
            log.warning("generation failed for %s: %r", event["event_id"], error)
            if confidence < variant.policy.extractive_threshold:
                decision = self._handoff(HandoffReason.MODEL_UNAVAILABLE, "generator unavailable", state)
                return decision, decision.reply, "handoff", choice.usage
            follow, body = Decision("answer", detail=GENERATOR_DOWN), ""
        if follow.action == "handoff":
            return follow, follow.reply, "handoff", choice.usage
        profile = choice.answered or routed  # after a fallback, the model that wrote the answer
        if follow.detail in ("extractive", GENERATOR_DOWN):
            body, profile = extractive_answer(query, passages, max_chars=self.max_chars), "extractive"
        checked = moderate_output(
            body, passages=passages, system_prompt=messages[0].content, allowed_placeholders=placeholders
        )
        if checked.action == "block":
            decision = self._handoff(HandoffReason.MODERATION, "answer blocked by output moderation", state)
            return decision, decision.reply, "handoff", choice.usage
        body = without_leading_punctuation(checked.text)
        text = tone_prefix(state.emotion, state.locale) + trim_to_limit(body, self.max_chars)
        return Decision("answer", detail=follow.detail), text, profile, choice.usage

    def _handoff(self, reason: HandoffReason, detail: str, state: DialogueState) -> Decision:
        return Decision(
            "handoff",
            reply=handoff_notice(reason, state.locale),
            reason=reason,
            detail=detail,
            priority=self.policy.default_priority,
        )
