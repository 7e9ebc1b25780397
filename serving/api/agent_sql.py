"""SQL of the agents' routes: hand-offs waiting for an agent, a conversation's customer messages, channel and
transcript.

A conversation waits for an agent when its hand-off has no agent message stored after it (``waiting_for:
handoff``, not assigned to anyone), or when, while an agent holds it (not released, within ``KEFU_AGENT_HOLD_S`` of
the agent's last message), the customer wrote after the agent's last message (``customer_reply``, assigned to the
agent who holds it). The queue is rebuilt from
ClickHouse on every call, so it survives any restart and several API processes agree. A conversation's transcript
is what the store holds of it: its messages (masked, as stored), the bot's replies and its hand-offs (``role:
handoff``, the summary as text), so an agent sees the customer's words after the hand-off too. Parameters are bound
by the store client (``{name:Type}``), never pasted into the SQL text.
"""

from __future__ import annotations

TENANT_FILTER = "({tenant:String} = '*' OR tenant_id = {tenant:String})"

WAITING_HANDOFFS_SQL = """
SELECT h.event_id AS event_id, h.conversation_id AS conversation_id, h.tenant_id AS tenant_id,
       h.channel AS channel, h.reason AS reason, h.detail AS detail, h.summary AS summary, h.slots AS slots,
       h.intent AS intent, h.emotion AS emotion, h.priority AS priority,
       h.`transcript.role` AS transcript_role, h.`transcript.text` AS transcript_text,
       h.`transcript.ts` AS transcript_ts, h.ts AS ts,
       if(a.answered_at < h.ts, 'handoff', 'customer_reply') AS waiting_for, a.answered_at AS answered_at,
       if(a.answered_at < h.ts, '', a.last_agent) AS assigned_to
FROM (
    SELECT * FROM kefu.handoffs FINAL
    WHERE __TENANT__ AND ts >= now64(3) - toIntervalHour({hours:UInt32})
) AS h
LEFT JOIN (
    SELECT conversation_id, max(ts) AS answered_at, argMax(metadata['action'], ts) = 'release' AS released,
           argMax(user_id, ts) AS last_agent
    FROM kefu.events FINAL WHERE role = 'agent' AND __TENANT__ GROUP BY conversation_id
) AS a ON a.conversation_id = h.conversation_id
LEFT JOIN (
    SELECT conversation_id, max(ts) AS last_customer_at
    FROM kefu.events FINAL WHERE role = 'customer' AND __TENANT__ GROUP BY conversation_id
) AS c ON c.conversation_id = h.conversation_id
WHERE a.answered_at < h.ts
   OR (NOT a.released AND c.last_customer_at > a.answered_at
       AND c.last_customer_at <= a.answered_at + toIntervalMillisecond({hold_ms:UInt64}))
ORDER BY h.ts DESC
LIMIT {limit:UInt32}
""".replace("__TENANT__", TENANT_FILTER)

CUSTOMER_MESSAGES_SQL = """
SELECT conversation_id, event_id, text, intent, intent_confidence, sentiment_polarity AS polarity, ts
FROM kefu.events FINAL
WHERE role = 'customer' AND __TENANT__ AND has({conversations:Array(String)}, conversation_id)
ORDER BY ts
""".replace("__TENANT__", TENANT_FILTER)

CONVERSATION_SQL = """
SELECT tenant_id, channel FROM kefu.events FINAL
WHERE conversation_id = {conversation:String} AND role = 'customer' AND __TENANT__
ORDER BY ts DESC LIMIT 1
""".replace("__TENANT__", TENANT_FILTER)

TRANSCRIPT_SQL = """
SELECT event_id, role, text, ts, user_id, intent, intent_confidence, polarity, reason FROM (
    SELECT event_id, toString(role) AS role, text, ts, user_id, CAST(intent AS Nullable(String)) AS intent,
           intent_confidence, CAST(sentiment_polarity AS Nullable(String)) AS polarity,
           CAST(NULL AS Nullable(String)) AS reason
    FROM kefu.events FINAL
    WHERE conversation_id = {conversation:String} AND __TENANT__ AND __RECENT__ AND role != 'system'
    UNION ALL
    SELECT event_id, 'bot', text, ts, '', CAST(NULL AS Nullable(String)), CAST(NULL AS Nullable(Float32)),
           CAST(NULL AS Nullable(String)), CAST(handoff_reason AS Nullable(String))
    FROM kefu.bot_replies FINAL
    WHERE conversation_id = {conversation:String} AND __TENANT__ AND __RECENT__
    UNION ALL
    SELECT event_id, 'handoff', summary, ts, '', CAST(intent AS Nullable(String)), CAST(NULL AS Nullable(Float32)),
           CAST(NULL AS Nullable(String)), CAST(reason AS Nullable(String))
    FROM kefu.handoffs FINAL
    WHERE conversation_id = {conversation:String} AND __TENANT__ AND __RECENT__
)
ORDER BY ts DESC, multiIf(role = 'handoff', 2, role = 'bot', 1, 0) DESC, event_id DESC
LIMIT {limit:UInt32}
""".replace("__TENANT__", TENANT_FILTER).replace("__RECENT__", "ts >= now64(3) - toIntervalHour({hours:UInt32})")

_HOLDS = """
SELECT conversation_id, argMax(user_id, ts) AS agent_id
FROM kefu.events FINAL
WHERE role = 'agent' AND __TENANT__ AND __CONVERSATION__ AND ts > now64(3) - toIntervalMillisecond({hold_ms:UInt64})
GROUP BY conversation_id
HAVING argMax(metadata['action'], ts) != 'release'
""".replace("__TENANT__", TENANT_FILTER)
"""The rule of a hold, one row per conversation held now: the author of its last agent message within the hold
(``WAITING_HANDOFFS_SQL`` applies the same one), unless that message gave the conversation back."""

HOLDER_SQL = f"SELECT agent_id FROM ({_HOLDS.replace('__CONVERSATION__', 'conversation_id = {conversation:String}')})"
"""The agent holding the conversation now; no row when nobody does."""

AGENT_LOADS_SQL = f"SELECT agent_id, count() AS held FROM ({_HOLDS.replace('__CONVERSATION__', '1')}) GROUP BY agent_id"
"""How many conversations each agent holds now: their load, for routing."""
