"""Log records with PII masked, whatever logger, handler or framework (Faust, uvicorn) emits them.

A log record factory masks the formatted message and any traceback when the record is created, so no handler a
library installs later can write the raw text: logs are downstream of masking too (ARCHITECTURE.md).
"""

from __future__ import annotations

import logging
from typing import Any

from processors.pii.redact import redact_text

_installed = False


def _redact(text: str) -> str:
    return redact_text(text, None, digit_runs=False, scan_all=True)


def install() -> None:
    """Make every log record of this process PII-masked (idempotent)."""
    global _installed  # noqa: PLW0603 - one factory per process
    if _installed:
        return
    base = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the template only
            message = str(record.msg)
        record.msg, record.args = _redact(message), ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = _redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
