"""A pure responder for tests: the processors wired in the order the Faust responder will use them.

Retrieval is a test double: character-bigram TF-IDF cosine over the sample knowledge base's FAQ, in
memory. No generator is involved: answers are extractive, so what this measures is the dialogue logic
(slots, condensation, policy, moderation, grounding), not a model's prose.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from processors.dialogue import DialogueState, condense_question, record_reply, retrieval_query, update_state
from processors.intent import IntentModel, load_default_intent_model
from processors.moderation import moderate_input, moderate_output, screen_passages
from processors.pii import mask_pii
from processors.responder import (
    MessageSignals,
    PolicyConfig,
    after_generation,
    check_grounded,
    decide,
    extractive_answer,
    tone_prefix,
    triage,
    trim_to_limit,
)
from processors.sentiment import SentimentModel, load_default_sentiment_model
from serving.protocols import Passage

SAMPLE_KB = Path(__file__).resolve().parents[3] / "serving" / "knowledge" / "sample_kb"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[a-z0-9]+")


def _features(text: str) -> Counter[str]:
    folded = unicodedata.normalize("NFKC", text).lower()
    cjk = "".join(_CJK.findall(folded))
    grams = Counter(cjk[i : i + 2] for i in range(len(cjk) - 1))
    grams.update(cjk)
    grams.update(w for w in _WORD.findall(folded) if len(w) > 1)
    return grams


class FaqIndex:
    """In-memory TF-IDF over FAQ questions (answers count half); the score is a cosine in 0..1."""

    def __init__(self, rows: Sequence[Mapping[str, str]]) -> None:
        self.passages = [
            Passage(f"faq-{i}", "faq.jsonl", f"问：{r['question']}\n答：{r['answer']}", r["question"])
            for i, r in enumerate(rows)
        ]
        docs = [
            _features(r["question"]) + Counter({k: v * 0.5 for k, v in _features(r["answer"]).items()}) for r in rows
        ]
        df = Counter(term for doc in docs for term in doc)
        self.idf = {term: math.log((1 + len(docs)) / (1 + n)) + 1 for term, n in df.items()}
        self.vectors = [self._weigh(doc) for doc in docs]

    @classmethod
    def from_sample_kb(cls) -> FaqIndex:
        lines = (SAMPLE_KB / "faq.jsonl").read_text(encoding="utf-8").splitlines()
        return cls([json.loads(line) for line in lines if line.strip()])

    def _weigh(self, counts: Mapping[str, float]) -> dict[str, float]:
        vector = {t: c * self.idf.get(t, 0.0) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {t: v / norm for t, v in vector.items()}

    def search(self, query: str, k: int = 3) -> list[Passage]:
        q = self._weigh(_features(query))
        scores = [sum(w * vec.get(t, 0.0) for t, w in q.items()) for vec in self.vectors]
        best = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        return [Passage(**{**self.passages[i].__dict__, "score": round(scores[i], 4)}) for i in best]


@dataclass(frozen=True)
class Reply:
    text: str
    action: str
    handoff_reason: str | None
    passages: tuple[Passage, ...]
    state: DialogueState
    query: str = ""
    confidence: float = 0.0
    details: Mapping[str, Any] = field(default_factory=dict)


class PureResponder:
    """``respond(text, state) -> Reply`` from the pure modules and the FAQ test double."""

    def __init__(
        self,
        index: FaqIndex | None = None,
        *,
        policy: PolicyConfig | None = None,
        intent_model: IntentModel | None = None,
        sentiment_model: SentimentModel | None = None,
        max_chars: int = 200,
    ) -> None:
        self.index = index or FaqIndex.from_sample_kb()
        self.policy = policy or PolicyConfig()
        self.intent_model = intent_model or load_default_intent_model()
        self.sentiment_model = sentiment_model or load_default_sentiment_model()
        self.max_chars = max_chars

    def __call__(self, text: str, state: DialogueState) -> Reply:
        masked = mask_pii(text)
        entities = [{"type": e.type, "placeholder": e.placeholder} for e in masked.entities]
        moderation = moderate_input(masked.masked)
        intent = self.intent_model.predict([moderation.text or masked.masked])[0]
        sentiment = self.sentiment_model.predict([masked.masked])[0]
        event = {
            "role": "customer",
            "text": masked.masked,
            "pii_entities": entities,
            "intent": intent.intent,
            "intent_confidence": intent.confidence,
            "intents": [{"label": label, "confidence": c} for label, c in intent.intents],
            "sentiment": {"emotion": sentiment.emotion},
        }
        query = condense_question(moderation.text, state) if moderation.text else ""
        state = update_state(state, event, standalone_query=query or None)
        signals = MessageSignals.from_event(event, text=moderation.text)
        decision = triage(state, signals, moderation=moderation, config=self.policy)
        passages: tuple[Passage, ...] = ()
        confidence = 0.0
        if decision is None:
            passages = tuple(screen_passages(self.index.search(retrieval_query(query))))
            confidence = passages[0].score if passages else 0.0
            decision = decide(state, signals, confidence, moderation=moderation, config=self.policy)
        reply_text = decision.reply
        if decision.action == "answer":
            body = extractive_answer(query, passages, max_chars=self.max_chars)
            grounding = check_grounded(body, passages)
            follow = after_generation(grounding.supported, confidence, locale=state.locale, config=self.policy)
            if follow.action == "handoff":
                decision, reply_text = follow, follow.reply
            else:
                checked = moderate_output(body, passages=passages)
                reply_text = tone_prefix(state.emotion, state.locale) + trim_to_limit(checked.text, self.max_chars)
        state = record_reply(state, reply_text, action=decision.action)
        reason = decision.reason.value if decision.reason is not None else None
        return Reply(reply_text, decision.action, reason, passages, state, query, confidence)
