"""ReplyDelta records: the text of a reply, published to ``conversations.reply_deltas`` as it is produced.

One :class:`DeltaPublisher` per customer message. The Responder hands it each checked sentence while the model
generates; when the reply is final, :meth:`DeltaPublisher.finish` sends whatever of the final text was not
streamed (an extractive answer, a canned reply, a hand-off notice) or, when the reply fell back after text was
streamed, the final text as a replacement. So the deltas of every reply add up to its BotReply's text.
Deltas are sent without waiting for the broker: they are ephemeral, and the BotReply is authoritative.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from processors.responder.streaming import remainder_pieces
from schemas.wire import AvroCodec
from streams.producer import BatchProducer, OutRecord
from streams.responder.records import reply_id


class DeltaPublisher:
    """A :class:`streams.responder.streaming.DeltaSink` that publishes ReplyDelta records."""

    def __init__(self, event: Mapping[str, Any], codec: AvroCodec, topic: str, producer: BatchProducer) -> None:
        self.event = event
        self.codec, self.topic, self.producer = codec, topic, producer
        self.reply_id = reply_id(str(event["event_id"]))
        self.key = str(event["conversation_id"]).encode()
        self.seq = 0
        self.streamed = ""

    def __call__(self, text: str, *, replace: bool = False) -> None:
        if not text and not replace:
            return
        self.producer.send_soon([OutRecord(self.topic, self.key, self.codec.encode(self.datum(text, replace)))])
        self.streamed = text if replace else self.streamed + text
        self.seq += 1

    def datum(self, text: str, replace: bool) -> dict[str, Any]:
        return {
            "reply_id": self.reply_id,
            "in_reply_to": self.event["event_id"],
            "conversation_id": self.event["conversation_id"],
            "tenant_id": self.event["tenant_id"],
            "seq": self.seq,
            "text": text,
            "replace": replace,
            "ts": int(time.time() * 1000),
        }

    def finish(self, final_text: str) -> None:
        """Bring the streamed text to the reply's final text."""
        pieces, replace = remainder_pieces(final_text, self.streamed)
        for piece in pieces:
            self(piece, replace=replace)
