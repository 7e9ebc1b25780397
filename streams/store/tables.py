"""Which record type lands in which ClickHouse table, and what of it is not stored.

The contract other engineers code against: database ``kefu``, one table per record type, columns named after the
Avro fields (nested records flattened with ``_``, arrays of records as Nested ``field.sub`` columns).
"""

from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def topic(self) -> str:
        """The topic the records come from, without the deployment's prefix."""
        return TOPIC_OF_RECORD[self.record]


TABLES: tuple[Table, ...] = (
    Table("events", "EnrichedEvent", text_columns=("text",)),
    Table("bot_replies", "BotReply", text_columns=("text", "handoff_detail")),
    Table("handoffs", "Handoff", text_columns=("detail", "summary", "slots", "transcript.text")),
    Table("feedback", "Feedback", text_columns=("comment",)),
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
}

TABLE_NAMED: dict[str, Table] = {t.name: t for t in TABLES}
TABLE_OF_TOPIC: dict[str, Table] = {t.topic: t for t in TABLES}
