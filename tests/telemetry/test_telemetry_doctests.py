"""The telemetry docstring examples run."""

from __future__ import annotations

import doctest
import importlib

import pytest

from flowgen.telemetry import hooks

MODULES = [
    "flowgen.telemetry",
    "flowgen.telemetry.redaction",
    "flowgen.telemetry.span_drawing",
    "flowgen.telemetry.thread_scope",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no examples"
    assert hooks.observer is None
