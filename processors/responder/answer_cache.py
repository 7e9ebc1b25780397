"""The semantic answer cache: a grounded answer reused for a new question that means the same.

Pure logic over vectors: per tenant, the embeddings of the standalone queries that were answered, with the
answer, its citations and the knowledge-base version it was grounded on. A lookup returns the most similar
cached query's answer when its cosine reaches the threshold (calibrated on AFQMC pairs for the embedder in
use: ``kefu eval cache-threshold``) and the knowledge base has not changed since; a change of version empties
the tenant's cache. Only answers that do not depend on the customer's own data are cached
(:func:`cacheable`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from serving.protocols import Passage

__all__ = ["AnswerCache", "CachedAnswer", "cacheable"]

_PLACEHOLDER = re.compile(r"\[[A-Z_]+_\d+\]")
_CITATION = re.compile(r"\[\d+\]")
# Questions about the customer's own order, parcel or account: the answer is theirs, not the shop's policy.
_PERSONAL = re.compile(
    r"我的(?:订单|包裹|快递|退款|账户|账号|售后|物流)|我(?:买|下单|寄)的|这(?:个|笔)订单|"
    r"\bmy\s+(?:order|parcel|package|refund|account|delivery)\b",
    re.IGNORECASE,
)
_IDENTIFIER_SLOTS = ("order_id", "tracking_no", "phone", "address", "email", "name")


@dataclass(frozen=True)
class CachedAnswer:
    query: str
    """The standalone query it answered."""
    text: str
    """The answer as sent, with its ``[n]`` citation markers (no tone prefix)."""
    passages: tuple[Passage, ...]
    """The passages the citations refer to."""
    confidence: float
    kb_version: str


def cacheable(query: str, text: str, passages: Sequence[Passage], slots: Mapping[str, str]) -> bool:
    """Whether an answer may be reused for other customers.

    It must cite a passage, and neither the question nor the answer may carry personal data: a PII
    placeholder, an identifier slot's value (order or tracking number...) or a question about "my order".

    >>> ps = (Passage("c1", "faq.jsonl", "满99元包邮。"),)
    >>> cacheable("多少钱包邮", "满99元包邮。[1]", ps, {})
    True
    >>> cacheable("多少钱包邮", "满99元包邮。", ps, {})
    False
    >>> cacheable("KF20250512083015 到哪了", "已发货[1]", ps, {"order_id": "KF20250512083015"})
    False
    >>> cacheable("我的订单什么时候到", "江浙沪次日送达[1]", ps, {})
    False
    >>> cacheable("发票寄到[ADDRESS_1]吗", "电子发票[1]", ps, {})
    False
    """
    if not passages or not _CITATION.search(text):
        return False
    if _PLACEHOLDER.search(query) or _PLACEHOLDER.search(text) or _PERSONAL.search(query):
        return False
    values = [str(slots[k]) for k in _IDENTIFIER_SLOTS if slots.get(k)]
    return not any(v and (v in query or v in text) for v in values)


class _TenantCache:
    def __init__(self, kb_version: str, dim: int) -> None:
        self.kb_version = kb_version
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        self.entries: list[CachedAnswer] = []


class AnswerCache:
    """Cached answers per tenant, looked up by cosine similarity of unit-normalised query vectors.

    >>> cache = AnswerCache(max_entries=2)
    >>> v = np.array([1.0, 0.0], dtype=np.float32)
    >>> ps = (Passage("c1", "faq.jsonl", "满99元包邮。"),)
    >>> cache.store("acme", "kb1", v, CachedAnswer("多少钱包邮", "满99元包邮。[1]", ps, 0.8, "kb1"))
    >>> hit = cache.lookup("acme", "kb1", np.array([0.99, 0.14], dtype=np.float32), threshold=0.95)
    >>> hit[0].text, round(hit[1], 2)
    ('满99元包邮。[1]', 0.99)
    >>> cache.lookup("acme", "kb2", v, threshold=0.95) is None    # the KB changed: nothing reused
    True
    >>> cache.lookup("other", "kb1", v, threshold=0.95) is None   # tenants never share answers
    True
    """

    def __init__(self, max_entries: int = 5000) -> None:
        self.max_entries = max_entries
        self._tenants: dict[str, _TenantCache] = {}

    def _tenant(self, tenant: str, kb_version: str, dim: int) -> _TenantCache:
        cache = self._tenants.get(tenant)
        if cache is None or cache.kb_version != kb_version or cache.vectors.shape[1] != dim:
            cache = self._tenants[tenant] = _TenantCache(kb_version, dim)
        return cache

    def lookup(
        self, tenant: str, kb_version: str, vector: np.ndarray[Any, Any], *, threshold: float
    ) -> tuple[CachedAnswer, float] | None:
        """The best cached answer at or above ``threshold`` cosine, with its similarity, or ``None``."""
        query = _unit(vector)
        cache = self._tenant(tenant, kb_version, len(query))
        if not cache.entries:
            return None
        similarities = cache.vectors @ query
        best = int(np.argmax(similarities))
        similarity = float(similarities[best])
        return (cache.entries[best], similarity) if similarity >= threshold else None

    def store(self, tenant: str, kb_version: str, vector: np.ndarray[Any, Any], answer: CachedAnswer) -> None:
        """Remember ``answer``; the oldest entry goes when the tenant holds ``max_entries``."""
        query = _unit(vector)
        cache = self._tenant(tenant, kb_version, len(query))
        cache.vectors = np.vstack([cache.vectors, query[None, :]])[-self.max_entries :]
        cache.entries = [*cache.entries, answer][-self.max_entries :]

    def clear(self, tenant: str | None = None) -> None:
        if tenant is None:
            self._tenants.clear()
        else:
            self._tenants.pop(tenant, None)

    def size(self, tenant: str) -> int:
        cache = self._tenants.get(tenant)
        return len(cache.entries) if cache else 0


def _unit(vector: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v
