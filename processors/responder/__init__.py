"""The responder's pure decision logic: policy, prompts, grounding, routing and retries.

No Faust, Ray, Milvus or network code: the responder agent (``streams/``) calls these between its model
and store calls. Public surface: the names in ``__all__``.
"""

from processors.responder.canned import canned_reply, clarifying_question, handoff_notice
from processors.responder.grounding import (
    GroundingResult,
    check_grounded,
    cited_passages,
    drop_restatements,
    extractive_answer,
    restates_question,
    split_sentences,
    tone_prefix,
    trim_to_limit,
    without_citation_markers,
    without_leading_punctuation,
)
from processors.responder.passage_focus import focus_passages, relevant_passages
from processors.responder.policy import (
    DEFAULT_POLICY,
    Decision,
    DecisionAction,
    HandoffReason,
    MessageSignals,
    PolicyConfig,
    after_generation,
    decide,
    triage,
)
from processors.responder.prompt import answer_instruction, build_messages, system_prompt, warm_up_messages
from processors.responder.routing import (
    ModelProfile,
    RetryPolicy,
    RoutingConfig,
    acall_with_retries,
    backoff_delays,
    call_with_retries,
    choose_profile,
)
from processors.responder.streaming import SentenceBuffer, SentenceGate, remainder_pieces

__all__ = [
    "DEFAULT_POLICY",
    "Decision",
    "DecisionAction",
    "GroundingResult",
    "HandoffReason",
    "MessageSignals",
    "ModelProfile",
    "PolicyConfig",
    "RetryPolicy",
    "RoutingConfig",
    "SentenceBuffer",
    "SentenceGate",
    "acall_with_retries",
    "after_generation",
    "answer_instruction",
    "backoff_delays",
    "build_messages",
    "call_with_retries",
    "canned_reply",
    "check_grounded",
    "choose_profile",
    "cited_passages",
    "clarifying_question",
    "decide",
    "drop_restatements",
    "extractive_answer",
    "focus_passages",
    "handoff_notice",
    "relevant_passages",
    "remainder_pieces",
    "restates_question",
    "split_sentences",
    "system_prompt",
    "tone_prefix",
    "triage",
    "trim_to_limit",
    "warm_up_messages",
    "without_citation_markers",
    "without_leading_punctuation",
]
