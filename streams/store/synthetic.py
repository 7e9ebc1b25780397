"""Synthetic conversations generated inside the store with SQL, for the KPI benchmark (``kefu bench kpi``).

Generating in the engine (``INSERT ... SELECT FROM numbers(n)``) writes 10 million rows in seconds, where going
through Avro and the sink would take minutes; the sink has its own benchmark. The data is deterministic in
``seed``: per conversation four customer messages 30 s apart, a bot reply to 95 % of them, a handoff in 15 % of
conversations and feedback (CSAT 1-5, resolved) in 30 %, over 10 tenants, 6 channels and 40 intents (10 % of
messages without a known intent), spread over ``days`` days.
"""

from __future__ import annotations

from dataclasses import dataclass

MESSAGES_PER_CONVERSATION = 4
REPLY_PERCENT = 95
HANDOFF_PERCENT = 15
FEEDBACK_PERCENT = 30
#: Records per customer message, all tables together.
RECORDS_PER_MESSAGE = 1 + REPLY_PERCENT / 100 + (HANDOFF_PERCENT + FEEDBACK_PERCENT) / 100 / MESSAGES_PER_CONVERSATION


@dataclass(frozen=True)
class SyntheticPlan:
    """How many customer messages to generate so that all tables together hold about ``events`` rows."""

    events: int
    days: int = 30
    seed: int = 7
    start_ms: int = 1_793_491_200_000  # 2026-11-01T00:00:00Z

    TABLES = ("events", "bot_replies", "handoffs", "feedback")

    @property
    def messages(self) -> int:
        return max(MESSAGES_PER_CONVERSATION, int(self.events / RECORDS_PER_MESSAGE))

    @property
    def conversations(self) -> int:
        return self.messages // MESSAGES_PER_CONVERSATION

    def statements(self) -> list[str]:
        """INSERT statements filling events, bot_replies, handoffs and feedback."""
        n, c, seed = self.messages, self.conversations, self.seed
        span_ms = self.days * 86_400_000
        conv = f"intDiv(number, {MESSAGES_PER_CONVERSATION})"
        h = f"cityHash64({seed}, {conv})"  # one random stream per conversation
        hm = f"cityHash64({seed}, number, 1)"  # and one per message
        conv_ts = f"{self.start_ms} + ({h} % {span_ms})"
        msg_ts = f"fromUnixTimestamp64Milli(toInt64({conv_ts} + (number % {MESSAGES_PER_CONVERSATION}) * 30000), 'UTC')"
        tenant = f"concat('tenant-', toString({h} % 10))"
        channel = f"['web','app','wechat','email','phone','api'][1 + ({h} % 6)]"
        conv_id = f"concat('c-{seed}-', toString({conv}))"
        intent = f"multiIf({hm} % 100 < 8, NULL, {hm} % 100 < 10, 'unknown', concat('intent_', toString({hm} % 40)))"
        emotion = f"['angry','anxious','satisfied','neutral','neutral','neutral','neutral','neutral'][1 + ({hm} % 8)]"
        polarity = f"['negative','neutral','neutral','positive'][1 + (intDiv({hm}, 8) % 4)]"
        events = f"""
INSERT INTO events (event_id, conversation_id, tenant_id, channel, user_id, role, text, ts, locale, metadata,
    intent, intent_confidence, sentiment_polarity, sentiment_score, sentiment_emotion, sentiment_emotion_confidence,
    model_versions, enriched_ts)
SELECT concat('m-{seed}-', toString(number)), {conv_id}, {tenant}, {channel}, concat('u-', toString({h} % 100000)),
    'customer', '我的快递什么时候到？', {msg_ts}, 'zh-CN', map(), {intent}, 0.9, {polarity}, 0.0, {emotion}, 0.8,
    map('intent', 'synthetic'), {msg_ts}
FROM numbers({n})"""
        replies = f"""
INSERT INTO bot_replies (event_id, in_reply_to, conversation_id, tenant_id, channel, text, confidence, latency_ms,
    model_profile, handoff_reason, handoff_detail, ts)
SELECT concat('r-{seed}-', toString(number)), concat('m-{seed}-', toString(number)), {conv_id}, {tenant},
    {channel}, '您的快递明天到。', 0.8, toInt32(200 + ({hm} % 1000) + if({hm} % 100 = 0, 5000, 0)), 'default',
    NULL, NULL,
    fromUnixTimestamp64Milli(toInt64({conv_ts} + (number % {MESSAGES_PER_CONVERSATION}) * 30000 + 1500), 'UTC')
FROM numbers({n}) WHERE cityHash64({seed}, number, 2) % 100 < {REPLY_PERCENT}"""
        last = f"(number * {MESSAGES_PER_CONVERSATION} + {MESSAGES_PER_CONVERSATION - 1})"  # a conversation's last
        hc = f"cityHash64({seed}, number)"  # the conversation stream, indexed by conversation number here
        conv_last_ts = f"fromUnixTimestamp64Milli(toInt64({self.start_ms} + ({hc} % {span_ms}) + 120000), 'UTC')"
        handoffs = f"""
INSERT INTO handoffs (event_id, conversation_id, tenant_id, channel, reason, detail, summary, slots, intent, emotion,
    priority, ts)
SELECT concat('h-{seed}-', toString(number)), concat('c-{seed}-', toString(number)),
    concat('tenant-', toString({hc} % 10)), ['web','app','wechat','email','phone','api'][1 + ({hc} % 6)],
    'customer_request', '', '客户要求人工', map(), concat('intent_', toString(cityHash64({seed}, {last}, 1) % 40)),
    'angry', 3, {conv_last_ts}
FROM numbers({c}) WHERE intDiv({hc}, 1000) % 100 < {HANDOFF_PERCENT}"""
        feedback = f"""
INSERT INTO feedback (event_id, conversation_id, tenant_id, reply_id, message_id, user_id, source, csat, thumbs,
    resolved, corrected_intent, comment, ts)
SELECT concat('f-{seed}-', toString(number)), concat('c-{seed}-', toString(number)),
    concat('tenant-', toString({hc} % 10)), NULL, NULL, concat('u-', toString({hc} % 100000)), 'customer',
    toInt32(1 + intDiv({hc}, 7) % 5), NULL, intDiv({hc}, 11) % 3 != 0, NULL, NULL, {conv_last_ts}
FROM numbers({c}) WHERE intDiv({hc}, 100000) % 100 < {FEEDBACK_PERCENT}"""
        return [events, replies, handoffs, feedback]
