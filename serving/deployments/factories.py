"""Resolve the ``module:function`` factories named in settings (the embedder and reranker to serve)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from kefu.settings import Settings


def load_factory(spec: str) -> Callable[[Settings], Any]:
    """``"package.module:function"`` -> the function; a clear error if it does not exist.

    >>> load_factory("kefu.settings:Settings").__name__
    'Settings'
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"factory {spec!r} is not of the form 'package.module:function'")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"factory {spec!r} cannot be loaded: {error}") from error
    if not callable(factory):
        raise ValueError(f"factory {spec!r} is not callable")
    return factory  # type: ignore[no-any-return]


def settings_from(dump: dict[str, Any]) -> Settings:
    """Settings rebuilt inside a replica from the driver's values (a replica's environment may differ)."""
    return Settings.model_validate(dump)
