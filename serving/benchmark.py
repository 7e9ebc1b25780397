"""Serving benchmarks: generation latency in-process, and model calls through the running Serve apps.

Figures: time to first token (TTFT) for a prompt of a given length (300 tokens by default), cold and with a
cached system prefix, generation tokens/s, and embed/rerank throughput in-process vs through Ray Serve handles and HTTP.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

from kefu.settings import Settings
from serving.deployments.factories import load_factory
from serving.deployments.runtime import ServeInfo
from serving.generation.chat_template import render_chatml
from serving.models import Profile
from serving.protocols import ChatMessage, Passage

FAQ = (
    "退货政策：自签收之日起七天内，商品未拆封可无理由退货，运费由买家承担；质量问题由商家承担运费。"
    "退款在仓库验收后三个工作日内原路退回。换货需联系客服提供订单号和照片。"
    "快递：默认顺丰，下单后四十八小时内发货，偏远地区另加两天。可在“我的订单”查看物流。"
    "发票：支持电子普通发票和增值税专用发票，下单时填写抬头和税号，开具后发送至邮箱。"
    "会员：积分每消费一元积一分，一百积分抵扣一元，积分有效期一年。"
)
QUESTIONS = ("我的快递三天了还没到，怎么查物流？", "商品拆封了还能退货吗？运费谁出？", "发票怎么开，多久能收到？")


def reference_text(chars: int) -> str:
    """The FAQ repeated and cut to ``chars`` characters: a RAG prompt's passages at any length.

    >>> reference_text(5), len(reference_text(1000))
    ('退货政策：', 1000)
    """
    return (FAQ * (chars // len(FAQ) + 1))[:chars]


def prompt_messages(question: str, faq_chars: int, session: str = "") -> list[ChatMessage]:
    """A RAG-shaped prompt; a different ``session`` at its start defeats llama.cpp's prefix cache (cold)."""
    system = (
        f"{session}你是电商平台的客服助手。只根据下面的资料用中文简洁回答，资料里没有的就说转人工。\n资料：\n"
        + reference_text(faq_chars)
    )
    return [ChatMessage("system", system), ChatMessage("user", question)]


def count_prompt_tokens(count_tokens: Callable[[str], int], messages: list[ChatMessage]) -> int:
    """Tokens the model evaluates for ``messages``: the whole ChatML prompt, template included."""
    return count_tokens(render_chatml(messages))


def sized_prompt(count_tokens: Callable[[str], int], target_tokens: int) -> int:
    """The reference length in characters that makes a cold prompt ``target_tokens`` long (the first length that
    reaches it: the tokenizer may not give every count exactly)."""

    def tokens(chars: int) -> int:
        return count_prompt_tokens(count_tokens, prompt_messages(QUESTIONS[0], chars, "会话0。"))

    low, high = 0, len(FAQ)
    while tokens(high) < target_tokens:
        high *= 2
    while low < high:
        middle = (low + high) // 2
        if tokens(middle) < target_tokens:
            low = middle + 1
        else:
            high = middle
    return low


def _timed_stream(generator: Any, messages: list[ChatMessage], max_tokens: int) -> dict[str, float]:
    started = time.perf_counter()
    first = None
    pieces = 0
    for _ in generator.stream(messages, max_tokens=max_tokens, temperature=0.0):
        pieces += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    first = first or end
    return {"ttft_s": first - started, "tokens": pieces, "tokens_per_s": (pieces - 1) / max(end - first, 1e-9)}


def bench_generation(settings: Settings, profile: Profile, prompt_tokens: int, max_tokens: int) -> dict[str, Any]:
    """TTFT and tokens/s of one profile's local model, in this process."""
    from serving.generation import LlamaGenerator, build_generator

    t0 = time.perf_counter()
    generator = build_generator(settings.model_copy(update={"llm_base_url": None}), profile)
    load_s = time.perf_counter() - t0
    assert isinstance(generator, LlamaGenerator)
    faq_chars = sized_prompt(generator.count_tokens, prompt_tokens)
    first_call = _timed_stream(generator, prompt_messages(QUESTIONS[0], faq_chars, "预热。"), max_tokens)
    cold, cached, cold_evaluated = [], [], []
    for n, question in enumerate(QUESTIONS):
        # cold: a prompt no earlier call shares beyond the first tokens; cached: same system prompt, new question
        session = f"会话{n}。"
        cold.append(_timed_stream(generator, prompt_messages(question, faq_chars, session), max_tokens))
        cold_evaluated.append(generator.last_timings()["prompt_tokens_evaluated"])
        other = QUESTIONS[(n + 1) % len(QUESTIONS)]
        cached.append(_timed_stream(generator, prompt_messages(other, faq_chars, session), max_tokens))
    sized = prompt_messages(QUESTIONS[0], faq_chars, "会话0。")
    return {
        "model": generator.model_id,
        "faq_chars": faq_chars,
        "load_s": round(load_s, 2),
        "prompt_tokens": count_prompt_tokens(generator.count_tokens, sized),
        "cold_prompt_tokens_evaluated": int(statistics.median(cold_evaluated)),
        "prefill": "bf16" if generator.prefills_in_bf16 else "4-bit",
        "ttft_first_call_s": round(first_call["ttft_s"], 3),
        "ttft_cold_s": round(statistics.median(r["ttft_s"] for r in cold), 3),
        "ttft_cached_prefix_s": round(statistics.median(r["ttft_s"] for r in cached), 3),
        "gen_tokens_per_s": round(statistics.median(r["tokens_per_s"] for r in cold + cached), 1),
        "threads": settings.llm_threads or os.cpu_count(),
    }


