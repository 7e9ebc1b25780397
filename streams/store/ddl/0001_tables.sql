-- One table per record type of the contract (schemas/avro). Columns are the Avro field names; nested records are
-- flattened with `_`, arrays of records are Nested (`pii_entities.type`, ...), enums are LowCardinality(String),
-- timestamp-millis is DateTime64(3, 'UTC'). `inserted_at` is when the sink wrote the row.
-- Idempotency: ReplacingMergeTree keyed by the sorting key, whose last element is event_id; the other key parts
-- (tenant, hour of ts) are fixed for an event. Read deduplicated rows with FINAL (see docs/analytics.md).
-- Raw-text retention (TTL) is not set here: the store applies it from the settings at start-up (retention.py).

CREATE TABLE IF NOT EXISTS events
(
    event_id String,
    conversation_id String,
    tenant_id LowCardinality(String),
    channel LowCardinality(String),
    user_id String,
    role LowCardinality(String),
    text String,
    ts DateTime64(3, 'UTC'),
    locale LowCardinality(String),
    metadata Map(String, String),
    pii_entities Nested(type LowCardinality(String), start Int32, `end` Int32, placeholder String),
    intent LowCardinality(Nullable(String)),
    intent_confidence Nullable(Float32),
    intents Nested(label LowCardinality(String), confidence Float32),
    sentiment_polarity LowCardinality(Nullable(String)),
    sentiment_score Nullable(Float32),
    sentiment_emotion LowCardinality(Nullable(String)),
    sentiment_emotion_confidence Nullable(Float32),
    model_versions Map(String, String),
    enriched_ts DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX conversation_idx conversation_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant_id, toStartOfHour(ts), event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS bot_replies
(
    event_id String,
    in_reply_to String,
    conversation_id String,
    tenant_id LowCardinality(String),
    channel LowCardinality(String),
    text String,
    citations Nested(source String, chunk_id String, title Nullable(String), score Float32),
    confidence Float32,
    latency_ms Int32,
    model_profile LowCardinality(String),
    handoff_reason LowCardinality(Nullable(String)),
    handoff_detail Nullable(String),
    variant LowCardinality(Nullable(String)),
    ts DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX conversation_idx conversation_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant_id, toStartOfHour(ts), event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS handoffs
(
    event_id String,
    conversation_id String,
    tenant_id LowCardinality(String),
    channel LowCardinality(String),
    reason LowCardinality(String),
    detail String,
    summary String,
    slots Map(String, String),
    intent LowCardinality(Nullable(String)),
    emotion LowCardinality(Nullable(String)),
    priority Int32,
    transcript Nested(role LowCardinality(String), text String, ts DateTime64(3, 'UTC')),
    ts DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX conversation_idx conversation_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant_id, toStartOfHour(ts), event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS feedback
(
    event_id String,
    conversation_id String,
    tenant_id LowCardinality(String),
    reply_id Nullable(String),
    message_id Nullable(String),
    user_id String,
    source LowCardinality(String),
    csat Nullable(Int32),
    thumbs LowCardinality(Nullable(String)),
    resolved Nullable(Bool),
    corrected_intent LowCardinality(Nullable(String)),
    comment Nullable(String),
    ts DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX conversation_idx conversation_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant_id, toStartOfHour(ts), event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS kpi_snapshots
(
    event_id String,
    tenant_id LowCardinality(String),
    channel LowCardinality(String),
    intent LowCardinality(String),
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
    customer_messages Int64,
    conversations Int64,
    bot_replies Int64,
    handoffs Int64,
    unknown_intent Int64,
    negative_emotion Int64,
    csat_count Int64,
    csat_sum Int64,
    latency_p50_ms Nullable(Float64),
    latency_p95_ms Nullable(Float64),
    latency_p99_ms Nullable(Float64),
    ts DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (tenant_id, window_start, event_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- No raw bytes: the DeadLetter's original_key / original_value may hold unmasked text and stay in Kafka only.
CREATE TABLE IF NOT EXISTS dead_letters
(
    event_id String,
    source_topic LowCardinality(String),
    source_partition Int32,
    source_offset Int64,
    original_size Int64,
    error_class LowCardinality(String),
    reason String,
    stage LowCardinality(String),
    tenant_id LowCardinality(Nullable(String)),
    ts DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (source_topic, event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS retrain_triggers
(
    event_id String,
    tenant_id LowCardinality(Nullable(String)),
    model LowCardinality(String),
    metric LowCardinality(String),
    detector LowCardinality(String),
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
    magnitude Float64,
    severity LowCardinality(String),
    evidence Map(String, String),
    ts DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (model, toStartOfHour(ts), event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS model_events
(
    event_id String,
    model LowCardinality(String),
    version String,
    previous_version Nullable(String),
    artifact_uri String,
    metrics Map(String, Float64),
    trigger_id Nullable(String),
    action LowCardinality(String),
    ts DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (model, toStartOfHour(ts), event_id)
SETTINGS non_replicated_deduplication_window = 1000;
