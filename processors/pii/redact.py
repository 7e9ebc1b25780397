"""Redacting what cannot be parsed: dead-letter previews, keys and reasons.

A record that failed to decode never reached the masker, so its bytes may hold anything: a dead letter keeps a
*preview* instead, the bytes decoded best-effort as UTF-8, control characters turned into spaces, PII masked, and
then every remaining run of five or more digits (which the masker may have missed because binary framing glued
other digits to it) replaced by ``[NUMBER]``. Over-redaction is the right error here: a preview is for diagnosis.

>>> redact_text("\\x16" + "0138123456780" + " call me a@b.cn")
'[NUMBER] call me [EMAIL_1]'
>>> redact_text("order 1234 ok")
'order 1234 ok'
"""

from __future__ import annotations

import re

from .masker import mask_pii

#: Longest input masked (characters); the rest is dropped before masking so a huge record costs little.
MAX_SCANNED_CHARS = 8192
#: Longest preview kept.
MAX_PREVIEW_CHARS = 2000

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]+")
_DIGIT_RUN = re.compile(r"\d(?:[\s\-./]?\d){4,}")
_EMAIL_FRAGMENT = re.compile(r"[^\s@\[\]]*@[^\s@\[\]]+")


def redact_text(
    text: str, limit: int | None = MAX_PREVIEW_CHARS, *, digit_runs: bool = True, scan_all: bool = False
) -> str:
    """``text`` with PII masked and leftover ``@`` addresses redacted, cut to ``limit``; with ``digit_runs`` (for
    text that was never parsed) every run of 5+ digits too. Keep ``digit_runs`` off for text Kefu wrote itself
    (a reason's figures) or for ids (order numbers are not PII). ``scan_all`` masks all of a long text (logs)."""
    cleaned = _CONTROL.sub(" ", text if scan_all else text[:MAX_SCANNED_CHARS])
    masked = mask_pii(cleaned).masked
    if digit_runs:
        masked = _DIGIT_RUN.sub("[NUMBER]", masked)
    masked = _EMAIL_FRAGMENT.sub("[EMAIL]", masked)
    return masked.strip()[:limit] if limit is not None else masked


def redact_bytes(raw: bytes | None, limit: int = MAX_PREVIEW_CHARS, *, digit_runs: bool = True) -> str:
    """A redacted best-effort UTF-8 reading of ``raw`` (empty for None)."""
    if not raw:
        return ""
    return redact_text(raw[: MAX_SCANNED_CHARS * 4].decode("utf-8", errors="replace"), limit, digit_runs=digit_runs)
