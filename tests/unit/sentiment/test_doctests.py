"""The Examples sections of the package's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import processors.sentiment

MODULES = sorted(
    f"processors.sentiment.{info.name}"
    for info in pkgutil.iter_modules(processors.sentiment.__path__)
    if info.name not in {"benchmark", "build_default", "evaluate_shared"}
)


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_hold(module_name: str) -> None:
    result = doctest.testmod(importlib.import_module(module_name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
