"""GraphFlow: participants run in the order a directed graph says — chains, fan-out, joins, loops.

The :class:`~flowgen.teams.digraph.DiGraph` (usually from :class:`~flowgen.teams.digraph.DiGraphBuilder`)
is converted into flowgen's GraphSpec and checked by the validator when the team is built. Parallel
branches run concurrently in one step; a node whose edges share an activation group waits for
``all`` of them (or ``any``). A run ends when the graph reaches its leaves ("Digraph execution is
complete"), when a condition leaves the graph nowhere to go (a "stalled" stop that names the node),
or by termination / max_turns — and then the next run continues where it stopped, loops included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from flowgen.base import TerminationCondition
from flowgen.errors import ConfigurationError
from flowgen.graph.spec import END, GraphSpec
from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.teams.digraph import DiGraph
from flowgen.teams.shell import BaseGroupChat, Participant

if TYPE_CHECKING:
    from flowgen.checkpoint.protocol import Checkpointer
    from flowgen.engine.durable import Durability
    from flowgen.graph.node_policy import NodePolicy


class GraphFlow(BaseGroupChat):
    """A team that follows a directed graph of its participants.

    Args:
        participants: the agents (or nested teams) of the graph's nodes, one per node.
        graph: the DiGraph (``DiGraphBuilder(...).build()``).
        name: the team's name.
        description: what the team does.
        termination_condition: stops the run early; required (or max_turns) when the graph has a cycle.
        max_turns: the most steps one run may take (a parallel step counts once).
        runtime: a flowgen.core AgentRuntime hosting the participants (see BaseGroupChat); None: direct.
        custom_message_types: extra message classes the team must load.
        checkpointer, interrupt_before, interrupt_after, durability, node_policies: durable runs
            and per-node retries and timeouts, as on :class:`~flowgen.teams.shell.BaseGroupChat`.

    Raises:
        ConfigurationError: a node has no participant (or a participant no node), or a cyclic graph
            has neither a termination condition nor max_turns.
        GraphValidationError: the graph cannot run (the validator's findings name the nodes).

    Example:
        >>> import asyncio
        >>> from flowgen.teams.digraph import DiGraphBuilder
        >>> from flowgen.testing import ScriptedAgent
        >>> a, b, c = ScriptedAgent("a", ["A"]), ScriptedAgent("b", ["B"]), ScriptedAgent("c", ["C"])
        >>> builder = DiGraphBuilder().add_node(a).add_node(b).add_node(c).add_edge(a, b).add_edge(b, c)
        >>> flow = GraphFlow(builder.get_participants(), builder.build())
        >>> result = asyncio.run(flow.run(task="go"))
        >>> [m.to_text() for m in result.messages], result.stop_reason
        (['go', 'A', 'B', 'C'], 'Digraph execution is complete')
    """

    completed_reason = "Digraph execution is complete"

    def __init__(
        self,
        participants: Sequence[Participant],
        graph: DiGraph,
        *,
        name: str | None = None,
        description: str | None = None,
        termination_condition: TerminationCondition | None = None,
        max_turns: int | None = None,
        runtime: object | None = None,
        custom_message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] | None = None,
        checkpointer: Checkpointer | None = None,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
        durability: Durability = "sync",
        node_policies: Mapping[str, NodePolicy] | None = None,
    ) -> None:
        if not isinstance(graph, DiGraph):
            raise ConfigurationError(
                f"graph must be a DiGraph (from DiGraphBuilder(...).build()), not {type(graph).__name__}"
            )
        graph.graph_validate()
        _check_members(participants, graph)
        if graph.get_has_cycles() and termination_condition is None and max_turns is None:
            raise ConfigurationError(
                "A termination condition is required for cyclic graphs without a maximum turn limit; "
                "pass termination_condition=... or max_turns=..."
            )
        self._digraph = graph
        super().__init__(
            participants,
            name=name or "GraphFlow",
            description=description or "A team of agents",
            termination_condition=termination_condition,
            max_turns=max_turns,
            runtime=runtime,
            custom_message_types=custom_message_types,
            checkpointer=checkpointer,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            durability=durability,
            node_policies=node_policies,
        )
        self._runner.validate()  # every finding now, before any model call

    @property
    def digraph(self) -> DiGraph:
        """The DiGraph the team was built from (``graph`` is the GraphSpec it runs)."""
        return self._digraph

    def _build_graph(self) -> GraphSpec:
        return self._digraph.to_spec({p.name: p for p in self.participants}, name=self.name)


def _check_members(participants: Sequence[Participant], graph: DiGraph) -> None:
    names = [p.name for p in participants]
    if END in graph.nodes:
        raise ConfigurationError(
            f"the node name {END!r} is reserved for the end of the graph; rename that agent"
        )
    entries = graph.start_nodes()
    for entry in entries:
        if entry not in names:
            raise ConfigurationError(
                f"the graph's entry node {entry!r} is not a participant ({names}); pass its agent among the "
                "participants, e.g. participants=builder.get_participants()"
            )
    missing = [n for n in graph.nodes if n not in names]
    if missing:
        raise ConfigurationError(
            f"graph nodes {missing} have no participant ({names}); pass their agents, e.g. "
            "participants=builder.get_participants()"
        )
    extra = [n for n in names if n not in graph.nodes]
    if extra:
        raise ConfigurationError(
            f"participants {extra} are not nodes of the graph; add them with add_node or leave them out"
        )
