"""The agent state store's docstring examples run (against a real SQLite file)."""

from __future__ import annotations

import doctest

from flowgen.distributed import agent_state_store


def test_docstring_examples_run() -> None:
    result = doctest.testmod(agent_state_store, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
