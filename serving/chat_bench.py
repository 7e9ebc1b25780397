"""``kefu bench responder``: knowledge-base questions through the whole loop, timed as a customer sees them.

Each of N concurrent conversations asks the sample FAQ's questions in turn through ``POST /v1/chat/completions``
with ``stream: true`` (API -> inbound -> enrich -> respond -> reply deltas -> SSE). Time to first token is the time
to the first non-empty content chunk; total is the time to the final chunk. Needs a running platform with the
responder on and the sample KB ingested for the tenant the key maps to (``kefu kb ingest --sample``).
"""

from __future__ import annotations

import asyncio
import collections
import json
import statistics
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import httpx


@dataclass
class Turn:
    """One question's outcome as the client saw it."""

    ttft_s: float | None = None
    total_s: float | None = None
    chunks: int = 0
    text: str = ""
    kefu: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def sample_questions(limit: int) -> list[str]:
    """Chinese questions of the shipped sample FAQ (what the KB answers)."""
    lines = resources.files("serving").joinpath("knowledge/sample_kb/faq.jsonl").read_text(encoding="utf-8")
    questions = [json.loads(line)["question"] for line in lines.splitlines() if line.strip()]
    return [q for q in questions if not q.isascii()][:limit]


async def ask(client: httpx.AsyncClient, conversation_id: str, question: str) -> Turn:
    turn = Turn()
    started = time.perf_counter()
    body = {
        "model": "kefu",
        "stream": True,
        "user": conversation_id,
        "messages": [{"role": "user", "content": question}],
    }
    try:
        async with client.stream("POST", "/v1/chat/completions", json=body) as response:
            if response.status_code != 200:
                await response.aread()
                turn.error = f"http_{response.status_code}"
                return turn
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                if line == "data: [DONE]":
                    turn.total_s = time.perf_counter() - started
                    break
                event = json.loads(line[6:])
                if "error" in event:
                    turn.error = str(event["error"].get("type", "error"))
                    return turn
                content = event["choices"][0]["delta"].get("content")
                if content:
                    turn.chunks += 1
                    turn.text += content
                    if turn.ttft_s is None:
                        turn.ttft_s = time.perf_counter() - started
                if "kefu" in event and event["choices"][0]["finish_reason"]:
                    turn.kefu = event["kefu"]
    except httpx.HTTPError as error:
        turn.error = type(error).__name__
    if turn.error is None and turn.total_s is None:
        turn.error = "no_done"
    return turn


async def conversation(client: httpx.AsyncClient, name: str, questions: list[str]) -> list[Turn]:
    return [await ask(client, name, question) for question in questions]


def _quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {"p50": round(statistics.median(ordered), 3), "p95": round(p95, 3), "max": round(ordered[-1], 3)}


async def run_responder_bench(
    http: str, api_key: str, *, conversations: int, turns: int, warmup: int = 1, timeout_s: float = 300.0
) -> dict[str, Any]:
    """Drive ``conversations`` concurrent conversations of ``turns`` KB questions each; figures as a dict."""
    questions = sample_questions(max(turns * conversations, 1))
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=http, headers=headers, timeout=timeout_s) as client:
        for n in range(warmup):  # loads the models' caches and the responder's retrieval; not counted
            await ask(client, f"bench-warmup-{time.time_ns()}-{n}", questions[n % len(questions)])
        started = time.perf_counter()
        plans = [
            [questions[(c + t * conversations) % len(questions)] for t in range(turns)] for c in range(conversations)
        ]
        results = await asyncio.gather(
            *(conversation(client, f"bench-{time.time_ns()}-{c}", plan) for c, plan in enumerate(plans))
        )
        wall = time.perf_counter() - started
    report: dict[str, Any] = {"conversations": conversations, "turns_per_conversation": turns}
    report.update(summarize([t for turns_ in results for t in turns_]))
    report["wall_s"] = round(wall, 2)
    return report


def outcome(turn: Turn) -> str:
    """What answered: the generator profile, ``cache``, ``canned``, ``extractive`` or ``handoff:<reason>``."""
    handoff = turn.kefu.get("handoff")
    return "handoff:" + handoff["reason"] if handoff else str(turn.kefu.get("model_profile"))


def summarize(done: list[Turn]) -> dict[str, Any]:
    """Figures over every answered turn, and the same per outcome.

    The overall quantiles mix what was generated with what the answer cache or a canned reply answered at
    once; ``by_outcome`` keeps them apart, so a second run on the same platform (whose repeats the cache
    answers) is not read as faster generation.
    """
    ok = [t for t in done if t.error is None]
    groups: dict[str, list[Turn]] = collections.defaultdict(list)
    for turn in ok:
        groups[outcome(turn)].append(turn)
    return {
        "requests": len(done),
        "errors": len(done) - len(ok),
        "error_kinds": dict(collections.Counter(t.error for t in done if t.error)),
        "ttft_s": _quantiles([t.ttft_s for t in ok if t.ttft_s is not None]),
        "total_s": _quantiles([t.total_s for t in ok if t.total_s is not None]),
        "content_chunks_per_reply": round(statistics.mean([t.chunks for t in ok]), 2) if ok else None,
        "outcomes": {name: len(turns) for name, turns in groups.items()},
        "by_outcome": {
            name: {
                "n": len(turns),
                "ttft_s": _quantiles([t.ttft_s for t in turns if t.ttft_s is not None]),
                "total_s": _quantiles([t.total_s for t in turns if t.total_s is not None]),
            }
            for name, turns in sorted(groups.items())
        },
        "with_citations": sum(1 for t in ok if t.kefu.get("citations")),
    }
