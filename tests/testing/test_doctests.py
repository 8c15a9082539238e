"""The kit's docstring examples run, so the documentation cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "flowgen.testing.checks",
    "flowgen.testing.clients",
    "flowgen.testing.conformance",
    "flowgen.testing.models",
    "flowgen.testing.schema_values",
    "flowgen.testing.strategies",
    "flowgen.testing.termination",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no examples"
