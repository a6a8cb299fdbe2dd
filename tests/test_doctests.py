"""The ``>>>`` examples in the package's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import kg

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(kg.__path__, "kg.") if m.name != "kg.__main__"
)


@pytest.mark.parametrize("name", ["kg", *MODULES])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
