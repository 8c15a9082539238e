"""A graph compiled for the scheduler: its transitions, scopes and validation, shared between runners.

What the scheduler derives from a :class:`~flowgen.graph.GraphSpec` depends on the graph alone (the
transitions, each node's message filter) or on the graph and a few facts about the team that runs it
(validation: the participants' names, whether the run is bounded, which routers have a policy). A
server building a thousand teams of the same shape would otherwise derive and check the same graph a
thousand times, and keep a thousand copies of the result alive for the collector to scan. Teams that
share a shape share one :class:`CompiledGraph` (see :mod:`flowgen.teams.graph_shapes`); a graph
checks once per distinct team setting, and a graph that fails is checked again every time, so that
each run gets the error.

Example:
    >>> from flowgen.graph import AgentNode, GraphSpec, NextEdge
    >>> spec = GraphSpec(nodes=(AgentNode(name="a"),), edges=(NextEdge(source="a", target="a"),), entry=("a",))
    >>> compiled = CompiledGraph(spec)
    >>> compiled.validate({"a"}, bounded=True, policies={})
    >>> compiled.validated({"a"}, bounded=True, policies={})
    True
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from flowgen.engine.transitions import Transitions
from flowgen.graph.message_filter import MessageFilterConfig
from flowgen.graph.spec import AgentNode, GraphSpec
from flowgen.graph.validate import validate

#: What a validation depends on besides the graph: participant names, bounded, router policy names.
_Setting = tuple[frozenset[str], bool, frozenset[str]]


class CompiledGraph:
    """A graph with everything the scheduler precomputes from it; immutable once built but for the
    record of the settings it was found valid for.

    Attributes:
        spec: the graph.
        transitions: its out-edges by node and fan-in groups (stateless: the run state is elsewhere).
        scopes: the message filter of each agent node that narrows what it is given.
    """

    __slots__ = ("_valid", "scopes", "spec", "transitions")

    def __init__(self, spec: GraphSpec) -> None:
        self.spec = spec
        self.transitions = Transitions(spec)
        self.scopes: dict[str, MessageFilterConfig] = {
            n.name: n.sees for n in spec.nodes if isinstance(n, AgentNode) and n.sees is not None
        }
        self._valid: set[_Setting] = set()

    def validated(
        self, participants: Collection[str], *, bounded: bool, policies: Mapping[str, object]
    ) -> bool:
        """Whether the graph was already found valid for this setting."""
        return _setting(participants, bounded, policies) in self._valid

    def validate(
        self, participants: Collection[str], *, bounded: bool, policies: Mapping[str, object]
    ) -> None:
        """Raise GraphValidationError if the graph cannot run with this setting; checked once per setting."""
        setting = _setting(participants, bounded, policies)
        if setting in self._valid:
            return
        validate(self.spec, participants=participants, bounded=bounded, policies=policies)
        self._valid.add(setting)


def _setting(participants: Collection[str], bounded: bool, policies: Mapping[str, object]) -> _Setting:
    return frozenset(participants), bounded, frozenset(policies)
