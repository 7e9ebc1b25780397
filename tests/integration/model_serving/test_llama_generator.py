"""The real 0.5B GGUF (fast profile) in-process: Chinese answers, streaming, serialised concurrent use."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kefu.settings import Settings
from serving.generation import LlamaGenerator, build_generator
from serving.generation.chat_template import render_chatml
from serving.protocols import ChatMessage, Generator, TokenUsage

pytestmark = pytest.mark.slow
CJK = re.compile(r"[\u4e00-\u9fff]")
QUESTION = [
    ChatMessage("system", "你是电商客服。用中文回答。"),
    ChatMessage("user", "请用两三句话介绍一下退货流程。"),
]


@pytest.fixture(scope="module")
def fast() -> Iterator[Generator]:
    # prompts evaluated by the BF16 copy on any CPU ("auto" would only on those with BF16 dot products)
    generator = build_generator(Settings(llm_base_url=None, llm_prefill="bf16"), "fast")
    yield generator


def test_fast_profile_is_the_local_half_billion_model(fast: Generator) -> None:
    assert isinstance(fast, LlamaGenerator)
    assert "0.5b" in fast.model_id
    assert fast.prefills_in_bf16


def test_prefill_off_means_one_model_only() -> None:
    generator = build_generator(Settings(llm_base_url=None, llm_prefill="off"), "fast")
    assert isinstance(generator, LlamaGenerator)
    assert not generator.prefills_in_bf16


def test_generate_answers_in_chinese(fast: Generator) -> None:
    answer = fast.generate(QUESTION, max_tokens=48, temperature=0.0)
    assert len(CJK.findall(answer)) >= 5, answer


def test_stream_yields_pieces_that_form_the_same_answer(fast: Generator) -> None:
    pieces = list(fast.stream(QUESTION, max_tokens=24, temperature=0.0))
    assert len(pieces) > 3
    assert "".join(pieces) == fast.generate(QUESTION, max_tokens=24, temperature=0.0)
    assert not any("<|im_end|>" in p for p in pieces)


def test_a_stream_reports_its_prompt_and_answer_tokens_also_when_abandoned(fast: Generator) -> None:
    assert isinstance(fast, LlamaGenerator)
    usage = TokenUsage()
    answer = "".join(fast.stream(QUESTION, max_tokens=24, temperature=0.0, usage=usage))
    assert usage.prompt_tokens == fast.count_tokens(render_chatml(QUESTION))
    assert usage.completion_tokens == fast.count_tokens(answer) and 0 < usage.completion_tokens <= 24
    cut = TokenUsage()
    stream = fast.stream(QUESTION, max_tokens=24, temperature=0.0, usage=cut)
    first = next(iter(stream))
    stream.close()  # type: ignore[attr-defined]  # the responder stops reading at the reply's length limit
    assert cut.prompt_tokens == usage.prompt_tokens and cut.completion_tokens == fast.count_tokens(first)


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
    from serving.benchmark import QUESTIONS, prompt_messages
    from serving.generation.chat_template import render_chatml
    from serving.protocols import Passage

    assert isinstance(fast, LlamaGenerator)
    # another long prompt in both KV caches (the 4-bit model's and its BF16 copy's): a fresh replica
    fast.generate(prompt_messages(QUESTIONS[0], 300, "另一个会话。"), max_tokens=1, temperature=0.0)
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


def test_a_long_prompt_is_evaluated_in_bf16_and_the_answer_generated_in_4_bits(fast: Generator) -> None:
    from serving.benchmark import QUESTIONS, count_prompt_tokens, prompt_messages, sized_prompt

    assert isinstance(fast, LlamaGenerator)
    messages = prompt_messages(QUESTIONS[1], sized_prompt(fast.count_tokens, 300), "会话BF16。")
    counted = count_prompt_tokens(fast.count_tokens, messages)
    answer = fast.generate(messages, max_tokens=24, temperature=0.0)
    timings = fast.last_timings()
    assert counted - 8 <= timings["prefill_tokens_evaluated"] < counted  # all but the last token, in BF16
    assert timings["generated_tokens"] >= 1
    assert len(CJK.findall(answer)) >= 5, answer
    # the same question again: the 4-bit model has it cached, so nothing is handed over
    assert fast.generate(messages, max_tokens=24, temperature=0.0) == answer
    assert fast.last_timings()["prefill_tokens_evaluated"] == 0


def test_a_few_new_tokens_stay_with_the_4_bit_model(fast: Generator) -> None:
    from serving.benchmark import QUESTIONS, prompt_messages, sized_prompt

    assert isinstance(fast, LlamaGenerator)
    chars = sized_prompt(fast.count_tokens, 300)
    fast.generate(prompt_messages(QUESTIONS[0], chars, "会话短。"), max_tokens=1, temperature=0.0)
    fast.generate(prompt_messages(QUESTIONS[2], chars, "会话短。"), max_tokens=1, temperature=0.0)  # new question
    timings = fast.last_timings()
    assert timings["prefill_tokens_evaluated"] == 0
    assert 0 < timings["prompt_tokens_evaluated"] < 32


def test_the_handed_over_cache_predicts_what_the_4_bit_model_predicts_alone() -> None:
    """The KV cache computed in BF16 stands in for the 4-bit model's own: the next-token logits agree."""
    import numpy as np
    from llama_cpp import llama_get_logits_ith

    from serving.benchmark import QUESTIONS, prompt_messages
    from serving.generation.chat_template import render_chatml
    from serving.generation.cpu_kernels import load_llama, wants_extra_buffers
    from serving.generation.prefill import Bf16Prefill, cpu_flags
    from serving.models import QWEN_CODER_0_5B, ensure_bf16_gguf, ensure_gguf

    settings = Settings()
    options = {"n_ctx": 1024, "n_threads": 2, "n_batch": 512, "n_ubatch": 512, "flash_attn": True, "verbose": False}
    extra = wants_extra_buffers(settings.llm_extra_buffers, cpu_flags())
    four_bit = ensure_gguf(QWEN_CODER_0_5B, settings.model_cache_dir)
    handed, alone = (load_llama(four_bit, extra_buffers=extra, **options) for _ in range(2))
    prefill = Bf16Prefill(ensure_bf16_gguf(QWEN_CODER_0_5B, settings.model_cache_dir), extra_buffers=extra, **options)
    vocabulary = alone.n_vocab()
    for n, question in enumerate(QUESTIONS):
        prompt = render_chatml(prompt_messages(question, 200 + 40 * n, f"会话{n}。"))
        tokens = alone.tokenize(prompt.encode("utf-8"), special=True)
        prefill.hand_over(handed, tokens)
        assert handed.n_tokens == len(tokens) - 1
        handed.eval(tokens[-1:])
        alone.reset()
        alone.eval(tokens)
        mine = np.ctypeslib.as_array(llama_get_logits_ith(handed.ctx, -1), shape=(vocabulary,)).copy()
        theirs = np.ctypeslib.as_array(llama_get_logits_ith(alone.ctx, -1), shape=(vocabulary,)).copy()
        cosine = float(mine @ theirs / (np.linalg.norm(mine) * np.linalg.norm(theirs)))
        assert cosine > 0.98, (question, cosine)
        assert int(mine.argmax()) in np.argsort(theirs)[-3:], question
    assert prefill.tokens_evaluated > 3 * 150


