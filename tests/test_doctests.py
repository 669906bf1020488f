"""Every docstring example in the package runs (ftfy's habit: examples are tests)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import despin

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(despin.__path__, "despin.") if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name: str) -> None:
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0, name
