"""Errors that callers of the model layer handle, whichever implementation or transport is behind it."""

from __future__ import annotations


class ModelUnavailable(RuntimeError):
    """A model replica or endpoint is down, overloaded past its retries, or missed its deadline.

    The responder turns it into an extractive answer or a hand-off; ``model`` names what failed and ``reason``
    is a short machine-readable cause (``timeout``, ``connect``, ``http_503``, ``replica_died``...).
    """

    def __init__(self, model: str, reason: str, detail: str = "") -> None:
        super().__init__(f"{model} unavailable ({reason}){': ' + detail if detail else ''}")
        self.model = model
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[ModelUnavailable], tuple[str, str, str]]:
        # pickled across Ray processes: keep the fields, not just the message
        return (type(self), (self.model, self.reason, self.detail))
