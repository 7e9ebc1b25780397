-- The model registry's cards, mirrored from the ModelVersion records on models.versions (docs/decisions.md).
-- One row per card state; ReplacingMergeTree(ts) keeps the newest per (model, version): read with FINAL.
-- Promotions and rollbacks themselves are in model_events (ModelPromoted), the triggers in retrain_triggers.

CREATE TABLE IF NOT EXISTS model_versions
(
    event_id String,
    model LowCardinality(String),
    version String,
    status LowCardinality(String),
    reason String,
    created_at DateTime64(3, 'UTC'),
    parent_version Nullable(String),
    trigger_id Nullable(String),
    data_sha256 String,
    artifact_uri String,
    metrics Map(String, Float64),
    current_metrics Map(String, Float64),
    ts DateTime64(3, 'UTC'),
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(ts)
ORDER BY (model, version);
