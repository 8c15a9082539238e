"""The public test kit: scripted agents (and, later, strategies and invariant checks)."""

from flowgen.testing.agent import ScriptedAgent

__all__ = ["ScriptedAgent"]
