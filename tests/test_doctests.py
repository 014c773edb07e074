"""The examples in the engine's docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ikscheck

MODULES = sorted(
    name
    for _, name, _ in pkgutil.iter_modules(ikscheck.__path__, "ikscheck.")
    if name != "ikscheck.pytest_plugin"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0
