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

import asyncio
import weakref
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Hashable, Mapping, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from flowgen.agents.task import Task, task_messages
from flowgen.base import ChatAgent, Savepoint, TaskResult, Team, TerminationCondition
from flowgen.core import CancellationToken
from flowgen.engine.policy import SpeakerPolicy
from flowgen.engine.scheduler import GraphRunner, RunOutcome
from flowgen.engine.state import RunState
from flowgen.errors import CheckpointNotFoundError, ConfigurationError, StateError, TeamRunningError
from flowgen.graph.node_policy import NodePolicy
from flowgen.graph.spec import AgentNode, GraphSpec
from flowgen.messages import BaseAgentEvent, BaseChatMessage, MessageFactory, ModelClientStreamingChunkEvent
from flowgen.teams.graph_shapes import compiled_graph
from flowgen.telemetry import hooks

if TYPE_CHECKING:
    from flowgen.checkpoint.protocol import Checkpointer
    from flowgen.checkpoint.records import Checkpoint
    from flowgen.engine.compiled import CompiledGraph
    from flowgen.engine.durable import Durability, ThreadRun
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
        runtime: a flowgen.core AgentRuntime: each chat agent is hosted on it and every turn is a
            send_message through it (interventions see it); None calls the agents directly.
        custom_message_types: message classes, beyond the built-in ones, the team must load.
        emit_team_events: also stream team events (SelectSpeakerEvent) from run_stream.
        checkpointer: a checkpoint store; runs given a ``thread_id`` are saved there every step.
        interrupt_before: node names (or ``"*"``) the run stops before; it resumes from the store.
        interrupt_after: node names (or ``"*"``) the run stops after.
        durability: when steps are written: ``"sync"`` (before the next step), ``"async"`` (while
            the next step runs, flushed before the run returns) or ``"exit"`` (when the run ends).
        node_policies: retries and timeouts by node name (NodePolicy), written into the graph spec.
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
        checkpointer: Checkpointer | None = None,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
        durability: Durability = "sync",
        node_policies: Mapping[str, NodePolicy] | None = None,
    ) -> None:
        self._participants = _check_participants(participants)
        self._runtime = runtime
        self._name = name
        self._description = description
        self._termination_condition = termination_condition
        self._max_turns = max_turns
        self._emit_team_events = emit_team_events
        self._message_factory = _factory(self._participants, custom_message_types or ())
        self._is_running = False
        #: The stream of the run in progress (weakly: a dropped stream is a run to wait for, not to keep).
        self._current_run: weakref.ref[AsyncGenerator[Any, None]] | None = None
        self._run_stopped: asyncio.Event | None = None  # set when the run in progress has ended
        compiled: CompiledGraph | None = None
        if node_policies:  # policies make the graph this team's own: it is not shared by shape
            self._graph = _with_policies(self._build_graph(), node_policies)
        else:
            compiled = compiled_graph(self._graph_shape(), self._build_graph)
            self._graph = compiled.spec
        self._runner = GraphRunner(
            self._graph,
            self._scheduled_participants(),
            termination_condition=termination_condition,
            max_turns=max_turns,
            policies=self._build_policies(),
            emit_team_events=emit_team_events,
            name=self._manager_name(),
            require_bounded=self.require_bounded,
            completed_reason=self.completed_reason,
            checkpointer=checkpointer,
            durability=durability,
            compiled=compiled,
        )
        self._checkpointer = checkpointer
        self._durability: Durability = durability
        if checkpointer is not None or interrupt_before or interrupt_after or durability != "sync":
            self._configure_durable(interrupt_before or (), interrupt_after or ())

    def _scheduled_participants(self) -> dict[str, Participant]:
        """What the scheduler calls: the participants, or (given a runtime) proxies reaching them through it."""
        if self._runtime is None:
            return {p.name: p for p in self._participants}
        from flowgen.teams.hosted import hosted_participants  # loaded only for teams on a runtime

        return hosted_participants(self._participants, self._runtime, self._name)

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

    def _configure_durable(self, before: Sequence[str], after: Sequence[str]) -> None:
        from flowgen.engine.durable import check_durability  # loaded only by durable teams

        check_durability(self._durability)
        nodes = [n.name for n in self._graph.nodes if isinstance(n, AgentNode)]
        for label, names in (("interrupt_before", before), ("interrupt_after", after)):
            unknown = [n for n in names if n != "*" and n not in nodes]
            if unknown:
                raise ConfigurationError(
                    f"{label} names {unknown}, which are not nodes of {self._name!r}; use {nodes} or '*'"
                )
        self._runner.interrupt_before = frozenset(nodes if "*" in before else before)
        self._runner.interrupt_after = frozenset(nodes if "*" in after else after)

    def set_interrupts(self, before: Sequence[str] | None = None, after: Sequence[str] | None = None) -> None:
        """Replace the nodes runs stop before / after (node names or ``"*"``; None keeps the current ones).

        For one run of a team built per run (as a server does); refused while the team runs.
        """
        if self._is_running:
            raise TeamRunningError(
                f"team {self._name!r} is running; change its interrupts once it has stopped"
            )
        runner = self._runner
        self._configure_durable(
            sorted(runner.interrupt_before) if before is None else before,
            sorted(runner.interrupt_after) if after is None else after,
        )

    @property
    def checkpointer(self) -> Checkpointer | None:
        """The checkpoint store runs with a ``thread_id`` are saved in (settable while stopped)."""
        return self._checkpointer

    @checkpointer.setter
    def checkpointer(self, store: Checkpointer | None) -> None:
        if self._is_running:
            raise TeamRunningError(
                f"team {self._name!r} is running; change its checkpointer once it has stopped"
            )
        self._checkpointer = self._runner.checkpointer = store

    # ----------------------------------------------------------------- running

    async def run(
        self,
        *,
        task: Task = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
        thread_id: str | None = None,
        checkpoint_id: str | None = None,
    ) -> TaskResult:
        """Run until the team stops; return every message (no streaming chunks) and the stop reason.

        With ``thread_id`` (and a checkpointer) every step is saved under that thread, and a run with
        no task continues it; ``checkpoint_id`` runs from an older checkpoint instead (a fork).
        """
        result: TaskResult | None = None
        stream = self.run_stream(
            task=task, cancellation_token=cancellation_token, output_task_messages=output_task_messages,
            thread_id=thread_id, checkpoint_id=checkpoint_id,
        )  # fmt: skip
        async with aclosing(stream) as items:
            async for item in items:
                if isinstance(item, TaskResult):
                    result = item
        if result is None:  # pragma: no cover - run_stream always ends with a TaskResult
            raise RuntimeError(f"team {self._name!r} ended its run without a result")
        return result

    def run_stream(
        self,
        *,
        task: Task = None,
        cancellation_token: CancellationToken | None = None,
        output_task_messages: bool = True,
        thread_id: str | None = None,
        checkpoint_id: str | None = None,
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        """Yield the task messages (if asked), each agent's events and messages, then the TaskResult.

        Without a task the team continues where its last run stopped (or, with ``thread_id``, where
        the thread's newest checkpoint — or ``checkpoint_id`` — left it). A stream the caller dropped
        (``break`` out of its loop) ends as soon as the event loop closes it, and the next run waits
        for that instead of refusing to start.
        """
        handle: list[weakref.ref[AsyncGenerator[Any, None]]] = []
        stream = self._stream(
            task, cancellation_token, output_task_messages, thread_id, checkpoint_id, handle
        )
        handle.append(weakref.ref(stream))
        return stream

    async def _stream(
        self,
        task: Task,
        cancellation_token: CancellationToken | None,
        output_task_messages: bool,
        thread_id: str | None,
        checkpoint_id: str | None,
        handle: list[weakref.ref[AsyncGenerator[Any, None]]],
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        await self._wait_for_dropped_run()
        self._is_running = True
        self._current_run = handle[0]
        stopped = self._run_stopped = asyncio.Event()
        durable: ThreadRun | None = None
        conversation = hooks.conversation_id.get()
        try:
            if thread_id is not None or checkpoint_id is not None:
                durable = await self._open_thread(thread_id, checkpoint_id)
                # Spans of this run carry the thread as gen_ai.conversation.id (telemetry, when on).
                hooks.conversation_id.set(durable.thread_id)
            messages = task_messages(task)
            for message in messages:
                if not self._message_factory.is_registered(type(message)):
                    raise ConfigurationError(
                        f"task message type {type(message).__name__} is not known to team {self._name!r}; "
                        "pass it in custom_message_types"
                    )
            self._validate_task(messages)
            output: list[BaseAgentEvent | BaseChatMessage] = []
            run = self._runner.stream(messages, cancellation_token, show_task=output_task_messages)
            async with aclosing(run) as stream:
                async for item in stream:
                    if isinstance(item, RunOutcome):
                        if durable is not None:
                            await durable.finish(item)
                            await durable.close()  # flushed before the result is handed over
                        yield TaskResult.of_run(output, item.stop_reason, item.recording)
                        continue
                    if not isinstance(item, ModelClientStreamingChunkEvent):
                        output.append(item)
                    yield item
        finally:
            try:
                if durable is not None:
                    hooks.conversation_id.set(conversation)
                    self._runner.on_step = None
                    await durable.close()
            finally:
                self._is_running = False
                self._current_run = None
                stopped.set()

    async def _wait_for_dropped_run(self, refuse: bool = True) -> None:
        """Refuse to start while a run is live; wait for one whose stream the caller dropped to close."""
        while self._is_running:
            current = self._current_run
            if current is None or current() is not None:
                if not refuse:
                    return
                raise TeamRunningError(
                    f"team {self._name!r} is already running; wait for the current run to finish, cancel "
                    "it, or close its stream (await stream.aclose()) before running it again"
                )
            # Dropped: the event loop's async-generator finalizer is closing it now, undoing its open
            # step. Checked again after: another caller may have started a run in the meantime.
            assert self._run_stopped is not None
            await self._run_stopped.wait()

    # ----------------------------------------------------------------- durable runs

    def _thread(self, thread_id: str | None) -> ThreadRun:
        from flowgen.engine.durable import ThreadRun  # loaded only by durable teams

        if self._checkpointer is None:
            raise ConfigurationError(
                f"team {self._name!r} has no checkpointer; pass checkpointer=SqliteCheckpointer('runs.db') "
                "(or another store) to use thread_id"
            )
        if not thread_id:
            raise ConfigurationError("checkpoint_id needs the thread_id it belongs to")
        return ThreadRun(self._checkpointer, thread_id, self._runner, self._message_factory, self._durability)

    async def _open_thread(self, thread_id: str | None, checkpoint_id: str | None) -> ThreadRun:
        durable = self._thread(thread_id)
        await durable.open(checkpoint_id, self._reset_for_thread)
        self._runner.on_step = durable.on_step
        return durable

    async def _reset_for_thread(self) -> None:
        self._is_running = False  # reset() refuses a running team; this is the run's own set-up
        try:
            await self.reset()
        finally:
            self._is_running = True

    async def history(
        self, thread_id: str, *, limit: int | None = None, before: str | None = None
    ) -> AsyncIterator[Checkpoint]:
        """The thread's checkpoints, newest first (``before``: only those older than that id)."""
        if self._checkpointer is None:
            raise ConfigurationError(f"team {self._name!r} has no checkpointer, so it has no history")
        async for checkpoint in self._checkpointer.history(thread_id, limit=limit, before=before):
            yield checkpoint

    async def thread_trace(self, thread_id: str, checkpoint_id: str | None = None) -> RunTrace:
        """The trace of a thread's branch up to ``checkpoint_id`` (default: the newest), every run in it.

        Draw two branches against each other (a fork and its parent) with ``flowgen threads diff`` or
        ``flowgen.cli.diff_overlay.diff_dot``.
        """
        from flowgen.engine.recording import TraceRecording  # durable teams only

        if self._checkpointer is None:
            raise ConfigurationError(f"team {self._name!r} has no checkpointer, so it has no threads")
        snapshot = await self._checkpointer.get(thread_id, checkpoint_id)
        if snapshot is None:
            raise CheckpointNotFoundError(
                f"thread {thread_id!r} is not in the store; team.history() lists nothing"
            )
        first = snapshot.checkpoint.created_at
        return TraceRecording(self._graph, first, tuple(snapshot.trace)).build()

    async def update_state(
        self,
        thread_id: str,
        messages: Sequence[BaseChatMessage] = (),
        *,
        as_node: str | None = None,
        checkpoint_id: str | None = None,
    ) -> str:
        """Write an edited checkpoint (a fork with edits) and return its id.

        ``messages`` are added as though ``as_node`` had said them (its edges fire, so the next node
        is the one that would follow it), or as input when ``as_node`` is None.
        """
        await self._wait_for_dropped_run(refuse=False)
        if self._is_running:
            raise TeamRunningError(f"team {self._name!r} is running; edit its thread once it has stopped")
        self._is_running = True
        durable = self._thread(thread_id)
        try:
            await durable.open(checkpoint_id, self._reset_for_thread)
            return await durable.update(list(messages), as_node)
        finally:
            await durable.close()
            self._is_running = False

    # ----------------------------------------------------------------- lifecycle and state

    async def reset(self) -> None:
        """Reset every participant, the termination condition and the run: the next run starts afresh."""
        await self._wait_for_dropped_run()
        if self._is_running:
            raise TeamRunningError(f"team {self._name!r} is running; it must stop before it can be reset")
        token = CancellationToken()
        for participant in self._runner.participants.values():  # through the runtime, when there is one
            if isinstance(participant, ChatAgent):
                await participant.on_reset(token)
            else:
                await participant.reset()
        await self._runner.reset()

    async def pause(self) -> None:
        """Ask every participant to pause (agents decide what pausing means for them)."""
        token = CancellationToken()
        for participant in self._runner.participants.values():  # through the runtime, when there is one
            if isinstance(participant, ChatAgent):
                await participant.on_pause(token)
            else:
                await participant.pause()

    async def resume(self) -> None:
        """Ask every participant to resume after :meth:`pause`."""
        token = CancellationToken()
        for participant in self._runner.participants.values():  # through the runtime, when there is one
            if isinstance(participant, ChatAgent):
                await participant.on_resume(token)
            else:
                await participant.resume()

    async def save_state(self) -> Mapping[str, Any]:
        """The participants' states and the run state (thread, frontier, counters, termination).

        Between steps — also while the caller holds a streamed chat message — the state resumes
        exactly; in the middle of a step (the caller holds an inner event) the participants hold
        what the step has not committed, so saving then raises StateError.
        """
        await self._wait_for_dropped_run(refuse=False)
        if self._runner.in_step:
            raise StateError(
                f"team {self._name!r} is in the middle of a step, so its state would not resume exactly; "
                "save it after the run stops, or while the stream has just handed over a chat message"
            )
        saved = await self._runner.save_state()
        saved.team = type(self).__name__
        return {
            "type": "TeamState",
            "version": "1.0.0",
            "agent_states": saved.agent_states,
            "run_state": saved.model_dump(mode="json", exclude={"agent_states"}),
        }

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`save_state` returned, into a team with the same participants.

        All or nothing: the whole state is checked before anything changes, and a participant that
        refuses its state puts every participant back. A bad state raises StateError naming the field.
        """
        await self._wait_for_dropped_run()
        if self._is_running:
            raise TeamRunningError(f"team {self._name!r} is running; load state only while it is stopped")
        saved = _run_state(state)
        try:
            await self._runner.restore(saved, self._message_factory, type(self).__name__)
        except StateError as error:
            raise StateError(f"team {self._name!r}: {error}") from error.__cause__

    async def savepoint(self) -> Savepoint:
        """Everything a turn of this team (nested in another) changes: the run and every participant."""
        return await self._runner.savepoint()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, participants={self.participant_names})"


def _run_state(state: object) -> RunState:
    """The run state inside a saved team state, with the shape checked (StateError naming the field)."""
    if not isinstance(state, Mapping):
        raise StateError(
            f"the team state must be the mapping save_state returned, got {type(state).__name__}"
        )
    kind = state.get("type", "TeamState")
    if kind != "TeamState":
        raise StateError(
            f"type: the state is a {kind!r}, not a 'TeamState'; pass what a team's save_state returned"
        )
    version = state.get("version", "1.0.0")
    if version != "1.0.0":
        raise StateError(f"version: the team state has format {version!r}; this flowgen reads '1.0.0'")
    agent_states = state.get("agent_states")
    if not isinstance(agent_states, Mapping) or not all(
        isinstance(v, Mapping) for v in agent_states.values()
    ):
        raise StateError("agent_states: the team state needs a mapping of participant name to state")
    run_state = state.get("run_state", {})
    if not isinstance(run_state, Mapping):
        raise StateError(f"run_state: expected a mapping, got {type(run_state).__name__}")
    try:
        return RunState.model_validate({**run_state, "agent_states": agent_states})
    except ValidationError as error:
        first = error.errors()[0]
        field = "run_state." + ".".join(str(part) for part in first["loc"])
        raise StateError(f"{field}: {first['msg']}") from None


def _with_policies(graph: GraphSpec, policies: Mapping[str, NodePolicy]) -> GraphSpec:
    """``graph`` with each named agent node carrying its policy (a new spec: specs are immutable)."""
    agents = {n.name for n in graph.nodes if isinstance(n, AgentNode)}
    unknown = sorted(set(policies) - agents)
    if unknown:
        raise ConfigurationError(
            f"node_policies names {unknown}, which are not agent nodes; use {sorted(agents)}"
        )
    nodes = tuple(
        n.model_copy(update={"policy": NodePolicy.model_validate(policies[n.name])})
        if isinstance(n, AgentNode) and n.name in policies
        else n
        for n in graph.nodes
    )
    fields = {name: getattr(graph, name) for name in type(graph).model_fields}
    return type(graph).model_construct(**{**fields, "nodes": nodes})  # new: no cached views of the old nodes


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