def test_a_bf16_copy_llama_cpp_cannot_load_leaves_the_4_bit_model_alone(tmp_path: Path) -> None:
    from serving.models import QWEN_CODER_0_5B, ensure_gguf

    broken = tmp_path / "broken.bf16.gguf"
    broken.write_bytes(b"GGUF" + bytes(100))  # a truncated copy: the disk filled up, say
    four_bit = ensure_gguf(QWEN_CODER_0_5B, Settings().model_cache_dir)
    generator = LlamaGenerator(four_bit, QWEN_CODER_0_5B.name, n_ctx=1024, prefill_path=broken)
    assert not generator.prefills_in_bf16
    assert len(CJK.findall(generator.generate(QUESTION, max_tokens=16, temperature=0.0))) >= 3


def test_a_model_loads_and_answers_in_plain_cpu_buffers_and_the_defaults_come_back() -> None:
    """KEFU_LLM_EXTRA_BUFFERS=off (auto on CPUs that report AMX, whose kernel crashed here) on any CPU."""
    import llama_cpp.llama_cpp as native

    from serving.generation.cpu_kernels import load_llama
    from serving.models import QWEN_CODER_0_5B, ensure_gguf

    four_bit = ensure_gguf(QWEN_CODER_0_5B, Settings().model_cache_dir)
    llama = load_llama(four_bit, extra_buffers=False, n_ctx=512, n_threads=2, verbose=False)
    assert llama.model_params.use_extra_bufts is False
    answer = llama.create_completion(render_chatml(QUESTION), max_tokens=12, temperature=0.0)
    assert len(CJK.findall(answer["choices"][0]["text"])) >= 3  # type: ignore[index]
    assert native.llama_model_default_params().use_extra_bufts is True
