"""Topic names, and which record schema each carries. Read this file to see where events flow."""

from __future__ import annotations

from schemas.catalog import TOPIC_OF_RECORD

INBOUND = "conversations.inbound"  # ConversationEvent from producers and channel adapters (raw text)
ENRICHED = "conversations.enriched"  # EnrichedEvent: deduped, masked, tagged
REPLIES = "conversations.replies"  # BotReply, delivered by channels
REPLY_DELTAS = "conversations.reply_deltas"  # ReplyDelta: pieces of a reply as generated (ephemeral, not stored)
HANDOFFS = "conversations.handoffs"  # Handoff, taken by human agents
FEEDBACK = "conversations.feedback"  # Feedback: CSAT, thumbs, corrected intents
KPI_SNAPSHOTS = "kpi.snapshots"  # KpiSnapshot from the online KPI agent
RETRAIN = "models.retrain"  # RetrainTrigger from drift detectors
PROMOTED = "models.promoted"  # ModelPromoted, for hot reload
VERSIONS = "models.versions"  # ModelVersion: every registry card state, mirrored into ClickHouse
DEADLETTER = "deadletter"  # DeadLetter: anything that could not be processed, with the reason
AGENT_PRESENCE = "agents.presence"  # AgentPresence: agents' consoles polling, shared by API processes (ephemeral)

ALL_TOPICS: tuple[str, ...] = tuple(TOPIC_OF_RECORD.values())
RECORD_OF_TOPIC: dict[str, str] = {topic: record for record, topic in TOPIC_OF_RECORD.items()}
