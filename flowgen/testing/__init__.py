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

from typing import TYPE_CHECKING

from flowgen.lazy_exports import lazy_exports
from flowgen.testing.agent import ScriptedAgent
from flowgen.testing.clients import SchemaChatCompletionClient
from flowgen.testing.models import ScriptedModels

if TYPE_CHECKING:
    from flowgen.testing import component_strategies, strategies
    from flowgen.testing.checkpoint_conformance import check_checkpointer
    from flowgen.testing.checks import check_selector, check_state_roundtrip, check_terminates
    from flowgen.testing.conformance import check_chat_agent, check_chat_completion_client
    from flowgen.testing.interrupts import InterruptScenario, ModelLog, check_interruptions

# Names that need hypothesis, and the module each lives in.
_LAZY = {
    "strategies": "flowgen.testing.strategies",
    "component_strategies": "flowgen.testing.component_strategies",
    "check_selector": "flowgen.testing.checks",
    "check_terminates": "flowgen.testing.checks",
    "check_state_roundtrip": "flowgen.testing.checks",
    "check_chat_agent": "flowgen.testing.conformance",
    "check_checkpointer": "flowgen.testing.checkpoint_conformance",
    "check_chat_completion_client": "flowgen.testing.conformance",
    # The interruption kit loads on first use: it is for tests, not for running teams.
    "InterruptScenario": "flowgen.testing.interrupts",
    "ModelLog": "flowgen.testing.interrupts",
    "check_interruptions": "flowgen.testing.interrupts",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "InterruptScenario",
    "ModelLog",
    "SchemaChatCompletionClient",
    "ScriptedAgent",
    "ScriptedModels",
    "check_chat_agent",
    "check_chat_completion_client",
    "check_interruptions",
    "check_checkpointer",
    "check_selector",
    "check_state_roundtrip",
    "check_terminates",
    "component_strategies",
    "strategies",
]
