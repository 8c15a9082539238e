"""One module per framework, all behind the same interface.

Each module exposes ``NAME``, ``version()`` and one coroutine per workload; a coroutine builds the
team (untimed) and returns a :data:`Workload`, which runs it once and returns the :class:`Outcome`
counted from the framework's own result. A workload a framework cannot express yet raises
:class:`Unavailable`, which the harness reports instead of failing.

Workloads (the same logical work everywhere: a conversation starts with one user task; an agent turn
reads the new messages, calls a scripted model once and appends one message):

- ``round_robin(agents, turns)``: agents speak in a fixed cycle.
- ``selector(agents, turns)``: a selector function picks the next speaker from the last message.
- ``swarm(agents, handoffs)``: each turn the model hands off to the next agent.
- ``fan_out(branches, rounds)``: a dispatcher, ``branches`` parallel agents, a joiner waiting for all.
- ``conversation(turns, latency)``: two agents taking turns, the model sleeping ``latency`` seconds.
- ``idle_team()``: a two-agent team that has run one short conversation, to be held in memory.
- ``one_turn()``: a one-agent team running one turn (the start-up scenario).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import ModuleType

FRAMEWORKS: dict[str, str] = {
    "flowgen": "benchmarks.frameworks.flowgen_impl",
    "autogen": "benchmarks.frameworks.autogen_impl",
    "langgraph": "benchmarks.frameworks.langgraph_impl",
}

TASK = "Plan the release notes for version 2.0."
REPLY = "Noted; here is my part of the answer."


class Unavailable(Exception):
    """The framework (or this version of it) cannot run the workload."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run produced, counted from the framework's own result.

    Attributes:
        count: messages of the workload's kind (text replies, or handoffs for the swarm), the task excluded.
        by_source: the same messages counted per speaker.
    """

    count: int
    by_source: dict[str, int] = field(default_factory=dict)


Workload = Callable[[], Awaitable[Outcome]]


def load(name: str) -> ModuleType:
    """Import the module implementing framework ``name``; ImportError becomes Unavailable."""
    if name not in FRAMEWORKS:
        raise ValueError(f"unknown framework {name!r}; choose from {', '.join(FRAMEWORKS)}")
    try:
        return importlib.import_module(FRAMEWORKS[name])
    except ImportError as exc:
        hint = "" if name == "flowgen" else "; install the peers with: pip install -e '.[bench]'"
        raise Unavailable(f"{name} cannot be imported ({exc}){hint}") from exc


def speaker_names(count: int) -> list[str]:
    """The agents' names: agent_0 … agent_{count-1}."""
    return [f"agent_{i}" for i in range(count)]


def next_by_selector(last_source: str, names: list[str]) -> str:
    """The selector function's rule, shared by every framework: skip one seat (i -> i + 2)."""
    if last_source not in names:
        return names[0]
    return names[(names.index(last_source) + 2) % len(names)]
