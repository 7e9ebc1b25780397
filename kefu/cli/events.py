"""Sending and reading events: ``produce`` and ``tail``."""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from kefu.settings import get_settings
from kefu.state import resolve_endpoints

CHUNK = 5000


def _read_jsonl(stream: TextIO) -> tuple[list[Any], list[dict[str, Any]]]:
    items: list[Any] = []
    errors: list[dict[str, Any]] = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as error:
            errors.append({"line": number, "path": "$", "message": f"not JSON: {error.msg}"})
    return items, errors


def produce(
    topic: Annotated[str, typer.Option(help="Topic, e.g. conversations.inbound (its schema validates each line).")],
    file: Annotated[Path | None, typer.Option(help="JSON-lines file; default: standard input.")] = None,
    skip_invalid: Annotated[bool, typer.Option(help="Produce the valid lines even if some are invalid.")] = False,
) -> None:
    """Validate JSON lines against the topic's Avro schema, encode them and produce them."""
    from schemas.wire import registry_client
    from serving.ingest import Ingestor
    from streams.producer import BatchProducer, producer_config

    settings = get_settings()
    endpoints = resolve_endpoints(settings)
    base = topic.removeprefix(settings.topic_prefix)
    producer = BatchProducer(producer_config(endpoints.kafka, settings.producer_linger_ms))
    try:
        ingestor = Ingestor.for_topic(
            settings.topic(base),
            base,
            registry_client(endpoints.schema_registry),
            producer,
            max_text_chars=settings.max_text_chars,
            known_tenants=settings.known_tenants(),
        )
    except ValueError as unknown:
        print(f"kefu produce: {unknown}", file=sys.stderr)
        raise typer.Exit(2) from None
    if file is None:
        items, errors = _read_jsonl(sys.stdin)
    else:
        with file.open(encoding="utf-8") as stream:
            items, errors = _read_jsonl(stream)
    prepared = ingestor.prepare(items)
    errors += [
        {"line": r.index + 1, "path": r.path.split(".", 1)[-1], "message": r.message} for r in prepared.rejections
    ]
    for error in errors:
        print(f"line {error['line']}: {error['path']}: {error['message']}", file=sys.stderr)
    if errors and not skip_invalid:
        print(
            f"kefu produce: {len(errors)} invalid lines; nothing produced (--skip-invalid to send the rest)",
            file=sys.stderr,
        )
        raise typer.Exit(2)
    started = time.perf_counter()
    for start in range(0, len(prepared.records), CHUNK):
        producer.deliver(prepared.records[start : start + CHUNK])
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "topic": ingestor.topic,
                "produced": len(prepared.records),
                "invalid": len(errors),
                "seconds": round(elapsed, 3),
            }
        )
    )
    raise typer.Exit(1 if errors else 0)


def tail(
    topic: Annotated[str, typer.Argument(help="Topic to read, e.g. conversations.enriched.")],
    from_beginning: Annotated[bool, typer.Option(help="Start at the oldest record instead of new ones.")] = False,
    max_records: Annotated[int, typer.Option("--max", help="Stop after this many records (0 = no limit).")] = 0,
    timeout: Annotated[float, typer.Option(help="Stop after this many idle seconds (0 = never).")] = 0.0,
) -> None:
    """Print the records of a topic as decoded JSON lines (dead letters and bad records included)."""
    from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, TopicPartition

    from schemas.catalog import schema
    from schemas.json_codec import to_json
    from schemas.wire import AvroCodec, DecodeError, registry_client
    from streams.topics import RECORD_OF_TOPIC

    settings = get_settings()
    endpoints = resolve_endpoints(settings)
    base = topic.removeprefix(settings.topic_prefix)
    if base not in RECORD_OF_TOPIC:
        print(
            f"kefu tail: unknown topic {topic!r}; known: {', '.join(sorted(RECORD_OF_TOPIC))}",
            file=sys.stderr,
        )
        raise typer.Exit(2)
    codec = AvroCodec(registry_client(endpoints.schema_registry), schema(RECORD_OF_TOPIC[base]), f"{topic}-value")
    # Assign partitions directly: no consumer-group join to wait for, and no offsets committed.
    consumer = Consumer(
        {
            "bootstrap.servers": endpoints.kafka,
            "group.id": f"kefu-tail-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "session.timeout.ms": 6000,
        }
    )
    metadata = consumer.list_topics(topic, timeout=10)
    if topic not in metadata.topics or metadata.topics[topic].error is not None:
        print(f"kefu tail: topic {topic!r} does not exist", file=sys.stderr)
        raise typer.Exit(2)
    start = OFFSET_BEGINNING if from_beginning else OFFSET_END
    consumer.assign([TopicPartition(topic, p, start) for p in metadata.topics[topic].partitions])
    seen, idle_since = 0, time.monotonic()
    try:
        while not max_records or seen < max_records:
            message = consumer.poll(0.2)
            if message is None or message.error():
                if timeout and time.monotonic() - idle_since > timeout:
                    break
                continue
            idle_since = time.monotonic()
            try:
                body: dict[str, Any] = to_json(codec.decode(message.value()))
            except DecodeError as error:
                body = {"_undecodable": error.error_class, "_reason": error.reason}
            body["_partition"], body["_offset"] = message.partition(), message.offset()
            print(json.dumps(body, ensure_ascii=False), flush=True)
            seen += 1
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()


def register(app: typer.Typer) -> None:
    app.command()(produce)
    app.command()(tail)
