"""``kefu bench ...``: benchmarks that print their figures as JSON (see docs/benchmarks.md)."""

from __future__ import annotations

import json
from typing import Annotated, cast

import typer

bench_app = typer.Typer(help="Benchmarks; each prints JSON figures.", no_args_is_help=True)


@bench_app.command("enrich")
def bench_enrich(
    events: Annotated[int, typer.Option(help="Events in the throughput phase.", min=100)] = 50_000,
    rate: Annotated[int, typer.Option(help="Offered events/s in the latency phase.", min=1)] = 1000,
    seconds: Annotated[float, typer.Option(help="Length of the latency phase.", min=1)] = 10.0,
    partitions: Annotated[int, typer.Option(help="Partitions of the benchmark topics.", min=1)] = 4,
    rounds: Annotated[int, typer.Option(help="Alternating rounds of each runner (medians are reported).", min=1)] = 3,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes of each runner in one consumer group (Faust: KEFU_WORKERS); default one per core.", min=1
        ),
    ] = None,
) -> None:
    """Dedupe -> PII -> intent -> sentiment through Faust and a plain confluent-kafka loop, same events."""
    from kefu.cores import available_cores
    from streams.bench.enrich import run_bench

    print(json.dumps(run_bench(events, rate, seconds, partitions, rounds, workers or available_cores()), indent=1))


@bench_app.command("chain")
def bench_chain(
    events: Annotated[int, typer.Option(help="Synthetic events to process.", min=100)] = 20_000,
    batch_size: Annotated[int, typer.Option(help="Events per batch (the worker's batch size).", min=1)] = 500,
    tune_gc: Annotated[bool, typer.Option(help="Tune the garbage collector as the workers do.")] = True,
) -> None:
    """The inbound stage in-process (no broker), whole and step by step, in events per CPU second."""
    from kefu.settings import get_settings
    from streams.bench.chain import run_chain_bench

    print(json.dumps(run_chain_bench(get_settings(), events, batch_size, tune_gc=tune_gc), indent=1))


@bench_app.command("cache")
def bench_cache(
    rounds: Annotated[int, typer.Option(help="Times each FAQ question is asked again.", min=1)] = 3,
) -> None:
    """Reply latency of semantic-cache hits against retrieval answers (real Responder, sample KB)."""
    from jobs.bench_answer_cache import run_cache_bench
    from kefu.settings import get_settings

    print(json.dumps(run_cache_bench(get_settings(), rounds=rounds), indent=1))


@bench_app.command("drift")
def bench_drift(
    seeds: Annotated[int, typer.Option(help="Shifted streams per metric.", min=1)] = 10,
    before: Annotated[int, typer.Option(help="Stationary events before the shift.", min=100)] = 5000,
    after: Annotated[int, typer.Option(help="Events after the shift.", min=100)] = 5000,
    stationary: Annotated[int, typer.Option(help="Events per stationary-only stream.", min=1000)] = 50_000,
) -> None:
    """Detection delay, misses and false alarms per 10k events of the drift detectors on synthetic streams."""
    from processors.drift.benchmark import run_drift_bench

    print(json.dumps(run_drift_bench(seeds=seeds, before=before, after=after, stationary=stationary), indent=1))


@bench_app.command("drift-agent")
def bench_drift_agent(
    events: Annotated[int, typer.Option(help="Customer messages to enrich and feed the drift stage.")] = 20_000,
    batch: Annotated[int, typer.Option(help="Records per batch, as a worker takes them.")] = 500,
) -> None:
    """Events/s of the drift agent's stage next to the enrichment it follows, in one process (JSON)."""
    from streams.bench.drift_agent import run_drift_agent_bench

    print(json.dumps(run_drift_agent_bench(events=events, batch=batch), indent=1))


@bench_app.command("sink")
def bench_sink(
    events: Annotated[int, typer.Option(help="EnrichedEvents to write.")] = 200_000,
    batch_rows: Annotated[int, typer.Option(help="Rows per flush.")] = 50_000,
    dsn: Annotated[str | None, typer.Option(help="Store to write to; default a scratch chDB directory.")] = None,
) -> None:
    """Rows/s through the ClickHouse sink: Avro decode, Arrow rows, insert (Kafka not included)."""
    from streams.store.bench import bench_sink as run

    print(json.dumps(run(events, batch_rows, dsn), indent=1))


@bench_app.command("kpi")
def bench_kpi(
    events: Annotated[int, typer.Option(help="Records to generate, all tables together.")] = 10_000_000,
    repeat: Annotated[int, typer.Option(help="Runs per query (the median is reported).")] = 3,
    exact: Annotated[bool, typer.Option(help="Also time the query-time view kpi_hourly (slow).")] = False,
    dsn: Annotated[str | None, typer.Option(help="Store to use; default a scratch chDB directory.")] = None,
) -> None:
    """Generate conversations in the store, refresh the KPI rollup, time the KPI queries."""
    from streams.store.bench import bench_kpi as run

    print(json.dumps(run(events, repeat, dsn, exact), indent=1))


@bench_app.command("serving")
def bench_serving(
    profile: Annotated[list[str] | None, typer.Option(help="Profiles to time: fast, quality (default both).")] = None,
    prompt_tokens: Annotated[int, typer.Option(help="Prompt length for time to first token.")] = 300,
    max_tokens: Annotated[int, typer.Option(help="Tokens generated per run.")] = 64,
    requests: Annotated[int, typer.Option(help="Embed calls per throughput figure.")] = 200,
    through_serve: Annotated[bool, typer.Option(help="Also start `kefu serve` and call it by handle and HTTP.")] = True,
) -> None:
    """Generation TTFT and tokens/s in-process; embed/rerank/generate through Ray Serve (handle and HTTP)."""
    from kefu.settings import get_settings
    from serving.benchmark import run_serving_bench
    from serving.models import Profile

    names = profile or ["fast", "quality"]
    if unknown := set(names) - {"fast", "quality"}:
        raise typer.BadParameter(f"unknown profile(s) {sorted(unknown)}; choose fast and/or quality")
    profiles = [cast(Profile, p) for p in names]
    report = run_serving_bench(get_settings(), profiles, prompt_tokens, max_tokens, requests, through_serve)
    print(json.dumps(report, indent=1, ensure_ascii=False))


