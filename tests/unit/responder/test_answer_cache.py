"""The semantic answer cache in the Responder: hits answer with the original citations, KB changes invalidate,
personal answers are never reused, and an experiment's variant is recorded on every reply."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from processors.experiments import Experiment, ExperimentBook, Variant
from processors.responder import RetryPolicy
from processors.responder.thresholds import LabelledScore, choose_thresholds
from serving.protocols import ChatMessage, ProfileChoice
from streams.responder.answer_cache import QueryMemo, SemanticAnswerCache
from streams.responder.respond import Responder
from streams.responder.state_store import DialogueStore
from streams.responder.wiring import parse_escalate_topics
from tests.unit.dialogue.harness import FaqIndex
from tests.unit.responder.test_responder import event, quoting_llm, retriever


class BagOfCharsEmbedder:
    """A tiny deterministic embedder: character counts hashed into 64 dimensions."""

    model_id = "test-chars"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0

    def embed_queries(self, texts: Sequence[str]) -> Any:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for ch in text:
                out[i, ord(ch) % self.dim] += 1.0
        return out

    def embed_passages(self, texts: Sequence[str]) -> Any:
        return self.embed_queries(texts)


class Kb:
    def __init__(self) -> None:
        self.version = "v1"

    async def __call__(self, tenant: str) -> str:
        return self.version


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.from_sample_kb()


def responder(tmp_path: Path, index: FaqIndex, kb: Kb, calls: list[str], **extra: Any) -> Responder:
    embedder = BagOfCharsEmbedder()

    async def embed(query: str) -> Any:
        return embedder.embed_queries([query])[0]

    async def counting_llm(messages: Sequence[ChatMessage], choice: ProfileChoice) -> str:
        calls.append(choice.routed)
        return await quoting_llm(messages, choice)

    cache = SemanticAnswerCache(embed, kb, threshold=0.99, version_ttl_s=0.0)
    return Responder(
        retriever(index, 0.9),
        counting_llm,
        DialogueStore(tmp_path / "state.sqlite"),
        retry=RetryPolicy(max_attempts=1),
        cache=cache,
        **extra,
    )


def test_a_repeated_question_is_answered_from_the_cache_with_the_original_citations(
    tmp_path: Path, index: FaqIndex
) -> None:
    calls: list[str] = []
    bot = responder(tmp_path, index, Kb(), calls)
    first = asyncio.run(bot.respond(event(1, "多少钱包邮？", conversation="a")))
    second = asyncio.run(bot.respond(event(2, "多少钱包邮？", conversation="b")))
    assert first.reply["model_profile"] != "cache" and len(calls) == 1
    assert second.reply["model_profile"] == "cache" and len(calls) == 1  # no second generation
    assert second.reply["citations"] == first.reply["citations"] and second.reply["citations"]
    assert second.reply["text"] == first.reply["text"] and second.reply["handoff"] is None


def test_a_knowledge_base_change_invalidates_cached_answers(tmp_path: Path, index: FaqIndex) -> None:
    calls: list[str] = []
    kb = Kb()
    bot = responder(tmp_path, index, kb, calls)
    asyncio.run(bot.respond(event(1, "多少钱包邮？", conversation="a")))
    kb.version = "v2"  # kefu kb ingest / delete changed the tenant's documents
    again = asyncio.run(bot.respond(event(2, "多少钱包邮？", conversation="b")))
    assert again.reply["model_profile"] != "cache" and len(calls) == 2


def test_fallback_answers_made_while_the_generator_is_down_are_not_cached(tmp_path: Path, index: FaqIndex) -> None:
    calls: list[str] = []

    async def down(messages: Sequence[ChatMessage], choice: ProfileChoice) -> str:
        calls.append(choice.routed)
        raise ConnectionError("endpoint down")

    bot = responder(tmp_path, index, Kb(), calls)
    bot.generate = down
    first = asyncio.run(bot.respond(event(1, "多少钱包邮？", conversation="a")))
    again = asyncio.run(bot.respond(event(2, "多少钱包邮？", conversation="b")))
    assert first.reply["model_profile"] == "extractive" and first.reply["citations"]  # still answered, with sources
    assert again.reply["model_profile"] == "extractive" and len(calls) == 2  # asked the model again, not the cache


def test_answers_about_the_customers_own_order_are_never_reused(tmp_path: Path, index: FaqIndex) -> None:
    calls: list[str] = []
    bot = responder(tmp_path, index, Kb(), calls)
    asyncio.run(bot.respond(event(1, "我的订单什么时候发货？", conversation="a")))
    again = asyncio.run(bot.respond(event(2, "我的订单什么时候发货？", conversation="b")))
    assert again.reply["model_profile"] != "cache" and len(calls) == 2


def test_every_reply_of_an_assigned_conversation_records_its_variant(tmp_path: Path, index: FaqIndex) -> None:
    calls: list[str] = []
    book = ExperimentBook(
        [
            Experiment(
                "gen",
                "acme",
                (
                    Variant("control", params={"generator_profile": "quality"}),
                    Variant("fast", params={"generator_profile": "fast"}),
                ),
            )
        ]
    )
    bot = responder(tmp_path, index, Kb(), calls, experiments=book)
    tags = set()
    for n in range(12):
        conversation = f"conv-{n}"
        answer = asyncio.run(bot.respond(event(2 * n, "退货审核要多久？", conversation=conversation)))
        thanks = asyncio.run(bot.respond(event(2 * n + 1, "谢谢", conversation=conversation)))
        assert answer.reply["variant"] == thanks.reply["variant"]  # stable within the conversation
        assert answer.reply["variant"] in {"gen:control", "gen:fast"}
        tags.add(answer.reply["variant"])
    assert tags == {"gen:control", "gen:fast"}
    # the generator profile follows the variant (cache hits make no call)
    assert set(calls) <= {"quality", "fast"} and calls
    other = asyncio.run(bot.respond({**event(99, "谢谢", conversation="x"), "tenant_id": "other"}))
    assert other.reply["variant"] is None


def test_a_variant_handoff_threshold_changes_the_decision(tmp_path: Path, index: FaqIndex) -> None:
    book = ExperimentBook(
        [Experiment("strict", "acme", (Variant("a", params={"handoff_threshold": 0.95}), Variant("b", weight=0)))]
    )
    bot = responder(tmp_path, index, Kb(), [], experiments=book)
    outcome = asyncio.run(bot.respond(event(1, "退货审核要多久？", conversation="s")))
    assert outcome.reply["variant"] == "strict:a"
    assert outcome.reply["handoff"] is not None and outcome.reply["handoff"]["reason"] == "low_confidence"


def test_query_memo_embeds_a_message_once() -> None:
    inner = BagOfCharsEmbedder()
    memo = QueryMemo(inner, size=2)
    first = memo.embed_queries(["多少钱包邮"])
    again = memo.embed_queries(["多少钱包邮"])
    assert inner.calls == 1 and np.array_equal(first, again)
    memo.embed_queries(["a", "b"])
    memo.embed_queries(["多少钱包邮"])
    assert inner.calls == 3  # evicted beyond size


def test_thresholds_are_read_off_labelled_scores() -> None:
    scores = [LabelledScore(c / 100, True, True) for c in range(60, 100, 5)]
    scores += [LabelledScore(0.5, False, False), LabelledScore(0.2, False, False), LabelledScore(0.55, True, False)]
    choice = choose_thresholds(scores, precision_target=0.95, scope_target=0.8)
    assert choice.answer_threshold == 0.6 and choice.answer_precision == 1.0 and choice.answer_recall == 1.0
    assert choice.out_of_scope_answered == 0.0


def test_extra_must_escalate_topics_parse_and_reject_garbage() -> None:
    assert parse_escalate_topics("recall:召回|recall notice") == {"recall": ("召回", "recall notice")}
    with pytest.raises(ValueError, match="category:word"):
        parse_escalate_topics("no-colon-here")