async def _rate(call: Callable[[], Awaitable[object]], total: int, concurrency: int) -> float:
    """Calls per second with ``concurrency`` callers making ``total`` calls."""
    queue = list(range(total))

    async def caller() -> None:
        while queue:
            queue.pop()
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return total / (time.perf_counter() - started)


async def _latency_ms(call: Callable[[], Awaitable[object]], n: int) -> float:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 1)


def _passages(n: int) -> list[Passage]:
    return [Passage(f"c{i}", "faq", FAQ[i * 10 : i * 10 + 60]) for i in range(n)]


async def bench_in_process(settings: Settings, requests: int) -> dict[str, Any]:
    embedder = load_factory(settings.embedder_factory)(settings)
    reranker = load_factory(settings.reranker_factory)(settings)
    passages = _passages(20)

    async def embed() -> object:
        return embedder.embed_queries([QUESTIONS[0]])

    async def rerank() -> object:
        return reranker.score(QUESTIONS[0], passages)

    embed32 = await _latency_ms(lambda: asyncio.to_thread(embedder.embed_queries, list(QUESTIONS) * 11), 3)
    return {
        "embed_1_query_ms": await _latency_ms(embed, 20),
        "embed_queries_per_s_batched_32": round(33 / (embed32 / 1000), 1),
        "rerank_20_ms": await _latency_ms(rerank, 10),
        "embed_calls_per_s": round(await _rate(embed, requests, 1), 1),
    }


async def bench_through_serving(
    settings: Settings, transport: str, requests: int, max_tokens: int, faq_chars: int
) -> dict[str, Any]:
    from serving.client import ModelClient

    client = await ModelClient.connect(settings, transport)
    passages = _passages(20)
    try:
        await client.embed_queries(["warm-up"])
        figures: dict[str, Any] = {
            "embed_1_query_ms": await _latency_ms(lambda: client.embed_queries([QUESTIONS[0]]), 20),
            "embed_calls_per_s_32_concurrent": round(
                await _rate(lambda: client.embed_queries([QUESTIONS[1]]), requests, 32), 1
            ),
            "rerank_20_ms": await _latency_ms(lambda: client.rerank(QUESTIONS[0], passages), 10),
        }
        async for _ in client.stream(prompt_messages("你好", 0, "预热。"), max_tokens=2):
            pass  # the replica's first call pages the weights in
        cold: list[float] = []
        cached: list[float] = []
        rates: list[float] = []
        for n, question in enumerate(QUESTIONS):
            # cold: a new session line at the prompt's start; cached: the same system prompt, another question
            session = f"会话{n}-{transport}。"
            for asked, times in ((question, cold), (QUESTIONS[(n + 1) % len(QUESTIONS)], cached)):
                started = time.perf_counter()
                first, pieces = 0.0, 0
                async for _ in client.stream(prompt_messages(asked, faq_chars, session), max_tokens=max_tokens):
                    pieces += 1
                    first = first or time.perf_counter()
                times.append(first - started)
                rates.append((pieces - 1) / max(time.perf_counter() - first, 1e-9))
        figures["generator_ttft_cold_s"] = round(statistics.median(cold), 3)
        figures["generator_ttft_cached_prefix_s"] = round(statistics.median(cached), 3)
        figures["generator_tokens_per_s"] = round(statistics.median(rates), 1)
        return figures
    finally:
        await client.aclose()


def start_serve_process(settings_env: dict[str, str], timeout_s: float = 600) -> tuple[subprocess.Popen[bytes], Path]:
    """``kefu serve`` as a separate process (as under ``kefu up``); returns it and its ready file."""
    ready = Path(tempfile.mkdtemp(prefix="kefu-bench-")) / "serve.ready"
    process = subprocess.Popen(
        [sys.executable, "-m", "kefu", "serve", "--ready-file", str(ready)],
        env={**os.environ, **settings_env},
    )
    deadline = time.monotonic() + timeout_s
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("kefu serve did not become ready")
        time.sleep(0.5)
    return process, ready


def serve_info(ready: Path) -> ServeInfo:
    info = ServeInfo.read(ready)
    if info is None:
        raise RuntimeError(f"no serving description in {ready}")
    return info


def run_serving_bench(
    settings: Settings,
    profiles: list[Profile],
    prompt_tokens: int = 300,
    max_tokens: int = 64,
    requests: int = 200,
    through_serve: bool = True,
) -> dict[str, Any]:
    """Everything ``kefu bench serving`` reports; each part is printed as a JSON line as it completes."""
    report: dict[str, Any] = {"generation_in_process": {}}
    faq_chars = 0
    for profile in profiles:
        figures = bench_generation(settings, profile, prompt_tokens, max_tokens)
        report["generation_in_process"][profile] = figures
        faq_chars = cast(int, figures["faq_chars"])
        print(json.dumps({profile: figures}, ensure_ascii=False), flush=True)
    report["embed_rerank_in_process"] = asyncio.run(bench_in_process(settings, requests))
    print(json.dumps(report["embed_rerank_in_process"]), flush=True)
    if not through_serve:
        return report
    # the fast profile only: a 1.5B replica beside the benchmark's own models would not fit 2 cores fairly
    process, ready = start_serve_process({"KEFU_LLM_PROFILE": "fast", "KEFU_LLM_FALLBACK": "off"})
    try:
        info = serve_info(ready)
        remote = settings.model_copy(
            update={"ray_address": info.ray_address, "serve_http_url": info.http, "llm_profile": "fast"}
            | {"llm_fallback": False}
        )
        for transport in ("handle", "http"):
            figures = asyncio.run(bench_through_serving(remote, transport, requests, max_tokens, faq_chars))
            report[f"through_serve_{transport}"] = figures
            print(json.dumps({transport: figures}), flush=True)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    return report
