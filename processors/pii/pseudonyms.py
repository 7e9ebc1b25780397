"""Customer identifiers that are personal data become keyed pseudonyms before anything stores them.

Upstream systems often name a customer by a phone number or an e-mail address (``13812345678``,
``wx_13812345678``, ``li.lei@example.com``). Such a ``user_id`` is replaced by ``pii:`` and 24 hex digits of an
HMAC-SHA256 under the platform's pseudonym key (``KEFU_PSEUDONYM_KEY``), over the tenant and the identifier: the
same customer keeps the same pseudonym in every event, feedback record and process sharing the key (distinct
counts, joins and per-user experiment arms still work), the tenants' pseudonyms differ, and nobody without the key
can test a guessed phone number against it. Identifiers with no personal data in them (``user-4213``, a WeChat
openid) are left as they are. Detection is the masker's, for structured identifiers only (no name or address
rules), run once as written and once with letters and digits pulled apart, since ``u13812345678`` glues a prefix
to the number that running text would separate.

>>> pseudonyms = IdentifierPseudonymizer(b"k" * 32)
>>> pseudonyms("acme", "user-4213")
'user-4213'
>>> one = pseudonyms("acme", "u13812345678")
>>> one.startswith(PSEUDONYM_PREFIX), len(one), one == pseudonyms("acme", "u13812345678")
(True, 28, True)
>>> one == pseudonyms("other", "u13812345678"), pseudonyms("acme", one) == one
(False, True)
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import cache, lru_cache

from processors.pii.masker import PiiMasker

__all__ = ["PSEUDONYM_PREFIX", "IdentifierPseudonymizer", "process_pseudonyms"]

PSEUDONYM_PREFIX = "pii:"
_LETTER_DIGIT_SEAM = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")


class IdentifierPseudonymizer:
    """``(tenant, identifier) -> identifier or its pseudonym``; thread-safe, results cached (ids repeat)."""

    def __init__(self, key: bytes, *, cache_size: int = 65_536) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._key = key
        self._masker = PiiMasker(detect_names=False, detect_addresses=False)
        self._cached = lru_cache(maxsize=cache_size)(self._pseudonym)

    def __call__(self, tenant: str, identifier: str) -> str:
        """The identifier's pseudonym if it carries personal data (or is one already: unchanged), else itself."""
        return self._cached(tenant, identifier)

    def pseudonym(self, tenant: str, identifier: str) -> str:
        """The pseudonym, whatever the identifier (for values known to be personal data, such as an address)."""
        digest = hmac.new(self._key, f"{tenant}\x00{identifier}".encode(), hashlib.sha256).hexdigest()
        return PSEUDONYM_PREFIX + digest[:24]

    def carries_pii(self, identifier: str) -> bool:
        """Whether the masker finds a structured identifier in it, as written or with letters and digits apart."""
        if self._masker.mask(identifier).entities:
            return True
        separated = _LETTER_DIGIT_SEAM.sub(" ", identifier)
        return separated != identifier and bool(self._masker.mask(separated).entities)

    def _pseudonym(self, tenant: str, identifier: str) -> str:
        if identifier.startswith(PSEUDONYM_PREFIX) or not self.carries_pii(identifier):
            return identifier
        return self.pseudonym(tenant, identifier)


@cache
def process_pseudonyms() -> IdentifierPseudonymizer:
    """Pseudonyms under a key of this process alone, for callers given no platform key (tests, offline parsing):
    as safe, but another process or a restart names the same customer differently."""
    return IdentifierPseudonymizer(secrets.token_bytes(32))
