"""The served teams ("agents" in the API): built only from the factories the server was started with.

A request names an agent; it can never bring code. Each run builds a fresh team from the agent's
factory (teams keep per-run state), saving into the server's checkpoint store. One team per agent
is kept to describe it (its participants and graph).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flowgen.base import Team
from flowgen.checkpoint.protocol import Checkpointer
from flowgen.errors import ConfigurationError, RequestError
from flowgen.graph.spec import GraphSpec
from flowgen.teams.shell import BaseGroupChat


class Agents:
    """The agents a server serves, by name."""

    def __init__(self, factories: Mapping[str, Callable[[], Team]], store: Checkpointer) -> None:
        if not factories:
            raise ConfigurationError("a server needs at least one team to serve; give a team file")
        self._factories = dict(factories)
        self._store = store
        self._described: dict[str, BaseGroupChat] = {}

    def names(self) -> list[str]:
        return sorted(self._factories)

    def require(self, name: str) -> str:
        """``name`` if it is served; a 404 naming the agents that are otherwise."""
        if name not in self._factories:
            raise RequestError(
                404, "unknown_agent", f"no agent named {name!r}; the agents served are {self.names()}"
            )
        return name

    def build(self, name: str) -> BaseGroupChat:
        """A fresh team for one run, saving into the server's store."""
        team = self._factories[self.require(name)]()
        if not isinstance(team, BaseGroupChat):
            raise ConfigurationError(
                f"agent {name!r} built a {type(team).__name__}; serve a flowgen team (a group chat or "
                "GraphFlow), which can save its threads"
            )
        team.checkpointer = self._store
        return team

    def describe(self, name: str) -> dict[str, Any]:
        team = self._prototype(name)
        return {
            "name": name,
            "team": team.name,
            "kind": type(team).__name__,
            "description": team.description,
            "participants": team.participant_names,
        }

    def graph(self, name: str) -> dict[str, Any]:
        return {"name": name, **graph_json(self._prototype(name).graph)}

    def _prototype(self, name: str) -> BaseGroupChat:
        if name not in self._described:
            self._described[name] = self.build(name)
        return self._described[name]


def graph_json(spec: GraphSpec) -> dict[str, Any]:
    """A graph as plain JSON: nodes with their kinds, edges with their kinds and labels, the entry."""
    return {
        "nodes": [{"name": n.name, "kind": n.kind} for n in spec.nodes],
        "edges": [
            {"source": e.source, "target": e.target, "kind": e.kind, "label": e.describe()}
            for e in spec.edges
        ],
        "entry": list(spec.entry),
    }
