"""Which live agents are idle, and since when: the bookkeeping behind the runtime's virtual actors.

An agent is *busy* while one of its handlers runs; otherwise it is idle since its last message.
Agents are kept in order of last use (a dict, re-inserted on each use), so the idle ones are found
from the front without scanning the busy or recent ones.

Example:
    >>> now = [0.0]
    >>> idle = IdleAgents(60, lambda: now[0])
    >>> a, b = AgentId("worker", "a"), AgentId("worker", "b")
    >>> idle.made(a); idle.made(b); idle.enter(b)
    >>> now[0] = 100
    >>> idle.stale()
    [AgentId(type="worker", key="a")]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from flowgen.core.ids import AgentId


class IdleAgents:
    """Last use and busy counts of the live agents; ``after`` is how long idle makes an agent stale."""

    __slots__ = ("_busy", "_clock", "_deadline", "_last_used", "after")

    def __init__(self, after: float, clock: Callable[[], float]) -> None:
        self.after = after
        self._clock = clock
        self._last_used: dict[AgentId, float] = {}
        self._busy: dict[AgentId, int] = {}
        self._deadline = 0.0

    def made(self, agent_id: AgentId) -> None:
        """A new agent: idle from now."""
        self._last_used[agent_id] = self._clock()

    def enter(self, agent_id: AgentId) -> None:
        self._busy[agent_id] = self._busy.get(agent_id, 0) + 1

    def leave(self, agent_id: AgentId) -> None:
        left = self._busy[agent_id] - 1
        if left:
            self._busy[agent_id] = left
        else:
            del self._busy[agent_id]
        self._last_used.pop(agent_id, None)
        self._last_used[agent_id] = self._clock()  # re-inserted: the dict stays in order of last use

    def stale(self) -> list[AgentId]:
        """The agents idle for ``after`` seconds or more (busy ones included: check :meth:`still_stale`)."""
        self._deadline = deadline = self._clock() - self.after
        idle = itertools.takewhile(lambda item: item[1] <= deadline, self._last_used.items())
        return [agent_id for agent_id, _ in idle if agent_id not in self._busy]

    def still_stale(self, agent_id: AgentId) -> bool:
        """Whether the agent stayed unused since :meth:`stale` looked (it may be saved and dropped)."""
        return (
            agent_id not in self._busy and self._last_used.get(agent_id, self._deadline + 1) <= self._deadline
        )

    def forget(self, agent_id: AgentId) -> None:
        del self._last_used[agent_id]

    def compact(self) -> None:
        """Give back the table of a burst of agents now gone (a dict never shrinks on deletion)."""
        self._last_used = dict(self._last_used)
        self._busy = dict(self._busy)  # resized by the burst's churn: a fresh table, made now
        self._deadline = 0.0  # the sweep's float, made while the burst was alive, is let go
