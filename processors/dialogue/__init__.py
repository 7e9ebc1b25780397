"""Dialogue state of a conversation: slots, recent turns, rolling summary, and question condensation.

Pure logic (no Kafka, no Faust, no model calls). Public surface: :class:`DialogueState`,
:func:`update_state`, :func:`record_reply`, :func:`extract_slots`, :func:`condense_question`,
:func:`is_follow_up`, :func:`detect_topic`, :func:`small_talk_kind`, :func:`summarize` and the word lists
(:class:`Lexicon`). Scoring of scripted conversations lives in :mod:`processors.dialogue.evaluation`.
"""

from processors.dialogue.condense import Rewriter, condense_question, is_follow_up, retrieval_query, slot_statement
from processors.dialogue.lexicon import DEFAULT_LEXICON, Lexicon, Topic
from processors.dialogue.slots import SLOT_NAMES, extract_slots
from processors.dialogue.smalltalk import SmallTalk, small_talk_kind
from processors.dialogue.state import (
    STATE_VERSION,
    DialogueState,
    ReplyAction,
    StateConfig,
    Turn,
    record_reply,
    update_state,
)
from processors.dialogue.summary import summarize
from processors.dialogue.topics import detect_topic

__all__ = [
    "DEFAULT_LEXICON",
    "SLOT_NAMES",
    "STATE_VERSION",
    "DialogueState",
    "Lexicon",
    "ReplyAction",
    "Rewriter",
    "SmallTalk",
    "StateConfig",
    "Topic",
    "Turn",
    "condense_question",
    "detect_topic",
    "extract_slots",
    "is_follow_up",
    "record_reply",
    "retrieval_query",
    "slot_statement",
    "small_talk_kind",
    "summarize",
    "update_state",
]
