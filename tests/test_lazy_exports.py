"""Lazily exported package names: loaded on first read, listed by dir(), unknown names refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

import flowgen.core
import flowgen.testing


def test_an_unknown_name_raises_attribute_error_naming_the_package() -> None:
    with pytest.raises(AttributeError, match=r"module 'flowgen\.core' has no attribute 'Nope'"):
        _ = flowgen.core.Nope  # type: ignore[attr-defined]


def test_dir_lists_the_names_not_loaded_yet() -> None:
    assert {"AgentId", "TopicId", "MemoryContent", "CancellationToken"} <= set(dir(flowgen.core))


def test_a_name_loads_its_module_on_first_read_and_stays() -> None:
    code = (
        "import sys, flowgen.core\n"
        "print('flowgen.core.ids' in sys.modules)\n"
        "agent_id = flowgen.core.AgentId\n"
        "print('flowgen.core.ids' in sys.modules, 'AgentId' in vars(flowgen.core), agent_id.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["False", "True True AgentId"]


def test_an_export_named_for_its_own_module_is_that_module() -> None:
    from flowgen.testing import strategies

    assert strategies.__name__ == "flowgen.testing.strategies"
    assert flowgen.testing.strategies is strategies
