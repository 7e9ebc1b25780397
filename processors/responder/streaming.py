"""Streaming a generated answer safely: whole sentences, each checked before the customer sees it.

Tokens arrive a few characters at a time, but grounding and output moderation judge sentences.
:class:`SentenceBuffer` turns the token stream into complete sentences (a sentence's trailing citations
such as ``。[1]`` stay with it); :class:`SentenceGate` admits a sentence only when it is grounded in the
passages and passes output moderation, and within the length limit; otherwise it stops the stream. The
text a gate admitted is exactly the text the final answer starts with when the whole answer is accepted,
so the streamed pieces and the authoritative reply agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from processors.moderation import moderate_output
from serving.protocols import Passage

from .grounding import check_grounded, restates_question, trim_to_limit, without_leading_punctuation

__all__ = ["SentenceBuffer", "SentenceGate", "StopReason", "remainder_pieces"]

StopReason = Literal["unsupported", "blocked", "limit"]

# A sentence ends at Chinese/English end punctuation or a newline, then any citations right after it; an ASCII
# full stop counts only before whitespace (so 3.5 and example.com do not end a sentence).
_END = re.compile(r"(?:[。！？!?；;\n]+|\.(?=\s))(?:\s*\[\d{1,2}\])*\s*")
_OPEN_CITATION = re.compile(r"\s*\[\d{0,2}")
# A clause ends at a Chinese comma or colon, or an ASCII one before whitespace (so 1,000 stays whole).
_CLAUSE_END = re.compile(r"(?:[，：]|[,:](?=\s))\s*")
_MIN_CLAUSE = 5  # characters a first clause needs to go out: "可以，" or "好的，" goes with the clause after it


class SentenceBuffer:
    """Accumulates streamed text and hands out complete sentences, their text unchanged.

    A sentence is complete once its end punctuation, the citations that follow it and at least one more
    character have arrived (the next character tells that no further citation is coming).

    >>> buffer = SentenceBuffer()
    >>> buffer.feed("可以退"), buffer.feed("货。[1"), buffer.feed("]运费"), buffer.feed("由买家承担。")
    ([], [], ['可以退货。[1]'], [])
    >>> buffer.flush()
    ['运费由买家承担。']
    >>> SentenceBuffer().feed("Refunds take 3.5 days. Then")
    ['Refunds take 3.5 days. ']

    With ``first_clause``, the first piece handed out may be a clause: what precedes the answer's first comma
    is sent before its sentence is complete, so the customer sees text a few tokens earlier.

    >>> buffer = SentenceBuffer(first_clause=True)
    >>> buffer.feed("退款原路返回，需要"), buffer.feed("7–15个工作日[1]。到"), buffer.feed("账，")
    (['退款原路返回，'], ['需要7–15个工作日[1]。'], [])
    >>> SentenceBuffer(first_clause=True).feed("可以，平板激活过了还能退吗？[1]已激")  # a bare "yes" waits
    ['可以，平板激活过了还能退吗？[1]']
    >>> SentenceBuffer(first_clause=True).feed("可以，进入“我的订单”，选择")  # ... for the clause after it
    ['可以，进入“我的订单”，']
    """

    def __init__(self, *, first_clause: bool = False) -> None:
        self._text = ""
        self._clause_pending = first_clause

    def feed(self, piece: str) -> list[str]:
        self._text += piece
        if self._clause_pending and (clause := self._first_clause()):
            return [clause]
        sentences: list[str] = []
        start = 0
        for match in _END.finditer(self._text):
            if match.end() >= len(self._text) or _OPEN_CITATION.fullmatch(self._text, match.end()):
                break  # the end may still grow (more punctuation, a citation); wait for the next piece
            if match.end() > start:
                sentences.append(self._text[start : match.end()])
                start = match.end()
        self._text = self._text[start:]
        if sentences:
            self._clause_pending = False
        return sentences

    def _first_clause(self) -> str | None:
        """The text up to the first clause end with at least ``_MIN_CLAUSE`` characters before it, when no
        sentence ended before that clause end and more text follows it ("可以，" alone waits for the next clause)."""
        sentence = _END.search(self._text)
        end = sentence.start() if sentence else len(self._text)
        for clause in _CLAUSE_END.finditer(self._text, 0, end):
            if clause.end() >= len(self._text):
                return None  # the clause end may still grow, or a sentence end may follow it
            if len(self._text[: clause.start()].strip()) >= _MIN_CLAUSE:
                self._clause_pending = False
                head, self._text = self._text[: clause.end()], self._text[clause.end() :]
                return head
        return None

    def flush(self) -> list[str]:
        """What is left when the stream ends: one last sentence, or nothing."""
        rest, self._text = self._text, ""
        return [rest] if rest.strip() else []


@dataclass
class SentenceGate:
    """Decides, sentence by sentence, what of a generated answer may be streamed to the customer.

    ``admit`` returns the moderated sentence to send, or None when it is held back or the stream must stop;
    ``stopped`` says why. A sentence that restates ``question`` (the model echoing the customer) is held back
    without stopping the stream: it is neither sent nor part of ``body``. ``body`` is the answer to judge as
    a whole afterwards: the admitted sentences plus, after an ``unsupported`` or ``blocked`` stop, the
    offending sentence, so that the whole-answer grounding and moderation checks reach the same verdict as
    the sentence did.

    Examples
    --------
    >>> ps = [Passage("c1", "returns.md", "自签收之日起7天内可申请七天无理由退货，寄回运费由买家承担。")]
    >>> gate = SentenceGate(ps)
    >>> gate.admit("签收7天内可以无理由退货[1]。")
    '签收7天内可以无理由退货[1]。'
    >>> gate.admit("退货运费由卖家承担，15天内到账[1]。") is None, gate.stopped
    (True, 'unsupported')
    >>> gate.streamed
    '签收7天内可以无理由退货[1]。'
    >>> gate = SentenceGate(ps, question="拆封了还能无理由退货吗")
    >>> gate.admit("拆封了还能无理由退货吗？[1]"), gate.stopped, gate.admit("签收7天内可以无理由退货[1]。")
    (None, None, '签收7天内可以无理由退货[1]。')
    """

    passages: Sequence[Passage]
    system_prompt: str = ""
    allowed_placeholders: Iterable[str] = ()
    max_chars: int = 200
    prefix: str = ""
    """Sent with the first admitted sentence (the tone prefix the final reply starts with)."""
    question: str = ""
    """The customer's (condensed) question; sentences restating it are held back."""
    stopped: StopReason | None = None
    _admitted: list[str] = field(default_factory=list)
    _raw: list[str] = field(default_factory=list)
    _sent: list[str] = field(default_factory=list)

    def admit(self, sentence: str) -> str | None:
        sentence = without_leading_punctuation(sentence)
        if self.stopped is not None or not sentence:
            return None
        if self.question and restates_question(sentence, self.question):
            return None
        verdict = moderate_output(
            sentence,
            passages=self.passages,
            system_prompt=self.system_prompt,
            allowed_placeholders=self.allowed_placeholders,
        )
        if verdict.action == "block":
            self._stop("blocked", sentence)
            return None
        if not check_grounded(sentence, self.passages, require_citation=False).supported:
            self._stop("unsupported", sentence)
            return None
        text = verdict.text
        length = sum(len(s) for s in self._admitted)
        if length + len(text) > self.max_chars:
            if self._admitted:
                self.stopped = "limit"
                return None
            text = trim_to_limit(text, self.max_chars)  # a first sentence longer than the limit: cut it
            sentence, self.stopped = text, "limit"
        self._admitted.append(text)
        self._raw.append(sentence)
        piece = (self.prefix if len(self._admitted) == 1 else "") + text
        self._sent.append(piece)
        return piece

    @property
    def body(self) -> str:
        return "".join(self._raw)

    @property
    def streamed(self) -> str:
        """Everything ``admit`` returned so far, concatenated."""
        return "".join(self._sent)

    def _stop(self, reason: StopReason, sentence: str) -> None:
        self.stopped = reason
        self._raw.append(sentence)


def remainder_pieces(final_text: str, streamed: str) -> tuple[list[str], bool]:
    """The deltas that bring a client from ``streamed`` to ``final_text``, and whether they replace it.

    When the final text continues what was streamed, the rest is sent sentence by sentence; otherwise (the
    answer fell back to an extractive one or a hand-off after text was streamed) the whole final text is
    sent once, as a replacement.

    >>> remainder_pieces("退货请在订单页申请。运费买家承担。", "退货请在订单页申请。")
    (['运费买家承担。'], False)
    >>> remainder_pieces("正在为您转接人工客服。", "签收7天内可以退货。")
    (['正在为您转接人工客服。'], True)
    >>> remainder_pieces("好的。", "好的。")
    ([], False)
    """
    if not final_text.startswith(streamed):
        return [final_text], True
    buffer = SentenceBuffer()
    rest = final_text[len(streamed) :]
    return buffer.feed(rest) + buffer.flush(), False
