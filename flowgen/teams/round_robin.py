"""RoundRobinGroupChat: participants take turns in a ring, each seeing everything said since its turn.

Compiled into a ring graph ``a -> b -> c -> a``. The next speaker is where the run stopped, so a
run without a task continues the rotation; ``reset`` starts it again from the first participant.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING

from flowgen.base import TerminationCondition
from flowgen.graph.spec import AgentNode, GraphSpec, NextEdge
from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.teams.shell import BaseGroupChat, Participant, participant_node, participant_shape

if TYPE_CHECKING:
    from flowgen.checkpoint.protocol import Checkpointer
    from flowgen.engine.durable import Durability
    from flowgen.graph.node_policy import NodePolicy


class RoundRobinGroupChat(BaseGroupChat):
    """A team whose participants speak in turn, in the order given.

    Args:
        participants: the agents (or teams) in speaking order; names must be unique.
        termination_condition: stops the run; without it (and without max_turns) the team refuses to
            run, since the ring would never stop.
        max_turns: the most turns one run may take.
        name: the team's name.
        description: what the team does.
        runtime: a flowgen.core AgentRuntime hosting the participants (see BaseGroupChat); None: direct.
        custom_message_types: extra message classes the team must load.
        emit_team_events: also stream a SelectSpeakerEvent before each turn.
        checkpointer, interrupt_before, interrupt_after, durability, node_policies: durable runs
            and per-node retries and timeouts, as on :class:`~flowgen.teams.shell.BaseGroupChat`.

    Example:
        >>> import asyncio
        >>> from flowgen.testing import ScriptedAgent
        >>> team = RoundRobinGroupChat(
        ...     [ScriptedAgent("writer", ["draft"]), ScriptedAgent("critic", ["ok"])], max_turns=2
        ... )
        >>> [m.source for m in asyncio.run(team.run(task="write")).messages]
        ['user', 'writer', 'critic']
    """

    def __init__(
        self,
        participants: Sequence[Participant],
        termination_condition: TerminationCondition | None = None,
        max_turns: int | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
        runtime: object | None = None,
        custom_message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] | None = None,
        emit_team_events: bool = False,
        checkpointer: Checkpointer | None = None,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
        durability: Durability = "sync",
        node_policies: Mapping[str, NodePolicy] | None = None,
    ) -> None:
        super().__init__(
            participants,
            name=name or "RoundRobinGroupChat",
            description=description or "A team of agents.",
            termination_condition=termination_condition,
            max_turns=max_turns,
            runtime=runtime,
            custom_message_types=custom_message_types,
            emit_team_events=emit_team_events,
            checkpointer=checkpointer,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            durability=durability,
            node_policies=node_policies,
        )

    def _graph_shape(self) -> Hashable | None:
        if type(self)._build_graph is not RoundRobinGroupChat._build_graph:
            return None  # a subclass building its own graph may read more than this key holds
        shape = participant_shape(self._participants)
        return None if shape is None else (type(self), self.name, shape)

    def _build_graph(self) -> GraphSpec:
        names = self.participant_names
        nodes: tuple[AgentNode, ...] = tuple(participant_node(p) for p in self.participants)
        edges = tuple(
            NextEdge.model_construct(source=name, target=names[(i + 1) % len(names)])
            for i, name in enumerate(names)
        )
        # Engine-made from typed parts: constructed without validation, so that a team does not build
        # the graph models' schemas (the scheduler's validate() still checks the structure).
        return GraphSpec.model_construct(
            name=self.name,
            nodes=nodes,
            edges=edges,
            entry=(names[0],),
            metadata={"team_type": "RoundRobinGroupChat"},
        )
