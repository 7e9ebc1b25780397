"""The real 0.5B GGUF (fast profile) in-process: Chinese answers, streaming, serialised concurrent use."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest

from kefu.settings import Settings
from serving.generation import LlamaGenerator, build_generator
from serving.protocols import ChatMessage, Generator

pytestmark = pytest.mark.slow
CJK = re.compile(r"[\u4e00-\u9fff]")
QUESTION = [
    ChatMessage("system", "你是电商客服。用中文回答。"),
    ChatMessage("user", "请用两三句话介绍一下退货流程。"),
]


@pytest.fixture(scope="module")
def fast() -> Iterator[Generator]:
    generator = build_generator(Settings(llm_base_url=None), "fast")
    yield generator


def test_fast_profile_is_the_local_half_billion_model(fast: Generator) -> None:
    assert isinstance(fast, LlamaGenerator)
    assert "0.5b" in fast.model_id


def test_generate_answers_in_chinese(fast: Generator) -> None:
    answer = fast.generate(QUESTION, max_tokens=48, temperature=0.0)
    assert len(CJK.findall(answer)) >= 5, answer


def test_stream_yields_pieces_that_form_the_same_answer(fast: Generator) -> None:
    pieces = list(fast.stream(QUESTION, max_tokens=24, temperature=0.0))
    assert len(pieces) > 3
    assert "".join(pieces) == fast.generate(QUESTION, max_tokens=24, temperature=0.0)
    assert not any("<|im_end|>" in p for p in pieces)


def test_concurrent_streams_are_serialised_not_corrupted(fast: Generator) -> None:
    expected = fast.generate(QUESTION, max_tokens=12, temperature=0.0)
    results: list[str] = []

    def ask() -> None:
        results.append("".join(fast.stream(QUESTION, max_tokens=12, temperature=0.0)))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == [expected, expected]


def test_abandoned_stream_releases_the_model(fast: Generator) -> None:
    stream = fast.stream(QUESTION, max_tokens=64, temperature=0.0)
    next(iter(stream))
    stream.close()  # type: ignore[attr-defined]  # a consumer that went away
    assert fast.generate(QUESTION, max_tokens=4, temperature=0.0)


def test_the_responder_system_prompt_is_evaluated_once_and_reused_across_questions_and_emotions(
    fast: Generator,
) -> None:
    from processors.responder import build_messages
    from serving.generation.chat_template import render_chatml
    from serving.protocols import Passage

    assert isinstance(fast, LlamaGenerator)
    passage = Passage("c1", "returns.md", "自签收之日起7天内可申请七天无理由退货，寄回运费由买家承担。")
    first = build_messages("退货运费谁出？", [passage])
    second = build_messages("你们怎么还不给我退款！", [passage], emotion="angry")
    system_tokens = fast.count_tokens(render_chatml(first[:1]).removesuffix("<|im_start|>assistant\n"))
    list(fast.stream(first, max_tokens=1, temperature=0.0))
    list(fast.stream(second, max_tokens=1, temperature=0.0))
    evaluated = fast.last_timings()["prompt_tokens_evaluated"]
    total = fast.count_tokens(render_chatml(second))
    assert system_tokens > 200
    assert 0 < evaluated <= total - system_tokens + 2, (evaluated, total, system_tokens)


def test_after_its_warm_up_the_first_responder_prompt_evaluates_only_its_own_part(fast: Generator) -> None:
    from processors.responder import build_messages, warm_up_messages
    from serving.generation.chat_template import render_chatml
    from serving.protocols import Passage

    assert isinstance(fast, LlamaGenerator)
    fast.generate(QUESTION, max_tokens=1, temperature=0.0)  # another prompt in the KV cache: a fresh replica
    warmed = fast.warm_up(warm_up_messages())
    first = build_messages("退货运费谁出？", [Passage("c1", "returns.md", "寄回运费由买家承担。")])
    system_tokens = fast.count_tokens(render_chatml(first[:1]).removesuffix("<|im_start|>assistant\n"))
    assert warmed["prompt_tokens_evaluated"] >= system_tokens - 8  # the warm-up paid for the system message
    list(fast.stream(first, max_tokens=1, temperature=0.0))
    evaluated = fast.last_timings()["prompt_tokens_evaluated"]
    total = fast.count_tokens(render_chatml(first))
    assert 0 < evaluated <= total - system_tokens + 2, (evaluated, total, system_tokens)


def test_serving_bench_prompt_has_the_requested_tokens_in_the_models_own_count(fast: Generator) -> None:
    from serving.benchmark import QUESTIONS, count_prompt_tokens, prompt_messages, sized_prompt

    assert isinstance(fast, LlamaGenerator)
    messages = prompt_messages(QUESTIONS[0], sized_prompt(fast.count_tokens, 300), "会话0。")
    counted = count_prompt_tokens(fast.count_tokens, messages)
    assert 300 <= counted <= 302
    fast.generate(messages, max_tokens=1, temperature=0.0)
    # llama.cpp evaluated the same prompt, less the few template tokens an earlier call may have cached
    assert counted - 8 <= fast.last_timings()["prompt_tokens_evaluated"] <= counted
