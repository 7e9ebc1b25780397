"""``kefu bench cache``: latency of answers from the semantic answer cache against answers from retrieval.

The real Responder (``build_responder``) over the sample KB in a temporary milvus-lite; generation is a
:func:`quoting_generator` (the top FAQ passage's answer, cited: no model time in the figures), because answers
made while the generator fails are never cached. Each
FAQ question of the sample KB is asked once in a conversation of its own (a miss: retrieval, rerank, answer,
then cached), then again in ``rounds`` new conversations (hits). Latency is measured around ``respond`` (the
whole decision path: state load/save, moderation, condensation, embedding, KB version check, lookup), with
the per-message embedding memo emptied after every message so that hits pay for their embedding.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jobs.kb_ingest import sample_kb_dir
from jobs.sample_kb_index import sample_kb
from kefu.settings import Settings
from serving.protocols import ChatMessage, ProfileChoice
from streams.responder.answer_cache import QueryMemo
from streams.responder.wiring import build_responder

TENANT = "bench"


async def quoting_generator(messages: Sequence[ChatMessage], choice: ProfileChoice) -> str:
    """A stand-in model that answers with the first FAQ passage's answer line and cites it: instant, grounded."""
    prompt = messages[-1].content
    return prompt.split("答：", 1)[1].split("\n", 1)[0] + "[1]" if "答：" in prompt else "抱歉，我不确定。"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2) if ordered else 0.0


def _event(n: int, conversation: str, text: str) -> dict[str, Any]:
    return {
        "event_id": f"bench-{n}",
        "conversation_id": conversation,
        "tenant_id": TENANT,
        "channel": "web",
        "user_id": conversation,
        "role": "customer",
        "text": text,
        "ts": 1_795_248_000_000 + n,
        "locale": "zh-CN",
        "metadata": {},
        "pii_entities": [],
        "intent": "unknown",
        "intent_confidence": 0.9,
        "intents": [],
        "sentiment": {"polarity": "neutral", "score": 0.0, "emotion": "neutral", "emotion_confidence": 0.9},
        "model_versions": {},
        "enriched_ts": 0,
    }


async def _run(responder: Any, questions: list[str], rounds: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    n = 0
    for round_ in range(rounds + 1):
        for question in questions:
            n += 1
            started = time.perf_counter()
            outcome = await responder.respond(_event(n, f"c{round_}-{n}", question))
            elapsed = (time.perf_counter() - started) * 1000
            profile = outcome.reply["model_profile"]
            kind = "hit" if profile == "cache" else ("miss_answered" if outcome.action == "answer" else "other")
            timings.setdefault(kind, []).append(elapsed)
    return timings


def run_cache_bench(settings: Settings, *, rounds: int = 3) -> dict[str, Any]:
    questions = [
        json.loads(line)["question"]
        for line in (sample_kb_dir() / "faq.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    with tempfile.TemporaryDirectory(prefix="kefu-bench-cache-") as tmp:
        local = settings.model_copy(update={"data_dir": Path(tmp), "answer_cache_enabled": True})
        with sample_kb(local, TENANT) as kb:
            responder = build_responder(local, retriever=kb.retriever, generate=quoting_generator)
            # Forget every query vector after each message: a hit is timed with its embedding, as for a text
            # this worker has not seen among its last queries (misses then embed twice: pessimistic).
            memo = kb.retriever.embedder
            assert isinstance(memo, QueryMemo)
            memo.size = 0
            timings = asyncio.run(_run(responder, questions, rounds))
            responder.store.close()
    return {
        "questions": len(questions),
        "rounds": rounds,
        "cache_threshold": settings.answer_cache_threshold,
        **{
            kind: {"n": len(v), "p50_ms": _percentile(v, 0.5), "p95_ms": _percentile(v, 0.95)}
            for kind, v in sorted(timings.items())
        },
    }
