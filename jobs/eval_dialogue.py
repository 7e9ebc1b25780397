"""``kefu eval dialogue``: replay scripted multi-turn conversations through the real Responder and score them.

Every customer turn goes the way it goes in the stream: PII masking, the shipped intent and sentiment models
(:class:`processors.enrichment.EnrichmentPipeline`), then :class:`streams.responder.respond.Responder` as
``build_responder`` makes it from the settings, with real retrieval (e5 embedder, hybrid search, learned reranker,
calibrated confidence) over the sample KB ingested into a temporary milvus-lite, the semantic answer cache and
a dialogue store in a temporary directory. Generation is extractive by default (the generator is declared
unavailable, so a confident answer is made of the best passage's sentences), which runs in CI time;
``generator="llm"`` loads the embedded GGUF model (``KEFU_LLM_PROFILE``) in process.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jobs.sample_kb_index import sample_kb
from kefu.settings import Settings
from processors.dedupe import Deduplicator
from processors.dialogue import DialogueState
from processors.dialogue.evaluation import ScriptedDialogue, evaluate_dialogues
from processors.enrichment import EnrichmentPipeline
from processors.intent import load_default_intent_model
from processors.pii import PiiMasker
from processors.sentiment import load_default_sentiment_model
from serving.errors import ModelUnavailable
from serving.protocols import ChatMessage, Passage, ProfileChoice
from streams.responder.respond import Outcome, Responder
from streams.responder.wiring import build_responder, policy_from_settings

GeneratorChoice = Literal["extractive", "llm"]
_TS0 = 1_795_248_000_000


@dataclass(frozen=True)
class EvalReply:
    """What :func:`processors.dialogue.evaluation.evaluate_dialogues` reads, from a Responder outcome."""

    text: str
    action: str
    handoff_reason: str | None
    passages: tuple[Passage, ...]
    state: DialogueState
    model_profile: str

    @classmethod
    def of(cls, outcome: Outcome) -> EvalReply:
        handoff = outcome.reply["handoff"]
        return cls(
            outcome.reply["text"],
            outcome.action,
            handoff["reason"] if handoff else None,
            tuple(outcome.passages),
            outcome.state,
            outcome.reply["model_profile"],
        )


async def unavailable_generator(messages: Sequence[ChatMessage], choice: ProfileChoice) -> str:
    """The extractive mode's generator: always unavailable, so the Responder answers extractively."""
    raise ModelUnavailable("generator", "extractive evaluation")


def local_generator(settings: Settings) -> Any:
    """The embedded GGUF generator in this process (``--generator llm``)."""
    from serving.generation.factory import build_generator
    from streams.responder.wiring import ANSWER_TEMPERATURE

    generator = build_generator(settings)

    async def generate(messages: Sequence[ChatMessage], choice: ProfileChoice) -> str:
        answer: str = await asyncio.to_thread(
            generator.generate, messages, max_tokens=settings.llm_max_tokens, temperature=ANSWER_TEMPERATURE
        )
        return answer

    return generate


class DialogueReplayer:
    """``respond(text, state)`` for the scorer: enrich like the stream, then the real Responder."""

    def __init__(self, responder: Responder, dialogues: Sequence[ScriptedDialogue]) -> None:
        self.responder = responder
        self.enrich = EnrichmentPipeline(
            masker=PiiMasker(),
            intent_model=load_default_intent_model(),
            sentiment_model=load_default_sentiment_model(),
            deduplicator=Deduplicator(),
        )
        self.locales = {d.id: d.locale for d in dialogues}
        self.loop = asyncio.new_event_loop()
        self.profiles: dict[str, int] = {}
        self._seq = 0

    def event(self, text: str, state: DialogueState) -> dict[str, Any]:
        self._seq += 1
        raw = {
            "event_id": f"eval-{self._seq}",
            "conversation_id": state.conversation_id,
            "tenant_id": state.tenant_id,
            "channel": "web",
            "user_id": f"user-{state.conversation_id}",
            "role": "customer",
            "text": text,
            "ts": _TS0 + self._seq * 60_000,  # a minute apart: never a near-duplicate
            "locale": self.locales.get(state.conversation_id, state.locale),
            "metadata": {},
        }
        enriched = self.enrich([raw])[0]
        assert enriched is not None
        return enriched

    def __call__(self, text: str, state: DialogueState) -> EvalReply:
        outcome = self.loop.run_until_complete(self.responder.respond(self.event(text, state)))
        reply = EvalReply.of(outcome)
        self.profiles[reply.model_profile] = self.profiles.get(reply.model_profile, 0) + 1
        return reply

    def close(self) -> None:
        self.loop.close()


def evaluate(
    settings: Settings, dialogues: Sequence[ScriptedDialogue], *, generator: GeneratorChoice = "extractive"
) -> dict[str, Any]:
    """The JSON report of the dialogue set replayed through the real Responder."""
    tenants = sorted({d.tenant_id for d in dialogues}) or ["default"]
    with tempfile.TemporaryDirectory(prefix="kefu-eval-dialogue-") as tmp:
        local = settings.model_copy(update={"data_dir": Path(tmp)})
        with sample_kb(local, *tenants) as kb:
            generate = local_generator(local) if generator == "llm" else unavailable_generator
            responder = build_responder(local, retriever=kb.retriever, generate=generate)
            replayer = DialogueReplayer(responder, dialogues)
            try:
                report = evaluate_dialogues(dialogues, replayer).to_dict()
            finally:
                replayer.close()
                responder.store.close()
    responder_policy = policy_from_settings(settings)
    answers = report["answers"]
    uncited = answers - round(report["citation_rate"] * answers)
    return {
        "generator": generator,
        "embedder": kb.embedder.model_id,
        "answer_threshold": responder_policy.answer_threshold,
        "clarify_threshold": responder_policy.clarify_threshold,
        "answer_cache": settings.answer_cache_enabled,
        "answers_without_citation": uncited,
        "model_profiles": replayer.profiles,
        **report,
    }
