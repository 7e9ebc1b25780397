"""What ``kefu chat`` does with an answer: read the OpenAI chunk stream, render citations and hand-offs.

Pure functions (no HTTP), so they are tested with plain calls.

>>> lines = ['data: {"choices":[{"delta":{"role":"assistant","content":""}}]}', '',
...          'data: {"choices":[{"delta":{"content":"你好"}}]}', '',
...          'data: {"choices":[{"delta":{},"finish_reason":"stop"}],"kefu":{"reply_id":"r-1"}}', '', 'data: [DONE]']
>>> [(piece.text, piece.kefu) for piece in read_chunks(lines)]
[('', None), ('你好', None), ('', {'reply_id': 'r-1'})]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from processors.dialogue.agent_hold import is_silent_reply


class StreamError(RuntimeError):
    """The API answered something that is not an OpenAI chunk stream."""


@dataclass(frozen=True)
class Piece:
    text: str
    kefu: dict[str, Any] | None


def read_chunks(lines: Iterable[str]) -> Iterator[Piece]:
    """Server-Sent Events lines of ``chat.completion.chunk`` objects -> text deltas and Kefu's final fields."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            chunk = json.loads(data)
            choices = chunk.get("choices") or [{}]
            content = (choices[0].get("delta") or {}).get("content") or ""
        except (json.JSONDecodeError, AttributeError, TypeError) as error:
            raise StreamError(f"not a chat.completion.chunk: {data[:80]!r} ({error})") from None
        kefu = chunk.get("kefu")
        yield Piece(str(content), kefu if isinstance(kefu, dict) else None)


@dataclass
class Answer:
    r"""The reply as the stream builds it: text so far and Kefu's final fields.

    A ``kefu.replace`` chunk (the answer fell back after some text was streamed) replaces the text; what to print
    for it says so, since a terminal cannot take back what it printed.

    >>> answer = Answer()
    >>> answer.add(Piece("运费由买家承担", None))
    '运费由买家承担'
    >>> answer.add(Piece("七天无理由退货…", {"replace": True, "text": "七天无理由退货…"}))
    '\n(更正 / corrected) 七天无理由退货…'
    >>> _ = answer.add(Piece("", {"reply_id": "r-1"}))
    >>> answer.text, answer.kefu
    ('七天无理由退货…', {'reply_id': 'r-1'})
    """

    text: str = ""
    kefu: dict[str, Any] | None = None

    def add(self, piece: Piece) -> str:
        """Fold ``piece`` in; returns what to print for it."""
        if piece.kefu is not None and piece.kefu.get("replace"):
            self.text = str(piece.kefu.get("text", ""))
            return "\n(更正 / corrected) " + self.text
        self.text += piece.text
        self.kefu = piece.kefu or self.kefu
        return piece.text


def citation_lines(kefu: dict[str, Any]) -> list[str]:
    """``[1] title — source`` per citation.

    >>> citation_lines({"citations": [{"source": "faq.csv", "title": "退货", "chunk_id": "c", "score": 0.9}]})
    ['[1] 退货 — faq.csv']
    """
    lines = []
    for number, citation in enumerate(kefu.get("citations") or [], start=1):
        title = citation.get("title")
        lines.append(f"[{number}] {title + ' — ' if title else ''}{citation.get('source', '?')}")
    return lines


def handoff_line(kefu: dict[str, Any]) -> str | None:
    """A notice when the bot handed off or a human agent holds the conversation, else None.

    >>> handoff_line({"handoff": {"reason": "customer_request", "detail": "asked for a human"}})
    '>> 已转人工客服 / handed off to a human agent: customer_request (asked for a human)'
    >>> handoff_line({"handoff": None, "model_profile": "agent"})
    '>> 人工客服处理中 / a human agent has this conversation'
    """
    handoff = kefu.get("handoff")
    if not handoff:
        return ">> 人工客服处理中 / a human agent has this conversation" if is_silent_reply(kefu) else None
    detail = f" ({handoff['detail']})" if handoff.get("detail") else ""
    return f">> 已转人工客服 / handed off to a human agent: {handoff.get('reason', 'other')}{detail}"
