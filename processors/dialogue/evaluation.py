"""Scoring a responder on scripted multi-turn conversations (``kefu eval dialogue`` prints the report).

A script is a JSON line ``{"id", "tenant_id", "locale", "turns": [{"text", "expect": {...}}]}``; each
turn's ``expect`` may hold ``slots`` (the complete slot dict after the turn), ``handoff`` (``null`` or a
``HandoffReason`` value), ``must_contain`` (facts the reply must state) and ``clarify`` (whether the
bot should ask a clarifying question). Keys left out are not checked.

The responder under test is any ``respond(text, state) -> ReplyLike`` callable: it receives the raw
customer text (it masks it itself, as the pipeline does) and the state after the previous turn.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from processors.responder.grounding import check_grounded
from serving.protocols import Passage

from .state import DialogueState

__all__ = [
    "EVAL_DATA_FILE",
    "DialogueReport",
    "ReplyLike",
    "ScriptedDialogue",
    "ScriptedTurn",
    "TurnExpectation",
    "evaluate_dialogues",
    "read_dialogues",
]

EVAL_DATA_FILE = Path(__file__).resolve().parent / "eval_data" / "dialogues.jsonl"
"""The shipped scripted conversations (about the sample knowledge base's shop)."""

_MAX_FAILURES = 60


@dataclass(frozen=True)
class TurnExpectation:
    """What a turn should produce; ``None`` (or an empty tuple) means "not checked"."""

    slots: Mapping[str, str] | None = None
    handoff: str | None = None
    check_handoff: bool = False
    must_contain: tuple[str, ...] = ()
    clarify: bool | None = None


@dataclass(frozen=True)
class ScriptedTurn:
    text: str
    expect: TurnExpectation = field(default_factory=TurnExpectation)


@dataclass(frozen=True)
class ScriptedDialogue:
    id: str
    tenant_id: str
    locale: str
    turns: tuple[ScriptedTurn, ...]


class ReplyLike(Protocol):
    """What the evaluation reads from a reply.

    ``action`` is ``"answer"`` (from the knowledge base; must cite), ``"canned"``, ``"clarify"`` or
    ``"handoff"``; ``passages`` are the passages the citations ``[1]``, ``[2]``... refer to; ``state`` is
    the dialogue state after the turn.
    """

    @property
    def text(self) -> str: ...

    @property
    def action(self) -> str: ...

    @property
    def handoff_reason(self) -> str | None: ...

    @property
    def passages(self) -> Sequence[Passage]: ...

    @property
    def state(self) -> DialogueState: ...


Respond = Callable[[str, DialogueState], ReplyLike]


def _expectation(raw: Mapping[str, Any]) -> TurnExpectation:
    slots = raw.get("slots")
    clarify = raw.get("clarify")
    return TurnExpectation(
        slots={str(k): str(v) for k, v in slots.items()} if isinstance(slots, Mapping) else None,
        handoff=raw.get("handoff"),
        check_handoff="handoff" in raw,
        must_contain=tuple(str(f) for f in raw.get("must_contain", ())),
        clarify=bool(clarify) if clarify is not None else None,
    )


def read_dialogues(path: Path = EVAL_DATA_FILE) -> list[ScriptedDialogue]:
    """Scripted dialogues from a JSONL file; a malformed line raises ``ValueError`` naming it.

    >>> dialogues = read_dialogues()
    >>> len(dialogues) >= 60, dialogues[0].turns[0].text != ""
    (True, True)
    """
    dialogues: list[ScriptedDialogue] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            turns = tuple(ScriptedTurn(str(t["text"]), _expectation(t.get("expect", {}))) for t in row["turns"])
            dialogues.append(
                ScriptedDialogue(str(row["id"]), str(row.get("tenant_id", "")), str(row.get("locale", "zh-CN")), turns)
            )
        except (KeyError, TypeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}:{number}: not a scripted dialogue ({error})") from error
    return dialogues


def _norm(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = re.sub(r"[–—~～]", "-", folded)
    return re.sub(r"\s+", "", folded)


def _ratio(numerator: int, denominator: int, empty: float = 1.0) -> float:
    return round(numerator / denominator, 4) if denominator else empty


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 3)


@dataclass
class DialogueReport:
    """The figures of one evaluation run; :meth:`to_dict` is what the CLI prints as JSON."""

    dialogues: int = 0
    turns: int = 0
    slot_values: int = 0
    slot_correct: int = 0
    slot_turns: int = 0
    slot_turns_correct: int = 0
    handoff_tp: int = 0
    handoff_fp: int = 0
    handoff_fn: int = 0
    handoff_reason_correct: int = 0
    clarify_checked: int = 0
    clarify_correct: int = 0
    answers: int = 0
    answers_cited: int = 0
    answers_grounded: int = 0
    facts: int = 0
    facts_found: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def _fail(self, message: str) -> None:
        if len(self.failures) < _MAX_FAILURES:
            self.failures.append(message)

    def to_dict(self) -> dict[str, Any]:
        """Rates (0..1) and counts, JSON-compatible."""
        return {
            "dialogues": self.dialogues,
            "turns": self.turns,
            "slot_accuracy": _ratio(self.slot_correct, self.slot_values),
            "slot_joint_accuracy": _ratio(self.slot_turns_correct, self.slot_turns),
            "handoff_precision": _ratio(self.handoff_tp, self.handoff_tp + self.handoff_fp),
            "handoff_recall": _ratio(self.handoff_tp, self.handoff_tp + self.handoff_fn),
            "handoff_reason_accuracy": _ratio(self.handoff_reason_correct, self.handoff_tp),
            "clarify_accuracy": _ratio(self.clarify_correct, self.clarify_checked),
            "answers": self.answers,
            "citation_rate": _ratio(self.answers_cited, self.answers),
            "groundedness": _ratio(self.answers_grounded, self.answers),
            "fact_recall": _ratio(self.facts_found, self.facts),
            "latency_ms": {
                "p50": _percentile(self.latencies_ms, 0.5),
                "p95": _percentile(self.latencies_ms, 0.95),
                "max": round(max(self.latencies_ms), 3) if self.latencies_ms else 0.0,
            },
            "counts": {
                "slot_values": self.slot_values,
                "handoff_tp": self.handoff_tp,
                "handoff_fp": self.handoff_fp,
                "handoff_fn": self.handoff_fn,
                "facts": self.facts,
            },
            "failures": list(self.failures),
        }


def _score_slots(report: DialogueReport, where: str, expected: Mapping[str, str], got: Mapping[str, str]) -> None:
    keys = set(expected) | set(got)
    wrong = sorted(k for k in keys if expected.get(k) != got.get(k))
    report.slot_values += len(keys)
    report.slot_correct += len(keys) - len(wrong)
    report.slot_turns += 1
    if wrong:
        detail = ", ".join(f"{k}: want {expected.get(k)!r} got {got.get(k)!r}" for k in wrong)
        report._fail(f"{where} slots ({detail})")
    else:
        report.slot_turns_correct += 1


def _score_turn(report: DialogueReport, where: str, expect: TurnExpectation, reply: ReplyLike) -> None:
    if expect.slots is not None:
        _score_slots(report, where, expect.slots, reply.state.slots)
    predicted = reply.action == "handoff"
    if expect.check_handoff:
        wanted = expect.handoff is not None
        if wanted and predicted:
            report.handoff_tp += 1
            if reply.handoff_reason == expect.handoff:
                report.handoff_reason_correct += 1
            else:
                report._fail(f"{where} handoff reason: want {expect.handoff} got {reply.handoff_reason}")
        elif predicted:
            report.handoff_fp += 1
            report._fail(f"{where} unexpected handoff ({reply.handoff_reason})")
        elif wanted:
            report.handoff_fn += 1
            report._fail(f"{where} missed handoff ({expect.handoff}); bot did {reply.action}")
    if expect.clarify is not None:
        report.clarify_checked += 1
        if expect.clarify == (reply.action == "clarify"):
            report.clarify_correct += 1
        else:
            report._fail(f"{where} clarify: want {expect.clarify} got action {reply.action}")
    if reply.action == "answer":
        report.answers += 1
        grounding = check_grounded(reply.text, reply.passages)
        report.answers_cited += bool(grounding.citations_used)
        report.answers_grounded += grounding.supported
        if not grounding.supported:
            report._fail(f"{where} ungrounded answer")
    text = _norm(reply.text)
    for fact in expect.must_contain:
        report.facts += 1
        if _norm(fact) in text:
            report.facts_found += 1
        else:
            report._fail(f"{where} missing fact {fact!r}")


def evaluate_dialogues(
    dialogues: Sequence[ScriptedDialogue],
    respond: Respond,
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> DialogueReport:
    """Replay every dialogue through ``respond`` and score it.

    Slot accuracy counts, per checked turn, every slot either expected or predicted (a spurious slot is
    an error); hand-off precision and recall count turns; groundedness is the fraction of ``"answer"``
    replies that :func:`processors.responder.grounding.check_grounded` supports (which requires a
    citation); latency is measured around each ``respond`` call with ``clock``.

    Examples
    --------
    >>> from dataclasses import dataclass, replace
    >>> @dataclass
    ... class Reply:
    ...     text: str
    ...     action: str
    ...     handoff_reason: str | None
    ...     passages: tuple[Passage, ...]
    ...     state: DialogueState
    >>> def respond(text: str, state: DialogueState) -> Reply:
    ...     if "人工" in text:
    ...         return Reply("转人工", "handoff", "customer_request", (), state)
    ...     return Reply("满99元包邮[1]。", "answer", None, (Passage("c", "s", "满99元包邮"),), state)
    >>> script = ScriptedDialogue("d1", "t", "zh-CN", (
    ...     ScriptedTurn("多少钱包邮", TurnExpectation(handoff=None, check_handoff=True, must_contain=("99元",))),
    ...     ScriptedTurn("转人工", TurnExpectation(handoff="customer_request", check_handoff=True))))
    >>> r = evaluate_dialogues([script], respond).to_dict()
    >>> r["handoff_recall"], r["handoff_precision"], r["groundedness"], r["fact_recall"]
    (1.0, 1.0, 1.0, 1.0)
    """
    report = DialogueReport()
    for dialogue in dialogues:
        report.dialogues += 1
        state = DialogueState(conversation_id=dialogue.id, tenant_id=dialogue.tenant_id, locale=dialogue.locale)
        for index, turn in enumerate(dialogue.turns, start=1):
            started = clock()
            reply = respond(turn.text, state)
            report.latencies_ms.append((clock() - started) * 1000.0)
            report.turns += 1
            _score_turn(report, f"{dialogue.id}#{index}", turn.expect, reply)
            state = reply.state
    return report
