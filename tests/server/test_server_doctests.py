"""The server modules' docstring examples run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "flowgen.server.api_keys",
    "flowgen.server.rate_limit",
    "flowgen.server.settings",
    "flowgen.server.run_log",
    "flowgen.server.run_registry",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no examples"
