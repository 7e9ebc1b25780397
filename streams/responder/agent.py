"""The Faust agent ``respond``: conversations.enriched -> Responder -> conversations.replies / .handoffs.

While a reply is produced its text goes to ``conversations.reply_deltas`` at once (not with the batch), so
channels can stream it; the BotReply that follows is authoritative.

Customer messages of one batch are answered concurrently across conversations and in order within a
conversation (the dialogue state of a conversation is read and written by one task at a time). A human agent's
messages get no reply: they hold the conversation for the agent, or give it back (see
:mod:`processors.dialogue.agent_hold`). Answers to customers who cannot fetch them (e-mail, and agents' messages
to WeChat) are pushed by :mod:`.outbox`. Outputs are delivered before the batch's offsets are acknowledged; reply
and hand-off ids are derived from the customer message's id, so a redelivered message yields the same ids and
the idempotent sinks count it once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient
from faust.types import EventT

from kefu.settings import Settings
from schemas.catalog import schema
from schemas.wire import AvroCodec, DecodeError
from serving.channels.email_contacts import open_email_contacts
from serving.channels.email_outbound import smtp_sender
from serving.channels.wechat_api import wechat_messenger
from streams import metrics, topics
from streams.producer import BatchProducer, OutRecord
from streams.responder.deltas import DeltaPublisher
from streams.responder.outbox import ChannelOutbox
from streams.responder.respond import Outcome, Responder

log = logging.getLogger(__name__)


class ResponderStage:
    """Decode a batch of enriched records, answer the customer messages, encode the outputs."""

    def __init__(
        self,
        settings: Settings,
        client: SchemaRegistryClient,
        responder: Responder,
        concurrency: int,
        producer: BatchProducer | None = None,
    ) -> None:
        """``producer`` streams: it publishes reply deltas and delivers each reply as soon as it is final (None:
        no deltas, and ``process`` returns the batch's replies for the caller to deliver)."""
        self.responder = responder
        self.producer = producer
        self.deltas = AvroCodec(client, schema("ReplyDelta"), f"{settings.topic(topics.REPLY_DELTAS)}-value")
        self.delta_topic = settings.topic(topics.REPLY_DELTAS)
        self.enriched = AvroCodec(client, schema("EnrichedEvent"), f"{settings.topic(topics.ENRICHED)}-value")
        self.replies = AvroCodec(client, schema("BotReply"), f"{settings.topic(topics.REPLIES)}-value")
        self.handoffs = AvroCodec(client, schema("Handoff"), f"{settings.topic(topics.HANDOFFS)}-value")
        self.reply_topic, self.handoff_topic = settings.topic(topics.REPLIES), settings.topic(topics.HANDOFFS)
        self._slots = asyncio.Semaphore(concurrency)
        self.outbox = ChannelOutbox(wechat_messenger(settings), smtp_sender(settings), open_email_contacts(settings))

    async def process(self, values: list[bytes | None]) -> list[OutRecord]:
        by_conversation: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for value in values:
            try:
                event = self.enriched.decode(value)
            except DecodeError as error:  # the enrich stage wrote it: this is a bug upstream, not customer input
                log.error("undecodable enriched record skipped: %s", error.reason)
                continue
            if event["role"] in ("customer", "agent"):
                by_conversation[event["conversation_id"]].append(event)
        answered = await asyncio.gather(*(self._conversation(events) for events in by_conversation.values()))
        return [record for records in answered for record in records]

    async def _conversation(self, events: list[dict[str, Any]]) -> list[OutRecord]:
        """The records still to deliver for one conversation's messages."""
        pending: list[OutRecord] = []
        async with self._slots:
            for event in sorted(events, key=lambda e: e["ts"]):
                if event["role"] == "agent":  # a human answers: it holds (or releases) the conversation
                    self.responder.note_agent_message(event)
                    await self.outbox.deliver_agent_message(event)
                    continue
                if self.producer is None:
                    outcome = await self.responder.respond(event)
                    pending += self._records(outcome)
                else:
                    publisher = DeltaPublisher(event, self.deltas, self.delta_topic, self.producer)
                    outcome = await self.responder.respond(event, deltas=publisher)
                    publisher.finish(str(outcome.reply["text"]))
                    # a customer is watching this stream end: deliver the reply now, not when the slowest
                    # conversation of the batch is answered (still before the batch's offsets are acknowledged)
                    delivered = self._records(outcome)
                    await self.producer.deliver_async(delivered)
                    for record in delivered:
                        metrics.PRODUCED.labels(record.topic).inc()
                metrics.count_generator_tokens(outcome.reply)
                await self.outbox.deliver_reply(event, outcome.reply)
        return pending

    def _records(self, outcome: Outcome) -> list[OutRecord]:
        key = str(outcome.reply["conversation_id"]).encode()
        records = [OutRecord(self.reply_topic, key, self.replies.encode(outcome.reply))]
        if outcome.handoff is not None:
            records.append(OutRecord(self.handoff_topic, key, self.handoffs.encode(outcome.handoff)))
        return records


def register_responder_agent(
    app: faust.App, settings: Settings, client: SchemaRegistryClient, producer: BatchProducer, responder: Responder
) -> ResponderStage:
    delta_producer = producer if settings.reply_deltas else None
    stage = ResponderStage(settings, client, responder, settings.responder_concurrency, delta_producer)
    source = app.topic(settings.topic(topics.ENRICHED), key_type=bytes, value_type=bytes)

    @app.agent(source, name="respond")
    async def respond(stream: faust.StreamT[bytes]) -> None:
        events: list[EventT[bytes]]
        async for events in stream.take_events(settings.worker_batch_size, within=0.01):  # type: ignore[attr-defined]
            with metrics.BATCH_SECONDS.labels("respond").time():
                outputs = await stage.process([e.message.value for e in events])
                await producer.deliver_async(outputs)
            for record in outputs:
                metrics.PRODUCED.labels(record.topic).inc()

    return stage
