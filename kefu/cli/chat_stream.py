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
    """A notice when the bot handed off, else None.

    >>> handoff_line({"handoff": {"reason": "customer_request", "detail": "asked for a human"}})
    '>> 已转人工客服 / handed off to a human agent: customer_request (asked for a human)'
    """
    handoff = kefu.get("handoff")
    if not handoff:
        return None
    detail = f" ({handoff['detail']})" if handoff.get("detail") else ""
    return f">> 已转人工客服 / handed off to a human agent: {handoff.get('reason', 'other')}{detail}"
