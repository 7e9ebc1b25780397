"""In-process answer benchmark: the responder's real prompt through the embedded generator, timed and judged.

The platform benchmark (``kefu bench responder``) measures what a customer sees but goes through Kafka, four
workers and an HTTP stream on a shared machine; this one keeps only the parts that decide time to first
text and answer quality: retrieval on the sample KB, passage focusing, the prompt, llama.cpp (its own
counters give the prompt tokens it evaluated, i.e. those not reused from the cached prefix, and their
milliseconds), the streaming buffer and gate, and the whole-answer grounding check. The questions are the
labelled sample-KB calibration queries (``processors/responder/calibration_data``), not the dialogue
evaluation set, so settings chosen on them are not tuned on the figures ``kefu eval dialogue`` reports.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

from kefu.settings import Settings
from processors.moderation import screen_passages
from processors.responder import (
    SentenceBuffer,
    SentenceGate,
    build_messages,
    check_grounded,
    drop_restatements,
    focus_passages,
    relevant_passages,
)
from serving.generation.chat_template import render_chatml

__all__ = ["AnswerRun", "run_answers_bench"]


@dataclass(frozen=True)
class AnswerRun:
    question: str
    fact: str
    retrieval_ms: float
    prompt_tokens: int
    prompt_tokens_evaluated: int
    prompt_eval_ms: float
    first_token_ms: float
    first_text_ms: float | None
    """Until the gate admitted the first piece (clause or sentence); None when nothing was admitted."""
    total_ms: float
    grounded: bool
    has_fact: bool
    text: str


def _questions(limit: int) -> list[dict[str, Any]]:
    path = resources.files("processors.responder") / "calibration_data" / "sample_kb_queries.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    answerable = [r for r in rows if r.get("answerable")]
    step = max(1, len(answerable) // max(limit, 1))
    return answerable[::step][:limit]


def _quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1), "max": round(ordered[-1], 1)}


def run_answers_bench(
    settings: Settings,
    *,
    questions: int = 16,
    prompt_passages: int = 2,
    passage_chars: int = 120,
    relevant_share: float = 0.05,
    max_tokens: int = 160,
    temperature: float = 0.0,
    rows: bool = False,
) -> dict[str, Any]:
    """Answer ``questions`` sample-KB questions with the quality generator; latency split and quality as JSON."""
    from jobs.sample_kb_index import sample_kb
    from serving.generation.factory import build_generator

    generator: Any = build_generator(settings, "quality")
    runs: list[AnswerRun] = []
    with sample_kb(settings, "default") as kb:
        kb.retriever.retrieve("预热", "default", 5)  # load the embedder and reranker outside the timings
        for row in _questions(questions):
            question = str(row["text"])
            started = time.perf_counter()
            found = screen_passages(list(kb.retriever.retrieve(question, "default", 5).passages))
            passages = relevant_passages(found, min_share=relevant_share)  # as the Responder does
            retrieved = time.perf_counter()
            shown = focus_passages(question, passages, max_passages=prompt_passages, max_chars=passage_chars)
            messages = build_messages(question, shown)
            buffer, gate = (
                SentenceBuffer(first_clause=True),
                SentenceGate(passages, messages[0].content, question=question),
            )
            first_token = first_text = None
            text = ""
            generation_started = time.perf_counter()
            for piece in generator.stream(messages, max_tokens=max_tokens, temperature=temperature):
                now = time.perf_counter()
                first_token = first_token or now
                text += piece
                for clause in buffer.feed(piece):
                    if gate.admit(clause) is not None and first_text is None:
                        first_text = now
            ended = time.perf_counter()
            for clause in buffer.flush():
                if gate.admit(clause) is not None and first_text is None:
                    first_text = ended
            timings = generator.last_timings() if hasattr(generator, "last_timings") else {}
            body = drop_restatements(text, question)
            runs.append(
                AnswerRun(
                    question=question,
                    fact=str(row.get("fact", "")),
                    retrieval_ms=round((retrieved - started) * 1000, 1),
                    prompt_tokens=generator.count_tokens(render_chatml(messages)),
                    prompt_tokens_evaluated=int(timings.get("prompt_tokens_evaluated", -1)),
                    prompt_eval_ms=float(timings.get("prompt_eval_ms", -1.0)),
                    first_token_ms=round(((first_token or ended) - generation_started) * 1000, 1),
                    first_text_ms=None if first_text is None else round((first_text - started) * 1000, 1),
                    total_ms=round((ended - started) * 1000, 1),
                    grounded=check_grounded(body, passages, question=question).supported,
                    has_fact=bool(row.get("fact")) and str(row["fact"]) in body,
                    text=text,
                )
            )
    system_tokens = generator.count_tokens(render_chatml(build_messages("", [])[:1]))
    report: dict[str, Any] = {
        "questions": len(runs),
        "generator": getattr(generator, "model_id", "?"),
        "threads": settings.llm_threads,
        "prompt_passages": prompt_passages,
        "passage_chars": passage_chars,
        "relevant_share": relevant_share,
        "temperature": temperature,
        "system_prompt_tokens": system_tokens,
        "prompt_tokens": _quantiles([r.prompt_tokens for r in runs]),
        "prompt_tokens_evaluated": _quantiles([r.prompt_tokens_evaluated for r in runs]),
        "retrieval_ms": _quantiles([r.retrieval_ms for r in runs]),
        "prompt_eval_ms": _quantiles([r.prompt_eval_ms for r in runs]),
        "first_token_ms": _quantiles([r.first_token_ms for r in runs]),
        "first_text_ms": _quantiles([r.first_text_ms for r in runs if r.first_text_ms is not None]),
        "total_ms": _quantiles([r.total_ms for r in runs]),
        "streamed_something": sum(r.first_text_ms is not None for r in runs),
        "grounded": sum(r.grounded for r in runs),
        "grounded_with_fact": sum(r.grounded and r.has_fact for r in runs),
    }
    if rows:
        report["rows"] = [r.__dict__ for r in runs]
    return report
