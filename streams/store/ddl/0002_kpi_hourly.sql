-- KPIs per (hour, tenant_id, channel, intent), defined once, in kpi_hourly_window; definitions in docs/analytics.md.
--   kpi_hourly_window(since, until): the records whose own ts is in [since, until), from deduplicated (FINAL)
--     rows, so replays never double-count. Context from outside the window (the message a reply answers, a
--     conversation's outcome, the latest message before feedback) is looked up 1 day back from since.
--   kpi_hourly: the same over all time, exact, computed when queried (seconds on millions of rows).
--   kpi_hourly_rollup: the same rows stored; the sink refreshes the hours it wrote (streams/store/rollup.py);
--     what dashboards read (milliseconds). Read it with FINAL.
-- Attribution: intent '' = untagged (null); 'unknown' is its own group (docs/kpis.md). A customer message counts in its own channel and intent; a bot
-- reply in its own channel and the intent of the customer message it answers (in_reply_to); a handoff in its own
-- channel and intent; feedback in the channel and intent of the conversation's first customer message. The hour
-- is the record's own ts. Conversation outcomes (contained, resolved) are properties of the whole conversation,
-- counted in every group where the conversation has a customer message.
-- Joins and distinct counts use 64-bit hashes of the ids: several times faster than strings; a collision among
-- 10^7 ids has a probability of about 3e-6.

CREATE VIEW IF NOT EXISTS kpi_hourly_window AS
WITH
    messages AS
    (
        SELECT
            cityHash64(event_id) AS event_key,
            cityHash64(tenant_id, conversation_id) AS conversation_key,
            tenant_id,
            toString(channel) AS channel,
            coalesce(intent, '') AS intent,
            ts,
            (sentiment_emotion IN ('angry', 'anxious') OR sentiment_polarity = 'negative') = 1 AS negative
        FROM events FINAL
        WHERE role = 'customer'
          AND ts >= {since:DateTime64(3, 'UTC')} - INTERVAL 1 DAY AND ts < {until:DateTime64(3, 'UTC')}
    ),
    outcomes AS
    (
        SELECT
            conversation_key,
            max(replied) = 1 AS has_bot_reply,
            max(escalated) = 1 AS handed_off,
            argMaxIf(resolved_flag, ts, has_resolved) = 1 AS resolved
        FROM
        (
            SELECT cityHash64(tenant_id, conversation_id) AS conversation_key, 1 AS replied,
                   handoff_reason IS NOT NULL AS escalated, 0 AS resolved_flag, 0 AS has_resolved, ts
            FROM bot_replies FINAL WHERE ts >= {since:DateTime64(3, 'UTC')} - INTERVAL 1 DAY
            UNION ALL
            SELECT cityHash64(tenant_id, conversation_id), 0, 1, 0, 0, ts
            FROM handoffs FINAL WHERE ts >= {since:DateTime64(3, 'UTC')} - INTERVAL 1 DAY
            UNION ALL
            SELECT cityHash64(tenant_id, conversation_id), 0, 0, assumeNotNull(resolved) = 1, 1, ts
            FROM feedback FINAL
            WHERE resolved IS NOT NULL AND ts >= {since:DateTime64(3, 'UTC')} - INTERVAL 1 DAY
        )
        GROUP BY conversation_key
    )
SELECT
    hour,
    tenant_id,
    channel,
    intent,
    sum(n_messages) AS customer_messages,
    sum(n_conversations) AS conversations,
    sum(n_replies) AS bot_replies,
    sum(n_handoffs) AS handoffs,
    sum(n_contained) AS contained_conversations,
    sum(n_resolved) AS resolved_conversations,
    sum(n_unknown) AS unknown_intent,
    sum(n_negative) AS negative_emotion,
    sum(n_csat) AS csat_count,
    sum(s_csat) AS csat_sum,
    max(p50) AS latency_p50_ms,
    max(p95) AS latency_p95_ms,
    max(p99) AS latency_p99_ms
FROM
(
    -- customer messages: first per (group, conversation), then per group; outcomes join the smaller first level
    SELECT
        hour, tenant_id, channel, intent,
        sum(c.messages) AS n_messages,
        count() AS n_conversations,
        toUInt64(0) AS n_replies,
        toUInt64(0) AS n_handoffs,
        countIf(o.has_bot_reply AND NOT o.handed_off) AS n_contained,
        countIf(o.resolved) AS n_resolved,
        sum(c.unknown) AS n_unknown,
        sum(c.negative) AS n_negative,
        toUInt64(0) AS n_csat,
        toInt64(0) AS s_csat,
        CAST(NULL, 'Nullable(Float64)') AS p50,
        CAST(NULL, 'Nullable(Float64)') AS p95,
        CAST(NULL, 'Nullable(Float64)') AS p99
    FROM
    (
        SELECT toStartOfHour(ts) AS hour, tenant_id, channel, intent, conversation_key,
               count() AS messages, countIf(intent = 'unknown') AS unknown, countIf(negative) AS negative
        FROM messages
        WHERE ts >= {since:DateTime64(3, 'UTC')}
        GROUP BY hour, tenant_id, channel, intent, conversation_key
    ) AS c
    LEFT JOIN outcomes AS o ON o.conversation_key = c.conversation_key
    GROUP BY hour, tenant_id, channel, intent

    UNION ALL

    SELECT
        toStartOfHour(r.ts) AS hour, r.tenant_id AS tenant_id, toString(r.channel) AS channel, m.intent AS intent,
        0, 0, count(), 0, 0, 0, 0, 0, 0, 0,
        quantileExact(0.5)(r.latency_ms),
        quantileExact(0.95)(r.latency_ms),
        quantileExact(0.99)(r.latency_ms)
    FROM bot_replies AS r FINAL
    LEFT JOIN (SELECT event_key, intent FROM messages) AS m ON m.event_key = cityHash64(r.in_reply_to)
    WHERE r.ts >= {since:DateTime64(3, 'UTC')} AND r.ts < {until:DateTime64(3, 'UTC')}
    GROUP BY hour, tenant_id, channel, intent

    UNION ALL

    SELECT
        toStartOfHour(ts) AS hour, tenant_id, toString(channel) AS channel,
        coalesce(intent, '') AS intent,
        0, 0, 0, count(), 0, 0, 0, 0, 0, 0, NULL, NULL, NULL
    FROM handoffs FINAL
    WHERE ts >= {since:DateTime64(3, 'UTC')} AND ts < {until:DateTime64(3, 'UTC')}
    GROUP BY hour, tenant_id, channel, intent

    UNION ALL

    SELECT
        toStartOfHour(f.ts) AS hour, f.tenant_id AS tenant_id, l.channel AS channel, l.intent AS intent,
        0, 0, 0, 0, 0, 0, 0, 0, count(), sum(assumeNotNull(f.csat)), NULL, NULL, NULL
    FROM feedback AS f FINAL
    LEFT JOIN
    (
        SELECT conversation_key, argMin(channel, ts) AS channel, argMin(intent, ts) AS intent
        FROM messages
        GROUP BY conversation_key
    ) AS l ON l.conversation_key = cityHash64(f.tenant_id, f.conversation_id)
    WHERE f.csat BETWEEN 1 AND 5 AND f.ts >= {since:DateTime64(3, 'UTC')} AND f.ts < {until:DateTime64(3, 'UTC')}
    GROUP BY hour, tenant_id, channel, intent
)
GROUP BY hour, tenant_id, channel, intent;

CREATE VIEW IF NOT EXISTS kpi_hourly AS
SELECT * FROM kpi_hourly_window(since = '1970-01-01 00:00:00.000', until = '2106-01-01 00:00:00.000');

CREATE TABLE IF NOT EXISTS kpi_hourly_rollup
(
    hour DateTime('UTC'),
    tenant_id LowCardinality(String),
    channel LowCardinality(String),
    intent LowCardinality(String),
    customer_messages UInt64,
    conversations UInt64,
    bot_replies UInt64,
    handoffs UInt64,
    contained_conversations UInt64,
    resolved_conversations UInt64,
    unknown_intent UInt64,
    negative_emotion UInt64,
    csat_count UInt64,
    csat_sum Int64,
    latency_p50_ms Nullable(Float64),
    latency_p95_ms Nullable(Float64),
    latency_p99_ms Nullable(Float64),
    refreshed_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(refreshed_at)
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant_id, hour, channel, intent);