@bench_app.command("retrieval")
def retrieval(
    chunks: Annotated[int, typer.Option(help="Chunks in the generated knowledge base.")] = 20_000,
    queries: Annotated[int, typer.Option(help="Queries timed per stage.")] = 100,
) -> None:
    """Embed, search (dense, BM25, hybrid) and rerank latency p50/p95 and rates, as JSON."""
    from jobs.bench_retrieval import bench_retrieval
    from kefu.settings import get_settings
    from serving.embedding.factory import build_embedder
    from serving.rerank.factory import build_reranker

    settings = get_settings()
    embedder = build_embedder(settings)
    reranker = build_reranker(settings, embedder)
    result = bench_retrieval(
        embedder,
        reranker,
        chunks=chunks,
        queries=queries,
        candidates=settings.retrieval_candidates,
        rerank_top=settings.retrieval_rerank_top,
    )
    print(json.dumps({"embedder": embedder.model_id, "reranker": reranker.model_id, **result}))


@bench_app.command("load")
def bench_load(
    conversations: Annotated[int, typer.Option(help="Simulated customers chatting at once.", min=1)] = 50,
    duration: Annotated[float, typer.Option(help="Seconds during which new turns are sent.", min=1)] = 300.0,
    turns: Annotated[int, typer.Option(help="Customer messages per conversation.", min=1)] = 4,
    think_s: Annotated[float, typer.Option(help="Mean pause after a reply before the next turn (s).", min=0)] = 1.0,
    tenant: Annotated[str, typer.Option(help="Tenant the conversations belong to.")] = "default",
    api_key: Annotated[str | None, typer.Option(help="API key; default the running platform's (kefu status).")] = None,
    settle: Annotated[float, typer.Option(help="Seconds to wait for the store before counting losses.")] = 30.0,
) -> None:
    """Concurrent multi-turn conversations through /v1/chat/completions, reconciled with ClickHouse by event id."""
    from kefu.settings import get_settings
    from kefu.state import resolve_endpoints
    from serving.loadtest import LoadConfig, run_load
    from streams.store.client import StoreClient

    settings = get_settings()
    endpoints = resolve_endpoints(settings)
    if endpoints.http is None:
        raise typer.BadParameter("no HTTP API is running (start `kefu up`)")
    config = LoadConfig(conversations, duration, turns, think_s, tenant, settle_s=settle)
    with StoreClient.connect(settings) as store:
        report = run_load(config, endpoints.http, api_key or endpoints.api_key, store)
    print(json.dumps(report, indent=1, ensure_ascii=False))


@bench_app.command("answers")
def bench_answers(
    questions: Annotated[int, typer.Option(help="Sample-KB calibration questions answered.", min=1)] = 16,
    prompt_passages: Annotated[int, typer.Option(help="Passages shown to the model.", min=1)] = 2,
    passage_chars: Annotated[int, typer.Option(help="Characters kept of each passage.", min=20)] = 120,
    relevant_share: Annotated[
        float, typer.Option(help="Passages under this share of the best score are dropped (0: none).", min=0.0)
    ] = 0.05,
    temperature: Annotated[float, typer.Option(help="Sampling temperature (0 = greedy, as the responder).")] = 0.0,
    rows: Annotated[bool, typer.Option(help="Also print every question's answer and timings.")] = False,
) -> None:
    """The responder's prompt through the embedded 1.5B in-process: prompt tokens, prompt-eval / first-text
    split and grounded answers on the sample KB (JSON; no platform needed)."""
    from jobs.bench_answers import run_answers_bench
    from kefu.settings import get_settings

    report = run_answers_bench(
        get_settings(),
        questions=questions,
        prompt_passages=prompt_passages,
        passage_chars=passage_chars,
        relevant_share=relevant_share,
        temperature=temperature,
        rows=rows,
    )
    print(json.dumps(report, indent=1, ensure_ascii=False))


@bench_app.command("responder")
def bench_responder(
    conversations: Annotated[int, typer.Option(help="Concurrent conversations.", min=1)] = 10,
    turns: Annotated[int, typer.Option(help="Knowledge-base questions each conversation asks in turn.", min=1)] = 2,
    warmup: Annotated[int, typer.Option(help="Questions asked first and not counted.", min=0)] = 1,
) -> None:
    """Time to first token and total latency of streamed KB answers through the running platform (JSON).

    API -> inbound -> enrich -> respond -> reply deltas -> SSE; start the platform (`kefu up`) and ingest the
    sample KB (`kefu kb ingest --sample --tenant default`) first.
    """
    import asyncio

    from kefu.settings import get_settings
    from kefu.state import NotRunning, resolve_endpoints
    from serving.chat_bench import run_responder_bench

    settings = get_settings()
    try:
        endpoints = resolve_endpoints(settings)
    except NotRunning as error:
        raise typer.BadParameter(str(error)) from error
    if endpoints.http is None or endpoints.api_key is None:
        raise typer.BadParameter("the running platform has no HTTP API or dev key in its state file")
    report = asyncio.run(
        run_responder_bench(endpoints.http, endpoints.api_key, conversations=conversations, turns=turns, warmup=warmup)
    )
    print(json.dumps(report, indent=1, ensure_ascii=False))
