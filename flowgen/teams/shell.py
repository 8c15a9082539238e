"""The team shell: the AutoGen group-chat surface shared by every team type.

A team is *a graph factory plus speaker policies*. The shell does everything else — checking the
participants, running the graph with the scheduler (:class:`~flowgen.engine.scheduler.GraphRunner`),
``run`` / ``run_stream`` with AutoGen's output order, ``reset``, ``pause`` / ``resume``,
``save_state`` / ``load_state`` (the run state included, so a run resumes mid-graph), refusing to run
twice at once.

Adding a team type is one small module: subclass :class:`BaseGroupChat` and implement
:meth:`BaseGroupChat._build_graph` (and :meth:`BaseGroupChat._build_policies` if the graph has router
nodes). Both are called once, at the end of ``BaseGroupChat.__init__``, so set the attributes they
read *before* calling ``super().__init__``. Graph rules the scheduler follows:

- every participant is an :class:`~flowgen.graph.AgentNode` named after it;
- at a :class:`~flowgen.graph.RouterNode` the policy registered under the router's name chooses among
  the targets of its ``SelectEdge``\\ s; it sees the whole thread and the last speaker;
- a node with several incoming edges waits for *all* of them unless the edges say
  ``activation_condition="any"`` — use ``"any"`` for hub graphs (every agent back to one router);
- a loop-back edge into a node that also has a first-time input needs its own ``activation_group``;
- a run stops when the termination condition fires, after ``max_turns`` steps, or when no node is
  ready (``completed_reason``); the next run continues from the saved frontier (or the entry).

Optional hooks: ``completed_reason`` and ``require_bounded`` (class attributes), ``_manager_name()``
(the source of SelectSpeakerEvent; AutoGen's manager name), ``_validate_task(messages)`` (refuse a
task before anything runs). Validation runs at the first ``run``: graph errors raise
GraphValidationError before any agent is called.

Example:
    >>> from flowgen.graph import AgentNode, GraphSpec, NextEdge
    >>> class Solo(BaseGroupChat):
    ...     def _build_graph(self) -> GraphSpec:
    ...         (name,) = self.participant_names
    ...         return GraphSpec(
    ...             name=self.name,
    ...             nodes=(AgentNode(name=name),),
    ...             edges=(NextEdge(source=name, target=name),),
    ...             entry=(name,),
    ...         )
    >>> import asyncio
    >>> from flowgen.testing import ScriptedAgent
    >>> team = Solo([ScriptedAgent("a", ["one", "two"])], name="solo", description="One agent.", max_turns=2)
    >>> result = asyncio.run(team.run(task="go"))
    >>> [m.to_text() for m in result.messages], result.stop_reason
    (['go', 'one', 'two'], 'Maximum number of turns 2 reached.')
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Hashable, Mapping, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from flowgen.agents.task import Task, task_messages
from flowgen.base import ChatAgent, TaskResult, Team, TerminationCondition
from flowgen.core import CancellationToken
from flowgen.engine.policy import SpeakerPolicy
from flowgen.engine.scheduler import GraphRunner, RunOutcome
from flowgen.engine.state import RunState
from flowgen.errors import ConfigurationError, StateError, TeamRunningError
from flowgen.graph.spec import AgentNode, GraphSpec
from flowgen.messages import BaseAgentEvent, BaseChatMessage, MessageFactory, ModelClientStreamingChunkEvent
from flowgen.teams.graph_shapes import compiled_graph

if TYPE_CHECKING:
    from flowgen.engine.trace import RunTrace

Participant = ChatAgent | Team


class BaseGroupChat(Team, ABC):
    """A team of agents (or nested teams) that runs as one graph; the base of every team type.

    Args:
        participants: the agents or teams taking part, with unique names.
        name: the team's name (also the source of its team events).
        description: what the team does (shown when it is nested in another team).
        termination_condition: stops a run; evaluated over every message of every step.
        max_turns: the most steps one run may take.
        runtime: accepted for AutoGen compatibility; flowgen runs teams on its own scheduler.
        custom_message_types: message classes, beyond the built-in ones, the team must load.
        emit_team_events: also stream team events (SelectSpeakerEvent) from run_stream.
    """

    component_type = "team"
    #: The stop reason when the graph runs out of ready nodes.
    completed_reason = "The graph reached its end."
    #: Refuse a cycle only termination could stop when no termination or max_turns is given.
    require_bounded = True

    def __init__(
        self,
        participants: Sequence[Participant],
        *,
        name: str,
        description: str,
        termination_condition: TerminationCondition | None = None,
        max_turns: int | None = None,
        runtime: object | None = None,
        custom_message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] | None = None,
        emit_team_events: bool = False,
    ) -> None:
        if runtime is not None:
            raise ConfigurationError(
                "flowgen teams run on flowgen's own scheduler; drop the runtime argument (or pass None)"
            )
        self._participants = _check_participants(participants)
        self._name = name
        self._description = description
        self._termination_condition = termination_condition
        self._max_turns = max_turns
        self._emit_team_events = emit_team_events
        self._message_factory = _factory(self._participants, custom_message_types or ())
        self._is_running = False
        compiled = compiled_graph(self._graph_shape(), self._build_graph)
        self._graph = compiled.spec
        self._runner = GraphRunner(
            self._graph,
            {p.name: p for p in self._participants},
            termination_condition=termination_condition,
            max_turns=max_turns,
            policies=self._build_policies(),
            emit_team_events=emit_team_events,
            name=self._manager_name(),
            require_bounded=self.require_bounded,
            completed_reason=self.completed_reason,
            compiled=compiled,
        )

    # ----------------------------------------------------------------- the extension point

    @abstractmethod
    def _build_graph(self) -> GraphSpec:
        """The team's graph: one AgentNode per participant, plus routers and edges."""

    def _graph_shape(self) -> Hashable | None:
        """Everything :meth:`_build_graph` reads, as a hashable key; teams with equal keys share one
        compiled graph (see :mod:`flowgen.teams.graph_shapes`). None (the default) builds a graph per team.
        """
        return None

    def _build_policies(self) -> Mapping[str, SpeakerPolicy]:
        """The speaker policy of each router node of the graph, by router name."""
        return {}

    def _validate_task(self, messages: Sequence[BaseChatMessage]) -> None:
        """Refuse a task this team type cannot start from (e.g. a handoff to a non-participant).

        Called before anything is yielded or run; raise a flowgen error saying how to fix the task.
        """

    def _manager_name(self) -> str:
        """The source of team events (SelectSpeakerEvent): ``<TeamClass>Manager``, as AutoGen names it."""
        return f"{type(self).__name__}Manager"

    # ----------------------------------------------------------------- properties

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return self._description

    @property
    def participants(self) -> list[Participant]:
        return list(self._participants)

    @property
    def participant_names(self) -> list[str]:
        return [p.name for p in self._participants]

    @property
    def graph(self) -> GraphSpec:
        """The graph this team runs (immutable; draw it with ``visualize``)."""
        return self._graph

    @property
    def last_trace(self) -> RunTrace | None:
        """The trace of the latest run, also when it raised or was cancelled (TaskResult has the others).

        For one picture of several runs (a Swarm resumed after a handoff to the user, a run continued
        without a task), merge their traces: ``RunTrace.merge([first.trace, second.trace])``.
        """
        return self._runner.last_trace

    @property
    def termination_condition(self) -> TerminationCondition | None:
        return self._termination_condition

    @property
    def max_turns(self) -> int | None:
        return self._max_turns

    # ----------------------------------------------------------------- running

    async def run(
        self,
        *,
        task: Task = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> TaskResult:
        """Run until the team stops; return every message (no streaming chunks) and the stop reason."""
        result: TaskResult | None = None
        stream = self.run_stream(
            task=task, cancellation_token=cancellation_token, output_task_messages=output_task_messages
        )
        async with aclosing(stream) as items:
            async for item in items:
                if isinstance(item, TaskResult):
                    result = item
        if result is None:  # pragma: no cover - run_stream always ends with a TaskResult
            raise RuntimeError(f"team {self._name!r} ended its run without a result")
        return result

    async def run_stream(
        self,
        *,
        task: Task = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        """Yield the task messages (if asked), each agent's events and messages, then the TaskResult.

        Without a task the team continues where its last run stopped.
        """
        if self._is_running:
            raise TeamRunningError(
                f"team {self._name!r} is already running; wait for the current run to finish or cancel it "
                "before running it again"
            )
        self._is_running = True
        try:
            messages = task_messages(task)
            for message in messages:
                if not self._message_factory.is_registered(type(message)):
                    raise ConfigurationError(
                        f"task message type {type(message).__name__} is not known to team {self._name!r}; "
                        "pass it in custom_message_types"
                    )
            self._validate_task(messages)
            output: list[BaseAgentEvent | BaseChatMessage] = []
            if output_task_messages:
                for message in messages:
                    output.append(message)
                    yield message
            async with aclosing(self._runner.stream(messages, cancellation_token)) as stream:
                async for item in stream:
                    if isinstance(item, RunOutcome):
                        yield TaskResult.of_run(output, item.stop_reason, item.recording)
                        continue
                    if not isinstance(item, ModelClientStreamingChunkEvent):
                        output.append(item)
                    yield item
        finally:
            self._is_running = False

    # ----------------------------------------------------------------- lifecycle and state

    async def reset(self) -> None:
        """Reset every participant, the termination condition and the run: the next run starts afresh."""
        if self._is_running:
            raise TeamRunningError(f"team {self._name!r} is running; it must stop before it can be reset")
        token = CancellationToken()
        for participant in self._participants:
            if isinstance(participant, ChatAgent):
                await participant.on_reset(token)
            else:
                await participant.reset()
        await self._runner.reset()

    async def pause(self) -> None:
        """Ask every participant to pause (agents decide what pausing means for them)."""
        token = CancellationToken()
        for participant in self._participants:
            if isinstance(participant, ChatAgent):
                await participant.on_pause(token)
            else:
                await participant.pause()

    async def resume(self) -> None:
        """Ask every participant to resume after :meth:`pause`."""
        token = CancellationToken()
        for participant in self._participants:
            if isinstance(participant, ChatAgent):
                await participant.on_resume(token)
            else:
                await participant.resume()

    async def save_state(self) -> Mapping[str, Any]:
        """The participants' states and the run state (thread, frontier, counters, termination)."""
        saved = await self._runner.save_state()
        return {
            "type": "TeamState",
            "version": "1.0.0",
            "agent_states": saved.agent_states,
            "run_state": saved.model_dump(mode="json", exclude={"agent_states"}),
        }

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`save_state` returned, into a team with the same participants."""
        if self._is_running:
            raise TeamRunningError(f"team {self._name!r} is running; load state only while it is stopped")
        agent_states = state.get("agent_states")
        if not isinstance(agent_states, Mapping):
            raise StateError(
                "the saved team state has no 'agent_states' mapping; pass what save_state returned"
            )
        saved = RunState.model_validate({**state.get("run_state", {}), "agent_states": agent_states})
        try:
            await self._runner.restore(saved, self._message_factory)
        except StateError as error:
            raise StateError(f"team {self._name!r}: {error}") from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, participants={self.participant_names})"


def _check_participants(participants: Sequence[Participant]) -> list[Participant]:
    items = list(participants)
    if not items:
        raise ConfigurationError("At least one participant is required; pass a list of agents or teams")
    for p in items:
        if not isinstance(p, ChatAgent | Team):
            raise ConfigurationError(
                f"participant {p!r} is a {type(p).__name__}; participants must be agents (ChatAgent) or teams"
            )
    names = [p.name for p in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigurationError(
            f"The participant names must be unique; {duplicates} appear more than once — rename them"
        )
    return items


def _factory(
    participants: Sequence[Participant], custom: Sequence[type[BaseAgentEvent | BaseChatMessage]]
) -> MessageFactory:
    factory = MessageFactory()
    for message_type in custom:
        factory.register(message_type)
    for p in participants:
        if isinstance(p, ChatAgent):
            for produced in p.produced_message_types:
                if not factory.is_registered(produced):
                    factory.register(produced)
    return factory


def participant_shape(participants: Sequence[Participant]) -> tuple[tuple[str, str, str], ...] | None:
    """What :func:`participant_node` makes each participant's node of, or None when a nested team's
    graph is among it (teams holding teams build their own graphs)."""
    shape: list[tuple[str, str, str]] = []
    for p in participants:
        if not isinstance(p, ChatAgent):
            return None
        description = p.description
        if type(description) is not str:
            return None  # a key must hash, and compare as the node would
        shape.append((p.name, description, type(p).__name__))
    return tuple(shape)


def participant_node(participant: Participant) -> AgentNode:
    """The graph node for a participant: its name, description, type, and a nested team's graph."""
    subgraph = participant.graph if isinstance(participant, BaseGroupChat) else None
    # Typed parts: no validation, and so no schema to build when a team is made.
    return AgentNode.model_construct(
        name=participant.name,
        description=participant.description,
        agent_type=type(participant).__name__,
        subgraph=subgraph,
    )
