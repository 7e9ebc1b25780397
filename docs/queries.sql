-- Example analyst queries for `kefu sql "..."` (one statement per call) or a ClickHouse client in production.
-- Definitions: docs/analytics.md. Always read base tables with FINAL (or count DISTINCT event_id).

-- Volume, containment, handoff rate, first-contact resolution and CSAT per tenant and day (dashboards: the rollup).
SELECT toDate(hour) AS day, tenant_id,
       sum(customer_messages) AS messages,
       sum(conversations) AS n_conversations,
       sum(contained_conversations) / sum(conversations) AS containment_rate,
       sum(handoffs) / sum(conversations) AS handoff_rate,
       sum(resolved_conversations) / sum(conversations) AS fcr_rate,
       sum(csat_sum) / nullIf(sum(csat_count), 0) AS csat_mean
FROM kpi_hourly_rollup FINAL
GROUP BY day, tenant_id
ORDER BY day, tenant_id;

-- The same, exact and current, for one tenant and one day (parameterized view; -p tenant=acme).
SELECT channel, intent, sum(customer_messages) AS messages, sum(contained_conversations) / sum(conversations) AS containment
FROM kpi_hourly_window(since = '2026-11-21 00:00:00', until = '2026-11-22 00:00:00')
WHERE tenant_id = {tenant:String}
GROUP BY channel, intent
ORDER BY messages DESC;

-- Bot response latency p50/p95/p99 per channel over the last 24 hours (quantiles from raw replies).
SELECT channel, quantilesExactInclusive(0.5, 0.95, 0.99)(latency_ms) AS p50_p95_p99, count() AS replies
FROM bot_replies FINAL
WHERE ts >= now() - INTERVAL 1 DAY
GROUP BY channel;

-- CSAT distribution per tenant.
SELECT tenant_id, csat, count() AS ratings
FROM feedback FINAL
WHERE csat IS NOT NULL
GROUP BY tenant_id, csat
ORDER BY tenant_id, csat;

-- Intents with the highest handoff rate in the last 7 days.
SELECT intent, sum(handoffs) / sum(conversations) AS handoff_rate, sum(conversations) AS n_conversations
FROM kpi_hourly_rollup FINAL
WHERE hour >= now() - INTERVAL 7 DAY AND intent != ''
GROUP BY intent
HAVING n_conversations >= 20
ORDER BY handoff_rate DESC
LIMIT 10;

-- Negative-emotion and unknown-intent rates per channel and hour, one tenant.
SELECT toString(hour) AS hour_utc, channel,
       sum(negative_emotion) / sum(customer_messages) AS negative_rate,
       sum(unknown_intent) / sum(customer_messages) AS unknown_intent_rate
FROM kpi_hourly_rollup FINAL
WHERE tenant_id = {tenant:String} AND hour >= now() - INTERVAL 2 DAY
GROUP BY hour_utc, channel
ORDER BY hour_utc, channel;

-- One conversation, in order, across tables (bloom-filter index on conversation_id).
SELECT ts, 'message' AS kind, role AS who, text FROM events FINAL WHERE conversation_id = {conversation:String}
UNION ALL
SELECT ts, 'reply', model_profile, text FROM bot_replies FINAL WHERE conversation_id = {conversation:String}
UNION ALL
SELECT ts, 'handoff', reason, summary FROM handoffs FINAL WHERE conversation_id = {conversation:String}
ORDER BY ts;

-- PII masked per entity type (Nested columns, one row per entity with ARRAY JOIN).
SELECT pii_entities.type AS entity, count() AS masked
FROM events FINAL ARRAY JOIN pii_entities
GROUP BY entity
ORDER BY masked DESC;

-- Dead letters by stage and class in the last day (no raw bytes are stored, only sizes and reasons).
SELECT stage, error_class, count(DISTINCT event_id) AS records, max(original_size) AS largest_bytes, any(reason)
FROM dead_letters
WHERE ts >= now() - INTERVAL 1 DAY
GROUP BY stage, error_class
ORDER BY records DESC;

-- Online (KpiSnapshot) versus offline (kpi_hourly) message counts per hour and tenant.
SELECT s.hour, s.tenant_id, s.online, o.offline
FROM (SELECT toStartOfHour(window_start) AS hour, tenant_id, sum(customer_messages) AS online
      FROM kpi_snapshots FINAL GROUP BY hour, tenant_id) AS s
LEFT JOIN (SELECT hour, tenant_id, sum(customer_messages) AS offline FROM kpi_hourly_rollup FINAL
           GROUP BY hour, tenant_id) AS o ON o.hour = s.hour AND o.tenant_id = s.tenant_id
ORDER BY s.hour;

-- Model promotions and their metrics.
SELECT ts, model, version, previous_version, action, metrics['macro_f1'] AS macro_f1
FROM model_events FINAL
ORDER BY ts DESC
LIMIT 20;

-- Where agents disagreed with the models: predicted against corrected intent and polarity, last 30 days.
SELECT e.intent AS predicted_intent, f.intent AS corrected_intent, e.polarity AS predicted_polarity,
       f.polarity AS corrected_polarity, count() AS corrections
FROM (SELECT message_id, tenant_id, argMax(corrected_intent, ts) AS intent, argMax(corrected_polarity, ts) AS polarity
      FROM feedback FINAL
      WHERE message_id IS NOT NULL AND (corrected_intent IS NOT NULL OR corrected_polarity IS NOT NULL)
        AND ts >= now() - INTERVAL 30 DAY
      GROUP BY message_id, tenant_id) AS f
INNER JOIN (SELECT event_id, tenant_id, any(intent) AS intent, any(sentiment_polarity) AS polarity
            FROM events FINAL WHERE role = 'customer' GROUP BY event_id, tenant_id) AS e
    ON e.event_id = f.message_id AND e.tenant_id = f.tenant_id
GROUP BY predicted_intent, corrected_intent, predicted_polarity, corrected_polarity
ORDER BY corrections DESC
LIMIT 20;

-- Generator tokens per day, tenant and model profile (what a model endpoint bills), last 30 days.
SELECT toDate(ts) AS day, tenant_id, model_profile, count() AS generated_replies,
       sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion
FROM bot_replies FINAL
WHERE ts >= now() - INTERVAL 30 DAY AND prompt_tokens IS NOT NULL
GROUP BY day, tenant_id, model_profile
ORDER BY day DESC, prompt + completion DESC
LIMIT 50;
