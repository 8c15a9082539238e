"""Swarm: the speaker keeps the floor until it hands off to another participant.

Compiled into handoff edges: from each AssistantAgent one ``HandoffEdge`` per declared handoff, plus
an ``otherwise`` edge back to itself (no handoff: it speaks again). A handoff to someone outside the
team (typically the user) leads to an end node of that name, where a ``HandoffTermination`` stops
the run; the next run resumes from a ``HandoffMessage`` task addressed to a participant. A run that
starts afresh goes through the ``__start__`` router, whose select edges reach every participant: it
picks the target of the last handoff to a participant, else the first participant.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from flowgen.agents.assistant_agent import AssistantAgent
from flowgen.base import (
    AndTerminationCondition,
    ChatAgent,
    OrTerminationCondition,
    TerminationCondition,
)
from flowgen.conditions import HandoffTermination
from flowgen.engine.policy import Selection, SelectionContext, SpeakerPolicy
from flowgen.errors import ConfigurationError, HandoffError
from flowgen.graph.spec import AgentNode, EndNode, GraphSpec, HandoffEdge, NextEdge, RouterNode, SelectEdge
from flowgen.messages import BaseAgentEvent, BaseChatMessage, HandoffMessage
from flowgen.teams.shell import BaseGroupChat, Participant, participant_node

if TYPE_CHECKING:
    from flowgen.checkpoint.protocol import Checkpointer
    from flowgen.engine.durable import Durability
    from flowgen.graph.node_policy import NodePolicy

#: The router a run starts from: it picks the opening speaker.
START = "__start__"


def handoff_stops(condition: TerminationCondition | None) -> set[str]:
    """The targets of every HandoffTermination inside ``condition`` (through ``|`` and ``&``)."""
    if condition is None:
        return set()
    if isinstance(condition, HandoffTermination):
        target = getattr(condition, "_target", None)
        return {target} if isinstance(target, str) else set()
    if isinstance(condition, AndTerminationCondition | OrTerminationCondition):
        inner: Sequence[TerminationCondition] = getattr(condition, "_conditions", ())
        return set().union(*(handoff_stops(c) for c in inner))
    return set()


class SwarmStart:
    """Who opens a run: the target of the last handoff to a participant, else the first participant.

    Consulted only when a run starts afresh (first run, after reset, after a handoff out of the team);
    otherwise the speaker who held the floor when the last run stopped continues.
    """

    def __init__(self, participants: Sequence[str]) -> None:
        self._names = tuple(participants)

    def select(self, context: SelectionContext) -> Selection:
        for message in _handoffs_backwards(context.thread):
            if message.target in self._names:
                return Selection((message.target,), reason=f"{message.source} handed off to {message.target}")
        return Selection((self._names[0],), reason="the first participant starts")


class Swarm(BaseGroupChat):
    """A team where the current speaker hands the conversation on with a handoff; the first one starts.

    Args:
        participants: chat agents with unique names; the first must be able to hand off.
        termination_condition: stops the run; a HandoffTermination to a non-participant (the user)
            pauses the swarm until a HandoffMessage task resumes it.
        max_turns: the most turns one run may take.
        name: the team's name.
        description: what the team does.
        runtime: a flowgen.core AgentRuntime hosting the participants (see BaseGroupChat); None: direct.
        custom_message_types: extra message classes the team must load.
        emit_team_events: also stream a SelectSpeakerEvent before each turn.
        checkpointer, interrupt_before, interrupt_after, durability, node_policies: durable runs
            and per-node retries and timeouts, as on :class:`~flowgen.teams.shell.BaseGroupChat`.

    Raises:
        ConfigurationError: a participant is not a chat agent, the first cannot hand off, or a
            handoff leads to neither a participant nor a HandoffTermination.

    Example:
        >>> import asyncio
        >>> from flowgen.messages import HandoffMessage
        >>> from flowgen.testing import ScriptedAgent
        >>> alice = ScriptedAgent("alice", [HandoffMessage(content="yours", source="alice", target="bob")])
        >>> team = Swarm([alice, ScriptedAgent("bob", ["done", "still me"])], max_turns=3)
        >>> [m.source for m in asyncio.run(team.run(task="go")).messages]
        ['user', 'alice', 'bob', 'bob']
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
        for p in participants:
            if p.name == START:
                raise ConfigurationError(
                    f"the name {START!r} is reserved for the swarm's start; rename that agent"
                )
            if not isinstance(p, ChatAgent):
                raise ConfigurationError(
                    f"Swarm participant {p.name!r} is a {type(p).__name__}; a swarm's participants must be "
                    "chat agents (nest a team with SocietyOfMindAgent, or use another team type)"
                )
        first = participants[0] if participants else None
        if isinstance(first, ChatAgent) and not _can_hand_off(first):
            raise ConfigurationError(
                f"The first participant ({first.name!r}) must be able to produce handoff messages; "
                "give it handoffs=[...] or put an agent with handoffs first"
            )
        self._outside = handoff_stops(termination_condition)
        super().__init__(
            participants,
            name=name or "Swarm",
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

    # ----------------------------------------------------------------- the graph

    def _targets(self, agent: Participant) -> list[tuple[str, str]]:
        """(target, tool name) of each handoff the agent can make."""
        names = self.participant_names
        if isinstance(agent, AssistantAgent):
            return [(h.target, h.name) for h in agent.handoffs.values()]
        if isinstance(agent, ChatAgent) and HandoffMessage in agent.produced_message_types:
            # A custom agent declares no handoffs: it may hand off to any other participant, or out of
            # the team wherever a HandoffTermination stops the run.
            outside = sorted(t for t in self._outside if t not in names)
            return [(n, "") for n in [*names, *outside] if n != agent.name]
        return []

    def _manager_name(self) -> str:
        return "SwarmGroupChatManager"

    def _check_targets(self) -> None:
        names = set(self.participant_names)
        for agent in self.participants:
            for target, _ in self._targets(agent):
                if target not in names and target not in self._outside:
                    raise ConfigurationError(
                        f"{agent.name!r} hands off to {target!r}, which is not a participant of the swarm "
                        f"{self.participant_names}; add {target!r} to the participants, or add "
                        f"HandoffTermination({target!r}) to the termination condition so the run stops there"
                    )

    def _build_graph(self) -> GraphSpec:
        self._check_targets()
        names = set(self.participant_names)
        nodes: list[AgentNode | EndNode] = []
        edges: list[HandoffEdge | NextEdge] = []
        outside: dict[str, None] = {}
        for agent in self.participants:
            targets = list(dict.fromkeys(self._targets(agent)))
            node = participant_node(agent)
            nodes.append(node.model_copy(update={"handoffs": tuple(dict.fromkeys(t for t, _ in targets))}))
            for target, tool in targets:
                edges.append(
                    HandoffEdge.model_construct(
                        source=agent.name, target=target, tool=tool, activation_condition="any"
                    )
                )
                if target not in names:
                    outside[target] = None
            edges.append(
                NextEdge.model_construct(
                    source=agent.name,
                    target=agent.name,
                    otherwise=True,
                    label="no handoff: keeps the floor",
                    activation_condition="any",
                )
            )
        nodes.extend(
            EndNode.model_construct(name=t, description="outside the team: the run stops here")
            for t in outside
        )
        start = RouterNode.model_construct(
            name=START, policy="swarm_start", description="the first participant, or a handoff's target"
        )
        starts = [
            SelectEdge.model_construct(source=START, target=n, activation_condition="any")
            for n in self.participant_names
        ]
        # Engine-made from typed parts: constructed without validation, so that a team does not build
        # the graph models' schemas (the scheduler's validate() still checks the structure).
        return GraphSpec.model_construct(
            name=self.name,
            nodes=(start, *nodes),
            edges=(*starts, *edges),
            entry=(START,),
            metadata={"team_type": "Swarm"},
        )

    def _build_policies(self) -> Mapping[str, SpeakerPolicy]:
        return {START: SwarmStart(self.participant_names)}

    # ----------------------------------------------------------------- resuming after a handoff

    def _validate_task(self, messages: Sequence[BaseChatMessage]) -> None:
        """A HandoffMessage in the task makes its target speak next (the shell calls this before running).

        Raises:
            HandoffError: the task hands off to a non-participant, or the last run ended with a handoff
                out of the team and the task is not a HandoffMessage to a participant.
        """
        self._route(messages)

    def _route(self, messages: Sequence[BaseChatMessage]) -> None:
        names = self.participant_names
        handoffs = [m for m in messages if isinstance(m, HandoffMessage)]
        state = self._runner.state
        if handoffs:
            target = handoffs[-1].target
            if target not in names:
                raise HandoffError(
                    f"The target {target!r} is not one of the participants {names}. If you are resuming the "
                    "Swarm with a new HandoffMessage, set its target to a participant."
                )
            state.frontier = [target]
            state.pending.clear()
            state.carried = []  # the handoff, not the last run's edges, decides who speaks
            state.started = True
            return
        last = next(_handoffs_backwards(state.thread), None)
        if last is not None and last.target not in names:
            raise HandoffError(
                f"The last run ended with a handoff to {last.target!r}, which is not one of the participants "
                f"{names}. Resume with a HandoffMessage addressed to a participant, e.g. "
                f"HandoffMessage(source={last.target!r}, target={last.source!r}, content='...')."
            )


def _can_hand_off(agent: ChatAgent) -> bool:
    return HandoffMessage in agent.produced_message_types


def _handoffs_backwards(thread: Sequence[BaseAgentEvent | BaseChatMessage]) -> Iterator[HandoffMessage]:
    for message in reversed(thread):
        if isinstance(message, HandoffMessage):
            yield message
