"""Agents' presence announced on agents.presence and heard back: what every API process routes with."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from serving.api.agent_routing import AgentPresence
from serving.api.presence_stream import PresenceStream
from streams.producer import OutRecord


class Sent:
    """The producer's ``send_soon``, recorded (the stream's only use of it)."""

    def __init__(self) -> None:
        self.records: list[OutRecord] = []

    def send_soon(self, records: Sequence[OutRecord]) -> None:
        self.records.extend(records)


REGISTRY = registry_client(f"mock://presence-{uuid.uuid4()}")  # one registry, as the API processes share one


def stream(sent: Sent) -> PresenceStream:
    codec = AvroCodec(REGISTRY, schema("AgentPresence"))
    return PresenceStream(
        AgentPresence(window_s=30.0),
        bootstrap="127.0.0.1:9",
        topic="agents.presence",
        codec=codec,
        producer=sent,  # type: ignore[arg-type]
        announce_every_s=10.0,
    )


def test_a_poll_makes_the_agent_present_here_and_is_announced_at_most_every_interval() -> None:
    sent = Sent()
    presence = stream(sent)
    presence.seen("acme", "ann", now=100.0)
    presence.seen("acme", "ann", now=105.0)  # the console's next poll: too soon to announce again
    presence.seen("acme", "bob", now=105.0)
    presence.seen("acme", "ann", now=111.0)
    assert presence.presence.present("acme", now=111.0) == ["ann", "bob"]
    decoded = [presence._codec.decode(record.value) for record in sent.records]
    assert [(d["scope"], d["agent_id"]) for d in decoded] == [("acme", "ann"), ("acme", "bob"), ("acme", "ann")]
    assert [record.key for record in sent.records][:2] == [b"acme\x00ann", b"acme\x00bob"]
    assert {record.topic for record in sent.records} == {"agents.presence"}


def test_an_announcement_from_another_process_makes_the_agent_present_here() -> None:
    sent = Sent()
    announcer, listener = stream(sent), stream(Sent())
    announcer.seen("*", "carol")
    [announced] = sent.records
    listener._heard("agents.presence", announced.value)  # what the listener's topic follower hands over
    listener._heard("agents.presence", b"\x00garbage")  # skipped, not raised
    assert listener.presence.present("*") == ["carol"]
    assert listener.presence.present("acme") == []
