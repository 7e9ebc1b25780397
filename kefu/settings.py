"""The one settings object. Every knob is an environment variable ``KEFU_<NAME>``.

Embedded mode (the default) is what you get when ``KEFU_KAFKA_BOOTSTRAP`` and ``KEFU_SCHEMA_REGISTRY_URL``
are unset: ``kefu up`` starts a broker and a registry of its own. Setting them points the same code at
production services. Nothing else reads the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Kefu's configuration; see the README's table for what each field does."""

    model_config = SettingsConfigDict(env_prefix="KEFU_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".kefu"), description="Where embedded state lives (registry, keys, stores).")

    kafka_bootstrap: str | None = Field(None, description="host:port list of a Kafka cluster; unset = embedded.")
    schema_registry_url: str | None = Field(None, description="Schema registry URL; unset = embedded.")
    topic_partitions: int = Field(4, ge=1, description="Partitions per topic when Kefu creates topics.")
    topic_replication: int = Field(1, ge=1, description="Replication factor when Kefu creates topics.")
    topic_prefix: str = Field("", description="Prefix on every topic name (shared clusters).")

    workers: int = Field(1, ge=1, description="Faust worker processes that `kefu up` starts.")
    worker_batch_size: int = Field(500, ge=1, description="Events a worker processes per batch.")
    worker_batch_ms: int = Field(20, ge=1, description="Longest a worker waits to fill a batch.")
    broker_session_timeout_s: float = Field(6.0, gt=0, description="Consumer session timeout (seconds).")
    producer_linger_ms: int = Field(10, ge=0, description="Producer linger: batches small sends.")

    http_host: str = Field("127.0.0.1", description="Interface the HTTP API binds.")
    http_port: int = Field(0, ge=0, description="HTTP API port; 0 picks a free one.")
    registry_port: int = Field(0, ge=0, description="Embedded registry port; 0 picks a free one.")
    kafka_port: int = Field(0, ge=0, description="Embedded broker port; 0 picks a free one.")
    max_request_bytes: int = Field(5 * 2**20, ge=1024, description="Largest HTTP request body accepted.")
    max_text_chars: int = Field(20_000, ge=1, description="Longest message text accepted.")

    api_keys: str | None = Field(
        None,
        description="Comma-separated `tenant:sha256hex` pairs; unset = embedded dev key in the data dir.",
    )
    tenants: str | None = Field(None, description="Comma-separated known tenant ids; unset = any tenant.")
    wechat_token: str | None = Field(None, description="WeChat callback token; unset = WeChat channel off.")
    wechat_tenant: str = Field("default", description="Tenant that WeChat callbacks belong to.")
    max_events_per_request: int = Field(1000, ge=1, description="Most events one POST /v1/events may carry.")
    metrics_port: int = Field(9102, ge=0, description="Port of a worker's /metrics; 0 = off.")

    # --- Knowledge base and retrieval ---
    milvus_uri: str | None = Field(
        None,
        description="Milvus URI (http://host:19530) or a milvus-lite .db path; unset = the embedded KB (see docs).",
    )
    milvus_token: str | None = Field(None, description="Milvus token (user:password); unset = none.")
    kb_collection: str = Field("kefu_kb", description="Milvus collection that holds the knowledge chunks.")
    embeddings_base_url: str | None = Field(
        None, description="OpenAI-compatible embeddings endpoint (…/v1); unset = multilingual-e5-small in process."
    )
    embeddings_model: str = Field("intfloat/multilingual-e5-small", description="Model name sent to that endpoint.")
    embeddings_api_key: str | None = Field(None, description="Bearer key for the embeddings endpoint.")
    embeddings_dim: int | None = Field(None, ge=1, description="Endpoint's vector size; unset = asked once.")
    embeddings_timeout_s: float = Field(10.0, gt=0, description="Timeout of one embeddings request (seconds).")
    embeddings_batch_size: int = Field(32, ge=1, description="Texts per embeddings call.")
    rerank_base_url: str | None = Field(
        None, description="Cohere/Jina/TEI-style /rerank endpoint; unset = Kefu's learned ranker in process."
    )
    rerank_model: str = Field("BAAI/bge-reranker-v2-m3", description="Model name sent to the rerank endpoint.")
    rerank_api_key: str | None = Field(None, description="Bearer key for the rerank endpoint.")
    rerank_api_style: Literal["cohere", "tei"] = Field(
        "cohere", description="Rerank request body: `cohere` (Cohere/Jina/Infinity/vLLM) or `tei`."
    )
    rerank_timeout_s: float = Field(5.0, gt=0, description="Timeout of one rerank request (seconds).")
    retrieval_candidates: int = Field(50, ge=1, description="Candidates each of dense and BM25 search return.")
    retrieval_rerank_top: int = Field(50, ge=1, description="Fused candidates the reranker scores.")
    retrieval_top_k: int = Field(5, ge=1, description="Passages retrieval returns by default.")
    retrieval_rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")

    log_level: str = Field("INFO", description="Python log level.")
    ready_timeout_s: float = Field(30.0, gt=0, description="How long `kefu up` waits for each part.")

    @property
    def embedded_kafka(self) -> bool:
        return self.kafka_bootstrap is None

    @property
    def embedded_registry(self) -> bool:
        return self.schema_registry_url is None

    @property
    def state_file(self) -> Path:
        return self.data_dir / "state.json"

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def known_tenants(self) -> frozenset[str] | None:
        if not self.tenants:
            return None
        return frozenset(t.strip() for t in self.tenants.split(",") if t.strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
