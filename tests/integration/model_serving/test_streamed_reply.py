"""A reply streamed from the real served model (0.5B behind Ray Serve, after the dead quality endpoint) through
the Responder's sentence gate: what reaches the customer is checked text that adds up to the final reply."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from processors.responder import RetryPolicy, check_grounded, remainder_pieces
from serving.client import ModelClient
from serving.protocols import ChatMessage, Passage, ProfileChoice
from streams.responder.respond import Responder
from streams.responder.state_store import DialogueStore
from tests.unit.responder.test_responder import event

from .conftest import Serving

pytestmark = pytest.mark.slow
PASSAGES = [
    Passage("c1", "faq.jsonl", "问：退款多久到账？答：退款原路返回，微信1到3个工作日到账，银行卡3到7个工作日到账。"),
    Passage("c2", "faq.jsonl", "问：退货的运费谁出？答：七天无理由退货的寄回运费由买家承担。"),
]


@dataclass
class Found:
    passages: Sequence[Passage]
    confidence: float


class RecordingSink:
    """Keeps each delta and when it came, like the publisher would send them."""

    def __init__(self) -> None:
        self.deltas: list[tuple[float, str, bool]] = []

    def __call__(self, text: str, *, replace: bool = False) -> None:
        self.deltas.append((time.monotonic(), text, replace))

    @property
    def shown(self) -> str:
        text = ""
        for _, piece, replace in self.deltas:
            text = piece if replace else text + piece
        return text


async def test_served_model_streams_checked_sentences_that_add_up_to_the_reply(
    serving: Serving, tmp_path: Path
) -> None:
    client = await ModelClient.connect(serving.settings, "http")
    pieces_from_model: list[str] = []

    async def retrieve(query: str, tenant: str, k: int) -> Found:
        return Found(PASSAGES, 0.9)

    async def generate(messages: Sequence[ChatMessage], choice: ProfileChoice) -> str:
        return await client.generate(messages, max_tokens=64)

    async def stream(messages: Sequence[ChatMessage], choice: ProfileChoice) -> AsyncIterator[str]:
        async for piece in client.stream(messages, max_tokens=64, temperature=0.0, choice=choice):
            pieces_from_model.append(piece)
            yield piece

    responder = Responder(
        retrieve, generate, DialogueStore(tmp_path / "s.sqlite"), retry=RetryPolicy(max_attempts=1), stream=stream
    )
    sink = RecordingSink()
    try:
        started = time.monotonic()
        outcome = await responder.respond(event(1, "退款多久到账？"), deltas=sink)
        finished = time.monotonic()
    finally:
        await client.aclose()
    reply = outcome.reply
    assert len(pieces_from_model) > 1  # real tokens, several of them, came through Serve's streaming path
    # and the replica's count of them, on the reply whatever became of the answer (NDJSON usage line, HTTP)
    assert reply["prompt_tokens"] > 50 and 0 < reply["completion_tokens"] <= 64
    streamed_by_gate = [text for _, text, replace in sink.deltas if not replace]
    for text in streamed_by_gate:  # whatever the model said, only grounded sentences left the gate
        assert check_grounded(text, PASSAGES, require_citation=False).supported, text
    pieces, replace = remainder_pieces(reply["text"], sink.shown)
    for piece in pieces:  # what the agent's publisher sends last
        sink(piece, replace=replace)
    assert sink.shown == reply["text"] and reply["text"]
    if reply["model_profile"] not in ("extractive", "handoff"):  # the model's answer was accepted and streamed
        assert sink.deltas[0][0] < finished and streamed_by_gate
        print(f"\nfirst delta after {sink.deltas[0][0] - started:.2f}s, reply after {finished - started:.2f}s")
