"""Ray Serve end to end: each deployment through ModelClient from this (another) process, over handles and
HTTP; a dead quality endpoint falls back to the fast profile; a killed replica is replaced."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time

import numpy as np
import pytest

from serving.client import ModelClient
from serving.deployments.apps import EMBEDDER_APP
from serving.errors import ModelUnavailable
from serving.protocols import ChatMessage, Passage, ProfileChoice

from .conftest import Serving
from .doubles import HashingEmbedder, OverlapReranker

pytestmark = pytest.mark.slow
CJK = re.compile(r"[\u4e00-\u9fff]")
QUESTION = [ChatMessage("system", "你是电商客服。用中文回答。"), ChatMessage("user", "请用两三句话介绍一下退货流程。")]
PASSAGES = [Passage("a", "faq", "物流信息在我的订单里查看"), Passage("b", "faq", "发票在下单时填写抬头")]


@pytest.mark.parametrize("transport", ["handle", "http"])
async def test_embed_and_rerank_match_the_models_in_process(serving: Serving, transport: str) -> None:
    client = await ModelClient.connect(serving.settings, transport)
    try:
        texts = ["我的快递到哪了？", "invoice please"]
        vectors = await client.embed_queries(texts)
        np.testing.assert_allclose(vectors, HashingEmbedder().embed_queries(texts), rtol=1e-6)
        scores = await client.rerank("怎么查物流", PASSAGES)
        assert scores == pytest.approx(OverlapReranker().score("怎么查物流", PASSAGES))
        assert scores[0] > scores[1]
    finally:
        await client.aclose()


async def test_concurrent_embed_calls_all_get_their_own_vectors(serving: Serving) -> None:
    client = await ModelClient.connect(serving.settings, "handle")
    texts = [f"问题{n}号：退货" for n in range(40)]
    try:
        results = await asyncio.gather(*(client.embed_queries([t]) for t in texts))
    finally:
        await client.aclose()
    np.testing.assert_allclose(np.vstack(results), HashingEmbedder().embed_queries(texts), rtol=1e-6)


@pytest.mark.parametrize("transport", ["handle", "http"])
async def test_dead_quality_endpoint_falls_back_to_the_fast_profile(serving: Serving, transport: str) -> None:
    client = await ModelClient.connect(serving.settings, transport)
    try:
        answer = await client.generate(QUESTION, max_tokens=24, temperature=0.0)
        choice = ProfileChoice()
        pieces = [p async for p in client.stream(QUESTION, max_tokens=24, temperature=0.0, choice=choice)]
    finally:
        await client.aclose()
    assert len(CJK.findall(answer)) >= 3, answer
    assert len(pieces) > 1 and "".join(pieces).strip()
    # the replica's token counts crossed the serving boundary (a handle's last item, an NDJSON usage line)
    assert choice.usage is not None and choice.usage.prompt_tokens > 10 and 0 < choice.usage.completion_tokens <= 24
    assert choice.answered == "fast"
    assert client.fallbacks == 2
    assert (
        sum(n for (_, reason), n in client.unavailable.items() if reason in ("connect", "transport", "http_500")) == 2
    )


@pytest.mark.parametrize("transport", ["handle", "http"])
async def test_a_stream_stopped_early_still_reports_its_prompt_and_the_pieces_read(
    serving: Serving, transport: str
) -> None:
    # the responder's sentence gate stops reading mid-answer; the replica's last item (the answer's count) never
    # comes, but the prompt's count came before the first piece
    client = await ModelClient.connect(serving.settings, transport)
    choice = ProfileChoice()
    try:
        stream = client.stream(QUESTION, max_tokens=24, temperature=0.0, choice=choice)
        read = [await anext(stream), await anext(stream)]
        await stream.aclose()
    finally:
        await client.aclose()
    assert all(read)
    assert choice.usage is not None and choice.usage.prompt_tokens > 10
    assert choice.usage.completion_tokens == 2


async def test_killed_replica_is_replaced_and_meanwhile_calls_fail_as_model_unavailable(serving: Serving) -> None:
    import ray

    client = await ModelClient.connect(serving.settings, "handle")

    def replicas() -> list[dict[str, str]]:
        return [
            a
            for a in ray.util.list_named_actors(all_namespaces=True)
            if a["name"].startswith("SERVE_REPLICA") and EMBEDDER_APP in a["name"]
        ]

    [victim] = replicas()
    ray.kill(ray.get_actor(victim["name"], namespace=victim["namespace"]), no_restart=True)
    failures: list[BaseException] = []
    deadline = time.monotonic() + 90
    recovered = False
    try:
        while time.monotonic() < deadline:
            try:
                await client.embed_queries(["还在吗"])
                if [r["name"] for r in replicas()] not in ([], [victim["name"]]):
                    recovered = True
                    break
            except Exception as error:
                failures.append(error)
            await asyncio.sleep(0.5)
    finally:
        await client.aclose()
    assert recovered, f"no new replica after 90 s; failures: {failures[-3:]}"
    assert all(isinstance(f, ModelUnavailable) for f in failures), failures


def test_model_replicas_run_at_the_normal_priority_not_rays_default_niceness(serving: Serving) -> None:
    """Ray starts workers 15 nicer than itself; a generator at 15 loses the cores to the broker's polling."""
    out = subprocess.run(["ps", "-ww", "-eo", "ni,args"], capture_output=True, text=True, check=True).stdout
    replicas = [line.split(None, 1) for line in out.splitlines() if "ray::ServeReplica" in line]
    assert replicas, "no Serve replica process found"
    assert {int(niceness) for niceness, _ in replicas} == {os.nice(0)}, replicas  # as `kefu serve`: as this test
