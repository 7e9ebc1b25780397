"""The one error embedders raise, whatever the backend."""

from __future__ import annotations


class EmbedderError(RuntimeError):
    """An embedding request failed: the endpoint was unreachable, slow, refused it or answered nonsense."""
