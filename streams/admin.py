"""Bootstrap a cluster for Kefu: create the topics and register the contract's schemas (idempotent)."""

from __future__ import annotations

import logging

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from schemas.catalog import RECORD_NAMES, schema
from schemas.wire import AvroCodec, registry_client
from streams.topics import ALL_TOPICS

log = logging.getLogger(__name__)


def ensure_topics(
    bootstrap: str, partitions: int, replication: int, prefix: str = "", timeout_s: float = 15.0
) -> list[str]:
    """Create any missing Kefu topic; returns the names created. Existing topics are left as they are."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    wanted = [f"{prefix}{t}" for t in ALL_TOPICS if f"{prefix}{t}" not in existing]
    if not wanted:
        return []
    futures = admin.create_topics(
        [NewTopic(t, num_partitions=partitions, replication_factor=replication) for t in wanted],
        request_timeout=timeout_s,
    )
    for future in futures.values():
        try:
            future.result(timeout=timeout_s)
        except KafkaException as error:
            if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
    log.info("created topics %s", ", ".join(wanted))
    return wanted


def register_schemas(registry_url: str, prefix: str = "") -> dict[str, int]:
    """Register every record schema under its topic's subject; returns subject -> schema id."""
    client = registry_client(registry_url)
    ids: dict[str, int] = {}
    for name in RECORD_NAMES:
        record = schema(name)
        codec = AvroCodec(client, record, subject=f"{prefix}{record.topic}-value")
        ids[codec.subject] = codec.schema_id
    return ids
