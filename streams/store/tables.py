"""Which record type lands in which ClickHouse table, and what of it is not stored.

The contract other engineers code against: database ``kefu``, one table per record type, columns named after the
Avro fields (nested records flattened with ``_``, arrays of records as Nested ``field.sub`` columns).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from processors.dialogue.agent_hold import is_silent_reply
from processors.pii import mask_pii
from schemas.catalog import TOPIC_OF_RECORD

DATABASE = "kefu"


@dataclass(frozen=True)
class Table:
    """A table of the store: its name, the Avro record stored in it and the fields left out."""

    name: str
    record: str
    #: Avro fields never stored (the dead letter's raw bytes may hold unmasked text).
    excluded: frozenset[str] = frozenset()
    #: Columns holding free text, emptied after the tenant's retention (TTL).
    text_columns: tuple[str, ...] = ()
    #: The timestamp column a time range (``kefu export --since``) applies to.
    time_column: str = "ts"
    #: Records of the topic that are not rows of the table (None: every record is).
    skip: Callable[[Mapping[str, Any]], bool] | None = None
    #: Free-text fields that may arrive unmasked (records produced straight to Kafka, not through the
    #: enrichment or the API): PII-masked before they are stored.
    masked_fields: tuple[str, ...] = ()

    def keeps(self, record: Mapping[str, Any]) -> bool:
        return self.skip is None or not self.skip(record)

    def masked(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` with its :attr:`masked_fields` PII-masked (masking is idempotent: masked text stays)."""
        for name in self.masked_fields:
            value = record.get(name)
            if isinstance(value, str) and value:
                record[name] = mask_pii(value).masked
        return record

    @property
    def topic(self) -> str:
        """The topic the records come from, without the deployment's prefix."""
        return TOPIC_OF_RECORD[self.record]


TABLES: tuple[Table, ...] = (
    Table("events", "EnrichedEvent", text_columns=("text",)),
    Table("bot_replies", "BotReply", text_columns=("text", "handoff_detail"), skip=is_silent_reply),
    Table("handoffs", "Handoff", text_columns=("detail", "summary", "slots", "transcript.text")),
    Table("feedback", "Feedback", text_columns=("comment",), masked_fields=("comment",)),
    Table("kpi_snapshots", "KpiSnapshot", time_column="window_start"),
    Table("dead_letters", "DeadLetter", excluded=frozenset({"original_key", "original_value"})),
    Table("retrain_triggers", "RetrainTrigger"),
    Table("model_events", "ModelPromoted"),
    Table("model_versions", "ModelVersion"),
)

#: Records of the contract deliberately kept out of the store, and why (a test makes every record choose).
NOT_STORED: dict[str, str] = {
    "ConversationEvent": "raw customer text before PII masking; the masked EnrichedEvent is stored instead",
    "ReplyDelta": "ephemeral pieces of a reply; the authoritative BotReply is stored in bot_replies",
    "AgentPresence": "ephemeral heartbeats of open agents' consoles; who answered what is in events and handoffs",
}

TABLE_NAMED: dict[str, Table] = {t.name: t for t in TABLES}
TABLE_OF_TOPIC: dict[str, Table] = {t.topic: t for t in TABLES}
