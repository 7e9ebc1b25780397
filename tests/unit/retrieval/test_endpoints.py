"""The production providers over HTTP, against httpx's MockTransport."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from kefu.settings import Settings
from serving.embedding import E5Embedder, EmbedderError, OpenAIEmbedder, build_embedder
from serving.protocols import Embedder, Passage, Reranker
from serving.rerank import HttpReranker, LearnedReranker, RerankerError, build_reranker


def _embeddings_endpoint(seen: list[dict[str, object]]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append({"path": request.url.path, "auth": request.headers.get("authorization"), **body})
        data = [{"index": i, "embedding": [float(len(t)), 1.0, 0.0]} for i, t in enumerate(body["input"])]
        return httpx.Response(200, json={"data": list(reversed(data))})  # out of order on purpose

    return httpx.MockTransport(handle)


def test_openai_embedder_batches_prefixes_orders_and_normalises() -> None:
    seen: list[dict[str, object]] = []
    embedder = OpenAIEmbedder(
        "http://e/v1/", "e5", api_key="k", batch_size=2, query_prefix="query: ", transport=_embeddings_endpoint(seen)
    )
    vectors = embedder.embed_queries(["a", "bb", "ccc"])
    assert [s["input"] for s in seen] == [["query: a", "query: bb"], ["query: ccc"]]
    assert seen[0]["path"] == "/v1/embeddings" and seen[0]["auth"] == "Bearer k" and seen[0]["model"] == "e5"
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    assert vectors[0, 0] < vectors[2, 0]  # "query: a" is shorter than "query: ccc": order kept
    assert embedder.dim == 3


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(503, text="overloaded"), "answered 503: overloaded"),
        (httpx.Response(200, json={"nope": []}), "malformed"),
        (httpx.Response(200, json={"data": []}), "returned 0 vectors for 1 texts"),
    ],
)
def test_openai_embedder_failures_raise_embedder_error_naming_the_endpoint(
    response: httpx.Response, message: str
) -> None:
    embedder = OpenAIEmbedder("http://e/v1", "m", dim=3, transport=httpx.MockTransport(lambda _: response))
    with pytest.raises(EmbedderError, match=message) as caught:
        embedder.embed_passages(["x"])
    assert "http://e/v1/embeddings" in str(caught.value)


def test_openai_embedder_timeout_is_an_embedder_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(EmbedderError, match="timed out"):
        OpenAIEmbedder("http://e/v1", "m", dim=3, timeout_s=0.5, transport=httpx.MockTransport(slow)).embed_queries(
            ["x"]
        )


def test_build_embedder_uses_the_endpoint_only_when_a_base_url_is_set() -> None:
    remote = build_embedder(
        Settings(embeddings_base_url="http://e/v1", embeddings_model="BAAI/bge-m3", embeddings_dim=1024)
    )
    assert isinstance(remote, OpenAIEmbedder) and remote.model_id == "BAAI/bge-m3" and remote.query_prefix == ""
    local = build_embedder(Settings(embeddings_base_url=""))  # docker-compose passes an empty value
    assert isinstance(local, E5Embedder) and isinstance(local, Embedder)


PASSAGES = [Passage("1", "s", "退货运费"), Passage("2", "s", "发票"), Passage("3", "s", "保修")]


def test_http_reranker_reads_cohere_style_results_by_index() -> None:
    seen: list[dict[str, object]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(
            200,
            json={
                "results": [
                    {"index": 2, "relevance_score": 0.1},
                    {"index": 0, "relevance_score": 0.9},
                    {"index": 1, "relevance_score": 0.4},
                ]
            },
        )

    reranker = HttpReranker("http://r/v1", "bge", transport=httpx.MockTransport(handle))
    assert reranker.score("运费", PASSAGES) == [0.9, 0.4, 0.1]
    assert seen[0]["documents"] == ["退货运费", "发票", "保修"] and seen[0]["top_n"] == 3


def test_http_reranker_tei_style_turns_raw_logits_into_probabilities() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content)["texts"] == ["退货运费", "发票", "保修"]
        return httpx.Response(
            200, json=[{"index": 0, "score": 3.0}, {"index": 1, "score": -2.0}, {"index": 2, "score": 0.0}]
        )

    scores = HttpReranker("http://r", "bge", style="tei", transport=httpx.MockTransport(handle)).score("运费", PASSAGES)
    assert scores[0] > 0.95 and scores[1] < 0.2 and scores[2] == 0.5


def test_http_reranker_missing_scores_are_an_error() -> None:
    transport = httpx.MockTransport(
        lambda _: httpx.Response(200, json={"results": [{"index": 0, "relevance_score": 0.5}]})
    )
    with pytest.raises(RerankerError, match="scored 1 of 3"):
        HttpReranker("http://r", "bge", transport=transport).score("q", PASSAGES)


def test_build_reranker_prefers_the_endpoint_and_falls_back_to_the_shipped_model() -> None:
    remote = build_reranker(Settings(rerank_base_url="http://r/v1", rerank_api_style="tei"))
    assert isinstance(remote, HttpReranker) and remote.style == "tei"
    local = build_reranker(Settings(rerank_base_url=""))
    assert isinstance(local, LearnedReranker) and isinstance(local, Reranker)
