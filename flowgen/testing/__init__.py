"""The public test kit flowgen's own tests use: scripted agents and models, hypothesis strategies,
invariant checkers and conformance suites.

``ScriptedAgent`` and the scripted clients load with flowgen itself; ``strategies`` and the checkers
need hypothesis (the ``dev`` extra) and load on first use.

Example:
    >>> from flowgen.testing import ScriptedAgent
    >>> ScriptedAgent("critic", ["APPROVE"]).name
    'critic'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from flowgen.testing.agent import ScriptedAgent
from flowgen.testing.clients import SchemaChatCompletionClient
from flowgen.testing.models import ScriptedModels

if TYPE_CHECKING:
    from flowgen.testing import strategies
    from flowgen.testing.checks import check_selector, check_state_roundtrip, check_terminates
    from flowgen.testing.conformance import check_chat_agent, check_chat_completion_client

# Names that need hypothesis, and the module each lives in.
_LAZY = {
    "strategies": "flowgen.testing.strategies",
    "check_selector": "flowgen.testing.checks",
    "check_terminates": "flowgen.testing.checks",
    "check_state_roundtrip": "flowgen.testing.checks",
    "check_chat_agent": "flowgen.testing.conformance",
    "check_chat_completion_client": "flowgen.testing.conformance",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'flowgen.testing' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    return module if name == "strategies" else getattr(module, name)


__all__ = [
    "SchemaChatCompletionClient",
    "ScriptedAgent",
    "ScriptedModels",
    "check_chat_agent",
    "check_chat_completion_client",
    "check_selector",
    "check_state_roundtrip",
    "check_terminates",
    "strategies",
]
