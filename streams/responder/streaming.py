"""Streaming an answer to the customer while it is generated: deltas out, sentence by sentence, each checked.

The Responder calls :func:`stream_answer` instead of a whole-answer generation when the agent gave it a
:class:`DeltaSink`. Model tokens are cut into sentences (the first piece may be a clause); each passes the
gate (grounding, output moderation, length) before it is handed to the sink, so a delta only ever carries
masked, moderated, grounded text. What the gate admitted is the body the Responder then judges as a whole,
exactly as a generated answer.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol

from processors.responder.streaming import SentenceBuffer, SentenceGate
from serving.protocols import ChatMessage, ProfileChoice

log = logging.getLogger(__name__)

Stream = Callable[[Sequence[ChatMessage], ProfileChoice], AsyncIterator[str]]
"""``(messages, choice) -> text pieces as generated`` (``choice.answered`` as for ``Generate``); raises when the
model is unavailable."""


class DeltaSink(Protocol):
    """Where the text of a reply goes while it is produced (the agent publishes it to Kafka)."""

    def __call__(self, text: str, *, replace: bool = False) -> None: ...


async def stream_answer(pieces: AsyncIterator[str], gate: SentenceGate, deltas: DeltaSink) -> str:
    """Consume ``pieces``, send what ``gate`` admits to ``deltas``, return the body to judge.

    A model failure before anything was sent is raised (the caller retries or falls back, as for a whole
    generation); after text was sent it ends the answer there: the sentences already sent were checked, and
    half an answer is never continued by another attempt or model.
    """
    buffer = SentenceBuffer(first_clause=True)  # the first clause goes out before its sentence ends
    try:
        async for piece in pieces:
            for sentence in buffer.feed(piece):
                if not _send(gate, sentence, deltas):
                    return gate.body
        for sentence in buffer.flush():
            if not _send(gate, sentence, deltas):
                return gate.body
    except Exception as error:
        if not gate.streamed:
            raise
        log.warning("generation broke after %d streamed chars: %r", len(gate.streamed), error)
    finally:
        aclose = getattr(pieces, "aclose", None)
        if aclose is not None:
            await aclose()  # stop the model: a stopped gate needs no more tokens
    return gate.body


def _send(gate: SentenceGate, sentence: str, deltas: DeltaSink) -> bool:
    admitted = gate.admit(sentence)
    if admitted is not None:
        deltas(admitted)
    return gate.stopped is None
