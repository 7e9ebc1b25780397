"""Run the docstring examples of every module of the PII package as part of the unit suite."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import processors.pii

MODULES = sorted(info.name for info in pkgutil.iter_modules(processors.pii.__path__, "processors.pii."))


@pytest.mark.parametrize("module_name", ["processors.pii", *MODULES])
def test_docstring_examples(module_name: str) -> None:
    result = doctest.testmod(importlib.import_module(module_name))
    assert result.failed == 0
