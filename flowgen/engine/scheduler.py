"""The scheduler: one engine that runs any :class:`~flowgen.graph.GraphSpec`.

A run is a loop of *steps*. Each step takes the frontier (the ready nodes), resolves routers in it
through their speaker policies, runs the agent nodes — a parallel step in one ``asyncio.TaskGroup`` —
appends their messages to the thread in frontier order (never finish order), fires edges to build
the next frontier, evaluates termination over every message of the step, and counts one turn.
Inner events stream out as they happen; each node's chat messages are yielded once the step's state
is recorded, so the state is consistent (and resumable) at every point the caller sees.

Each node receives only the chat messages it has not seen (see :mod:`flowgen.engine.state`).

A step is a transaction. Before it runs, a savepoint records the run state's small parts and the
thread's length, and each participant that runs gives its own ``savepoint()`` (an AssistantAgent its
context's length; a nested team its whole state). Cancellation — through a CancellationToken, by
cancelling the consuming task, or by closing the stream — stops at the next await, cancels every task
of the step; it, or an exception, before the commit point restores every savepoint, leaving the run
and its participants as they were before the step. The commit point is :meth:`GraphRunner._commit_step`:
after it, the step's messages are in the thread and those not yet handed over are listed in the
state (``unshown``), so a run interrupted while yielding them — or saved then — shows each once.

Example:
    >>> import asyncio
    >>> from flowgen.graph import AgentNode, GraphSpec, NextEdge, END, EndNode
    >>> from flowgen.testing import ScriptedAgent
    >>> spec = GraphSpec(
    ...     nodes=(AgentNode(name="a"), EndNode()),
    ...     edges=(NextEdge(source="a", target=END),),
    ...     entry=("a",),
    ... )
    >>> runner = GraphRunner(spec, {"a": ScriptedAgent("a", ["hi"])})
    >>> async def main() -> list[str]:
    ...     return [m.to_text() async for m in runner.stream([], None) if not isinstance(m, RunOutcome)]
    >>> asyncio.run(main())
    ['hi']
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import replace
from time import perf_counter
from typing import TYPE_CHECKING, Any, NamedTuple

from flowgen.base import ChatAgent, Response, Savepoint, TaskResult, Team, TerminationCondition
from flowgen.core import CancellationToken
from flowgen.engine.compiled import CompiledGraph
from flowgen.engine.policy import Selection, SelectionContext, SpeakerPolicy, StatefulPolicy
from flowgen.engine.recording import StopKind, TraceRecorder, TraceRecording
from flowgen.engine.state import LiveState, RunState
from flowgen.engine.transitions import Fired
from flowgen.errors import (
    ConfigurationError,
    NodeTimeoutError,
    StateError,
    TeamRunningError,
    ToolApprovalPending,
    add_node_note,
)
from flowgen.graph.message_filter import MessageFilterConfig
from flowgen.graph.node_policy import NodePolicy
from flowgen.graph.spec import AgentNode, GraphSpec
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    MessageFactory,
    SelectSpeakerEvent,
)
from flowgen.telemetry import hooks

if TYPE_CHECKING:
    from flowgen.checkpoint.protocol import Checkpointer
    from flowgen.engine.durable import Durability
    from flowgen.engine.trace import RunTrace

Item = BaseAgentEvent | BaseChatMessage
Participant = ChatAgent | Team

#: The last step when none has been taken (or it is no longer needed).
_NO_STEP: tuple[Sequence[str], list[Fired]] = ((), [])

# Routers that lead straight to routers are resolved in the same step; this bounds a policy loop.
_MAX_ROUTER_HOPS = 64


class RunOutcome(NamedTuple):
    """The last item a run yields: why it stopped, and its record (a RunTrace when built)."""

    stop_reason: str | None
    stop: StopKind
    recording: TraceRecording

    @property
    def trace(self) -> RunTrace:
        return self.recording.build()


class _NodeResult(NamedTuple):
    name: str
    delta: list[Item]
    chat: list[BaseChatMessage]
    after: list[Item]


class _Stop(NamedTuple):
    reason: str
    kind: StopKind
    node: str | None = None


class StepDone(NamedTuple):
    """What a step changed, handed to ``GraphRunner.on_step`` once the step has committed (a checkpoint).

    ``ran`` is empty for a run's input (its task appended before the first step). The run state is
    the runner's own, already moved past the step; ``recording.flat`` holds the trace so far.
    """

    step: int
    ran: Sequence[str]
    messages: Sequence[Item]
    recording: TraceRecorder
    stop_reason: str | None


class GraphRunner:
    """Runs a graph over its participants, keeping the run state between runs.

    Args:
        spec: the graph to run; it is validated before the first node runs.
        participants: the ChatAgent or Team behind each agent node, by node name.
        termination_condition: evaluated over every message of every step; reset when it fires.
        max_turns: the most steps one run may take; the count resets when a run stops.
        policies: the speaker policy of each router node, by router name.
        emit_team_events: also yield a SelectSpeakerEvent before each step and the policies' events.
        name: who team events and stop messages are from.
        require_bounded: refuse cycles that only a termination condition or max_turns could stop
            when neither is given.
        completed_reason: the stop reason when the graph runs out of ready nodes.
        checkpointer: the store :meth:`stream_thread` saves every step in (teams pass theirs).
        durability: when :meth:`stream_thread` writes: ``"sync"``, ``"async"`` or ``"exit"``.
        compiled: ``spec`` compiled, shared with other runners of it (compiled here when None).
    """

    def __init__(
        self,
        spec: GraphSpec,
        participants: Mapping[str, Participant],
        *,
        termination_condition: TerminationCondition | None = None,
        max_turns: int | None = None,
        policies: Mapping[str, SpeakerPolicy] | None = None,
        emit_team_events: bool = False,
        name: str = "team",
        require_bounded: bool = True,
        completed_reason: str = "The graph reached its end.",
        checkpointer: Checkpointer | None = None,
        durability: Durability = "sync",
        compiled: CompiledGraph | None = None,
    ) -> None:
        if max_turns is not None and max_turns < 1:
            raise ConfigurationError(f"max_turns must be at least 1 (or None for no limit), got {max_turns}")
        self.spec = spec
        self.participants = dict(participants)
        #: The participants that are chat agents, found once: they run in place, without a generator in
        #: between, and an isinstance test against the ChatAgent ABC costs ~2,000 instructions a step.
        self._agents = {name: p for name, p in self.participants.items() if isinstance(p, ChatAgent)}
        self.termination_condition = termination_condition
        self.max_turns = max_turns
        self.policies = dict(policies or {})
        self.emit_team_events = emit_team_events
        self.name = name
        self.require_bounded = require_bounded
        self.completed_reason = completed_reason
        self.checkpointer = checkpointer
        self.durability = durability
        self.state = LiveState()
        # Shared by every runner of the same graph when the team hands one in (see CompiledGraph).
        self._compiled = compiled if compiled is not None and compiled.spec is spec else CompiledGraph(spec)
        self._transitions = self._compiled.transitions
        #: Context scoping: the message filter of each node that narrows what it is given.
        self._scopes: dict[str, MessageFilterConfig] = self._compiled.scopes
        #: Nodes with a retry or timeout policy in the graph spec.
        self._guards: dict[str, NodePolicy] = {
            n.name: n.policy for n in spec.nodes if isinstance(n, AgentNode) and n.policy is not None
        }
        self._validated = False
        self._running = False
        self._last_step = _NO_STEP
        self._last_recording: TraceRecording | None = None
        #: The savepoint of the step in flight; None between steps.
        self._savepoint: _StepSavepoint | None = None
        #: Called at every step boundary with what the step changed (durable runs checkpoint here).
        self.on_step: Callable[[StepDone], Awaitable[None]] | None = None
        #: Stop before any of these nodes runs / after it ran (human in the loop).
        self.interrupt_before: frozenset[str] = frozenset()
        self.interrupt_after: frozenset[str] = frozenset()
        #: Set when a run resumes from an interrupt-before stop: the next step runs without stopping.
        self.past_interrupt = False
        #: The node the last run stopped before, if it was interrupted before one.
        self.interrupted_before: str | None = None

    @property
    def last_trace(self) -> RunTrace | None:
        """The trace of the latest run, also when it failed or was cancelled (built when first read)."""
        return self._last_recording.build() if self._last_recording is not None else None

    @property
    def running(self) -> bool:
        return self._running

    @property
    def in_step(self) -> bool:
        """True while a step runs: its participants hold what the step has not committed yet."""
        return self._savepoint is not None

    def validate(self) -> None:
        """Check the graph against its participants (once); raise GraphValidationError if it cannot run."""
        if self._validated:
            return
        bounded = (
            not self.require_bounded or self.termination_condition is not None or self.max_turns is not None
        )
        self._compiled.validate(self.participants.keys(), bounded=bounded, policies=self.policies)
        self._validated = True

    # ----------------------------------------------------------------- state

    async def reset(self) -> None:
        """Forget the run: thread, frontier, counters, termination and policy state."""
        if self._running:
            raise TeamRunningError("the team is running; stop it (or wait for it) before resetting it")
        self.state = LiveState()
        if self.termination_condition is not None:
            await self.termination_condition.reset()
        for policy in self.policies.values():
            if isinstance(policy, StatefulPolicy):
                policy.reset()

    def dump_state(self) -> RunState:
        """The run state without agent states (the team adds those)."""
        saved = RunState.from_live(self.state)
        if self.termination_condition is not None:
            saved.termination = self.termination_condition.dump_state()
        saved.policies = {
            name: p.dump_state() for name, p in self.policies.items() if isinstance(p, StatefulPolicy)
        }
        return saved

    async def save_state(self) -> RunState:
        """The whole run state, participants' states included: what a checkpoint stores."""
        saved = self.dump_state()
        saved.agent_states = {name: dict(await p.save_state()) for name, p in self.participants.items()}
        return saved

    async def restore(self, saved: RunState, factory: MessageFactory, team: str | None = None) -> None:
        """Load what :meth:`save_state` returned — all of it, or nothing.

        The whole state is checked first (see :mod:`flowgen.engine.state_check`); then every
        participant loads its state, and if one refuses, those already loaded are put back.
        """
        from flowgen.engine.state_check import live_state  # loaded when a state is first loaded

        if self._running:
            raise TeamRunningError("the graph is running; load a saved state only while it is stopped")
        live = live_state(saved, self.spec, factory, team)
        names = list(self.participants)
        missing = [name for name in names if name not in saved.agent_states]
        unknown = sorted(name for name in saved.agent_states if name not in self.participants)
        if missing or unknown:
            raise StateError(
                f"agent_states: the saved run has states for {sorted(saved.agent_states)}, but the "
                f"participants are {names} (missing {missing}, unknown {unknown}); load it into a team "
                "with the same participants"
            )
        savepoints = [await p.savepoint() for p in self.participants.values()]
        for name, participant in self.participants.items():
            try:
                await participant.load_state(saved.agent_states[name])
            except Exception as error:
                for savepoint in reversed(savepoints):
                    await savepoint.restore()
                raise StateError(f"agent_states[{name!r}]: {type(error).__name__}: {error}") from error
        self._apply(live, saved)

    def load_state(self, saved: RunState, factory: MessageFactory) -> None:
        """Continue from ``saved`` (participants' states are the caller's, or :meth:`restore`'s, job)."""
        from flowgen.engine.state_check import live_state

        if self._running:
            raise TeamRunningError("the graph is running; load a saved state only while it is stopped")
        self._apply(live_state(saved, self.spec, factory, None), saved)

    def _apply(self, live: LiveState, saved: RunState) -> None:
        self.state = live
        self._last_step = ((), [])
        if self.termination_condition is not None:
            self.termination_condition.load_state(saved.termination)
        for name, policy in self.policies.items():
            if isinstance(policy, StatefulPolicy) and name in saved.policies:
                policy.load_state(saved.policies[name])

    async def savepoint(self) -> Savepoint:
        """The whole runner as it is, participants included: what undoes a nested team's turn.

        A nested team runs a whole run per step of its parent, so this copies the thread (pointers
        only) rather than tracking its steps.
        """
        st = self.state
        copy = LiveState(
            list(st.thread), st.turn, st.step, list(st.frontier), st.started,
            {t: {g: set(s) for g, s in groups.items()} for t, groups in st.pending.items()},
            dict(st.visits), dict(st.cursors), dict(st.spans), list(st.carried), list(st.unshown), st.stopping,
        )  # fmt: skip
        termination = self.termination_condition.dump_state() if self.termination_condition else None
        policies = {n: p.dump_state() for n, p in self.policies.items() if isinstance(p, StatefulPolicy)}
        participants = [await p.savepoint() for p in self.participants.values()]
        return _RunnerSavepoint(self, copy, termination, policies, participants)

    # ----------------------------------------------------------------- running

    async def stream_thread(
        self,
        task: Sequence[BaseChatMessage] | None,
        cancellation_token: CancellationToken | None,
        *,
        thread_id: str,
        checkpoint_id: str | None = None,
        factory: MessageFactory | None = None,
    ) -> AsyncGenerator[Item | RunOutcome, None]:
        """:meth:`stream` as one run of a durable thread: loaded from, and saved every step to, the checkpointer.

        Teams do the same through ``run(thread_id=...)``; this is for graphs run without a team.
        """
        from flowgen.engine.durable import ThreadRun  # durable runs only

        if self.checkpointer is None:
            raise ConfigurationError(f"{self.name!r} has no checkpointer; pass checkpointer= to use a thread")
        durable = ThreadRun(self.checkpointer, thread_id, self, factory or _factory_of(self), self.durability)
        await durable.open(checkpoint_id, self._reset_all)
        self.on_step = durable.on_step
        try:
            async with aclosing(self.stream(task, cancellation_token)) as items:
                async for item in items:
                    if isinstance(item, RunOutcome):
                        await durable.finish(item)
                        await durable.close()
                    yield item
        finally:
            self.on_step = None
            await durable.close()

    async def _reset_all(self) -> None:
        """A new thread starts afresh: every participant and the run."""
        token = CancellationToken()
        for participant in self.participants.values():
            if isinstance(participant, ChatAgent):
                await participant.on_reset(token)
            else:
                await participant.reset()
        await self.reset()

    async def stream(
        self,
        task: Sequence[BaseChatMessage] | None,
        cancellation_token: CancellationToken | None,
        show_task: bool = False,
    ) -> AsyncGenerator[Item | RunOutcome, None]:
        """Run until the graph stops; yield inner events and chat messages, then a RunOutcome.

        With ``show_task`` the task messages come first, yielded once they are in the thread. The
        token cancels the run promptly while the engine is working; while the caller holds an item,
        cancellation waits until the caller asks for the next one. A step cancelled or failed leaves
        the run and every participant as they were before it (see ``_commit_step``).
        """
        if self._running:
            raise TeamRunningError(
                f"{self.name!r} is already running; wait for the current run to finish or cancel it first"
            )
        self.validate()
        self._running = True
        token = cancellation_token if cancellation_token is not None else CancellationToken()
        wiring = _Wiring(asyncio.current_task())
        token.add_callback(wiring.cancel)
        observer = hooks.observer  # telemetry listens to the recorder's events when it is on
        rec = TraceRecorder(self.spec) if observer is None else observer.recorder(self.spec, self.spec.name)
        clock = _Clock()
        try:
            if token.is_cancelled():
                raise asyncio.CancelledError()
            wiring.active = True
            async with aclosing(self._loop(task, show_task, token, rec, clock)) as loop:
                async for item in loop:
                    wiring.active = False
                    yield item
                    # Cancelling after the outcome was handed over has nothing left to stop.
                    if token.is_cancelled() and not isinstance(item, RunOutcome):
                        raise asyncio.CancelledError()
                    wiring.active = True
        except asyncio.CancelledError:
            rec.run_stopped(clock(), self.state.step, "cancelled", "cancelled")
            self._last_recording = rec.seal()
            wiring.settle()
            raise
        except ToolApprovalPending as pending:
            # A pause, not a failure: the step is undone and the run stops, resumable with the answer.
            # _loop has already rolled the step back through its savepoint.
            wiring.active = False
            if self.state.frontier or self.state.pending:
                self._carry(rec)  # the edges into the paused node are recorded by the resuming run
            yield self._finish(_Stop(str(pending), "interrupted", pending.agent), rec, clock)
        except Exception as exc:
            failed = rec.failed_nodes()
            reason = f"{type(exc).__name__}: {exc}"
            node = failed[0] if failed else None
            rec.run_stopped(clock(), self.state.step, reason, "error", node)
            self._last_recording = rec.seal()
            raise
        finally:
            wiring.active = False
            self._running = False

    async def _loop(
        self,
        task: Sequence[BaseChatMessage] | None,
        show_task: bool,
        token: CancellationToken,
        rec: TraceRecorder,
        clock: _Clock,
    ) -> AsyncGenerator[Item | RunOutcome, None]:
        st = self.state
        rec.run_started(clock(), st.step, " ".join(m.to_text() for m in task or ())[:200])
        first = len(st.thread)
        await self._start(task, show_task)
        if self.on_step is not None and len(st.thread) > first:
            # The run's input is committed as it is taken in: its checkpoint comes first.
            stopping = st.stopping[0] if st.stopping is not None else None
            await self.on_step(StepDone(st.step, (), st.thread[first:], rec, stopping))
        while st.unshown:  # the task, and what an interrupted run committed but never handed over
            yield st.thread[st.unshown.pop(0)]  # taken off first: once handed over, it has been shown
        if st.stopping is not None:
            yield self._finish(_Stop(*st.stopping), rec, clock)
            return
        if st.carried:
            # Edges that fired as the last run stopped: their targets run now, so they count now.
            t = clock()
            for carried in st.carried:
                rec.add(carried._replace(t=t))
            st.carried = []
        routers = self._transitions.routers
        while True:
            # A step is a transaction: everything it changes — the run state, the policies, the
            # termination condition and every participant that runs — is restored from this savepoint
            # unless the step reaches _commit_step.
            past_interrupt = self.past_interrupt
            savepoint = self._savepoint = _StepSavepoint(st)
            try:
                frontier = st.frontier
                if routers and not routers.isdisjoint(frontier):  # tested here: most steps have no router
                    savepoint.keep_routing(st, self.policies, frontier)
                    frontier, events = await self._resolve_routers(frontier, token, rec, clock)
                    for event in events:
                        yield event
                results: dict[str, _NodeResult] = {}
                stop: _Stop | None = None
                delta: Sequence[Item] = ()  # not a list: it would live through the step's model call
                now = 0.0
                hold = self._interrupt_before(frontier) if frontier and self.interrupt_before else None
                if frontier and hold is None:
                    self._last_step = _NO_STEP  # read by _ran_out only: not kept through this step's waits
                    if self.emit_team_events:
                        yield SelectSpeakerEvent(content=list(frontier), source=self.name)
                    participants = self.participants
                    for name in frontier:
                        savepoint.add(await participants[name].savepoint())
                    st.step += 1
                    turn = st.turn + 1
                    solo = self._agents.get(frontier[0]) if len(frontier) == 1 else None
                    if solo is not None and self._guards and frontier[0] in self._guards:
                        solo = None  # a node with a retry or timeout policy runs through _drive
                    if solo is not None:
                        # The common case, kept free of extra generators: one agent speaks.
                        name = frontier[0]
                        # Nothing runs between the step's start and its only node's: one clock reading.
                        started = clock()
                        rec.step_started(started, st.step, frontier)
                        rec.node_started(started, st.step, name, turn)
                        response: Response | None = None
                        replies = solo.on_messages_stream(self._deliver(name), token)
                        try:
                            async for reply in replies:
                                if isinstance(reply, Response):
                                    response = reply
                                else:
                                    yield reply
                        except Exception as exc:
                            self._node_failed(exc, name, turn, started, clock(), rec)
                            raise
                        finally:
                            if response is None:
                                await replies.aclose()
                        now = clock()
                        results[name] = self._agent_result(name, response, turn, started, now, rec)
                    else:
                        rec.step_started(clock(), st.step, frontier)
                        nodes = self._run_nodes(frontier, turn, results, token, rec, clock)
                        async with aclosing(nodes) as items:
                            async for item in items:
                                yield item
                        now = clock()  # the step's last node has finished
                    # Termination is the step's last await: the run state changes only at the
                    # commit point, which nothing can interrupt.
                    condition = self.termination_condition
                    if condition is not None:  # saved just before it sees the step's messages
                        savepoint.termination = condition.dump_state()
                    delta = (
                        results[frontier[0]].delta
                        if len(frontier) == 1
                        else _step_messages(frontier, results)
                    )
                    stop = await self._check_stop(delta, st.turn + 1)
                    if stop is None and self.interrupt_after:
                        stop = next((_Stop(f"Interrupted after node {n!r}.", "interrupted", n)
                                     for n in frontier if n in self.interrupt_after), None)  # fmt: skip
            except BaseException as error:
                self._savepoint = None
                self.past_interrupt = past_interrupt  # a resumed interrupt that did not commit still counts
                for failure in await savepoint.restore(st, self):
                    error.add_note(failure)
                raise
            if hold is not None:
                # A stop before the step: nothing ran. What the routers chose stands (the stop names
                # the node they chose, and the resuming run goes into it without choosing again).
                self._savepoint = None
                if st.frontier or st.pending:
                    self._carry(rec)
                yield self._finish(hold, rec, clock)
                return
            reached = stop
            stop = self._commit_step(frontier, results, stop, rec, now)
            if self.on_step is not None and frontier:
                # The step has committed: its checkpoint records the run past it. A stop found only
                # because nothing is ready is written by the run's end (ThreadRun.finish).
                await self.on_step(
                    StepDone(st.step, frontier, delta, rec, reached.reason if reached else None)
                )
            while st.unshown:
                yield st.thread[st.unshown.pop(0)]
            if stop is not None:
                yield self._finish(stop, rec, clock)
                return
            # Let this step's objects go before the next step's model call: kept alive through that
            # wait, they would outlive the young collections and be scanned by the old ones.
            delta = results = reply = None  # type: ignore[assignment]

    def _commit_step(
        self,
        frontier: Sequence[str],
        results: Mapping[str, _NodeResult],
        stop: _Stop | None,
        rec: TraceRecorder,
        now: float,
    ) -> _Stop | None:
        """THE COMMIT POINT of a step: everything it did takes effect here, at once, without awaiting.

        Up to here the step changed only what its savepoint restores (the participants, the routing,
        the termination condition); now its messages join the thread, cursors and counters move,
        edges fire (recorded at ``now``, when the last node finished), and the run state lists the
        chat messages still to hand over (``unshown``) and the stop reached (``stopping``), so a run
        interrupted while handing them over — or saved then — resumes exactly. The participants'
        additions stand from here on. The durable checkpoint of the step (``on_step``) is written as
        this returns, so it always records a committed step. Returns the stop (also when the graph
        has just run out of ready nodes).
        """
        self._savepoint = None
        st = self.state
        if frontier:
            self._commit(frontier, results, rec, now)
        if stop is not None and stop.kind != "interrupted":
            # As AutoGen does: a stopped run leaves a fresh turn count behind. An interrupt is a
            # pause, and the run resumes with its count.
            st.turn = 0
        elif not st.frontier:
            stop = self._ran_out()
        if stop is not None:
            st.stopping = (stop.reason, stop.kind, stop.node)
            if st.frontier or st.pending:
                self._carry(rec)
        return stop

    async def _run_nodes(
        self,
        frontier: list[str],
        turn: int,
        results: dict[str, _NodeResult],
        token: CancellationToken,
        rec: TraceRecorder,
        clock: _Clock,
    ) -> AsyncGenerator[Item, None]:
        """Run a step of several nodes (or one nested team): stream inner events, fill ``results``."""
        runs = (
            self._drive(frontier[0], turn, token, rec, clock)
            if len(frontier) == 1
            else self._parallel(frontier, turn, token, rec, clock)
        )
        async with aclosing(runs) as stream:
            async for item in stream:
                if isinstance(item, _NodeResult):
                    results[item.name] = item
                else:
                    yield item

    def _interrupt_before(self, frontier: Sequence[str]) -> _Stop | None:
        if self.past_interrupt:
            self.past_interrupt = False
            return None
        node = next((n for n in frontier if n in self.interrupt_before), None)
        self.interrupted_before = node
        if node is None:
            return None
        self.past_interrupt = True  # the next run goes on into the node (a thread's load sets this too)
        return _Stop(f"Interrupted before node {node!r}.", "interrupted", node)

    def apply(self, node: str | None, messages: Sequence[BaseChatMessage]) -> list[Item]:
        """Append ``messages`` as though ``node`` had said them (its edges fire), or as input if None."""
        if node is None:
            self.state.thread.extend(messages)
            return list(messages)
        if node not in self._agents and node not in self.participants:
            raise ConfigurationError(
                f"as_node {node!r} is not a node of {self.name!r}; use one of {list(self.participants)}"
            )
        result = _NodeResult(node, list(messages), list(messages), [])
        self.state.step += 1
        self._commit([node], {node: result}, TraceRecorder(self.spec), 0.0)
        return list(messages)

    async def _start(self, task: Sequence[BaseChatMessage] | None, show_task: bool) -> None:
        """Take the task into the thread (committed at once, so that no interruption loses it)."""
        st = self.state
        self.interrupted_before = None
        condition = self.termination_condition
        if condition is not None and condition.terminated:
            st.stopping = ("The group chat has already terminated.", "termination", None)
            return
        if task:
            # A new task starts a new run: a stop the last run reached but never reported is moot.
            st.stopping = None
            first = len(st.thread)
            st.thread.extend(task)
            if show_task:
                st.unshown.extend(range(first, len(st.thread)))
            if condition is not None:
                stop_message = await condition(list(task))
                if stop_message is not None:
                    await self._reset_after_stop()
                    st.stopping = (stop_message.content, "termination", None)
                    return
        if st.stopping is None and (not st.started or (not st.frontier and not st.pending)):
            st.frontier = list(self.spec.entry)
            st.pending.clear()
            st.carried = []
            st.started = True

    def _commit(
        self, frontier: Sequence[str], results: Mapping[str, _NodeResult], rec: TraceRecorder, t: float
    ) -> None:
        """Append the step's messages in frontier order, move cursors, fire edges (at ``t``): no awaits."""
        st = self.state
        thread = st.thread
        fired: list[Fired]
        if len(frontier) == 1:
            name = frontier[0]
            result = results[name]
            thread.extend(result.delta)
            if result.after:  # an agent's chat message, the last of its delta, is handed over next
                st.unshown.append(len(thread) - 1)
            st.cursors[name] = len(thread)
            st.spans.pop(name, None)
            st.visits[name] = st.visits.get(name, 0) + 1
            fired = self._transitions.fire(name, result.chat)
        else:
            base = len(thread)
            fired = []
            for name in frontier:
                result = results[name]
                start = len(thread)
                thread.extend(result.delta)
                if result.after:
                    st.unshown.append(len(thread) - 1)
                st.cursors[name] = base
                st.spans[name] = (start, len(thread))
                st.visits[name] = st.visits.get(name, 0) + 1
                fired.extend(self._transitions.fire(name, result.chat))
        self._last_step = (frontier, fired)  # read only when the run runs out of nodes (_ran_out)
        for f in fired:
            rec.edge_taken(t, st.step, f.source, f.target, f.edge, f.reason)
        ends = self._transitions.ends
        st.frontier = [n for n in self._transitions.activate(fired, st.pending) if n not in ends]
        st.turn += 1

    async def _check_stop(self, delta: Sequence[Item], turn: int) -> _Stop | None:
        """The stop the step's messages (``delta``) reach at ``turn``; a stop resets the condition."""
        condition = self.termination_condition
        if condition is not None:
            stop_message = await condition(delta)
            if stop_message is not None:
                await condition.reset()
                return _Stop(stop_message.content, self._termination_kind(delta))
        if self.max_turns is not None and turn >= self.max_turns:
            if condition is not None:
                await condition.reset()
            return _Stop(f"Maximum number of turns {self.max_turns} reached.", "max_turns")
        return None

    def _termination_kind(self, delta: Sequence[Item]) -> StopKind:
        """``handoff`` when the step handed the conversation out of the team (e.g. to the user)."""
        participants = self.participants
        for message in delta:
            if isinstance(message, HandoffMessage) and message.target not in participants:
                return "handoff"
        return "termination"

    async def _reset_after_stop(self) -> None:
        # As AutoGen does: a run stopped by its task leaves a fresh condition and turn count behind.
        if self.termination_condition is not None:
            await self.termination_condition.reset()
        self.state.turn = 0

    def _ran_out(self) -> _Stop:
        st = self.state
        st.started = False
        st.turn = 0
        if st.pending:
            waiting = ", ".join(sorted(st.pending))
            st.pending.clear()
            return _Stop(f"Nodes {waiting} are waiting for inputs that can no longer arrive.", "stalled")
        frontier, fired = self._last_step
        self._last_step = _NO_STEP
        for name in frontier:
            # A node with out-edges of which none fired: a condition left the run with nowhere to go.
            if self.spec.out_edge_indices(name) and not any(f.source == name for f in fired):
                conditions = ", ".join(e.describe() or e.target for e in self.spec.out_edges(name))
                return _Stop(
                    f"The run cannot continue: the last message of {name!r} matched none of its edge "
                    f"conditions ({conditions}), so no node is ready to run.",
                    "stalled",
                    name,
                )
        return _Stop(self.completed_reason, "completed")

    def _finish(self, stop: _Stop, rec: TraceRecorder, clock: _Clock) -> RunOutcome:
        self.state.stopping = None
        rec.run_stopped(clock(), self.state.step, stop.reason, stop.kind, stop.node)
        self._last_recording = recording = rec.seal()
        return RunOutcome(stop.reason, stop.kind, recording)

    def _carry(self, rec: TraceRecorder) -> None:
        """Hold back the last step's edges whose targets have not run: the resuming run records them.

        The frontier they made is kept in the state either way, so resuming stays exact; only the
        trace waits, so that it never shows an edge into a node that did not run.
        """
        tail = rec.take_trailing_edges(self.state.step)
        if not tail:
            return
        ends = self._transitions.ends
        for event in tail:
            if event.target in ends:
                rec.add(event)  # reaching an end is what the run did
        self.state.carried = [e for e in tail if e.target not in ends]

    # ----------------------------------------------------------------- routers

    async def _resolve_routers(
        self, frontier: list[str], token: CancellationToken, rec: TraceRecorder, clock: _Clock
    ) -> tuple[list[str], list[Item]]:
        routers = self._transitions.routers
        events: list[Item] = []
        for _ in range(_MAX_ROUTER_HOPS):
            if not any(n in routers for n in frontier):
                break
            fired: list[Fired] = []
            keep: list[str] = []
            for name in frontier:
                if name in routers:
                    fired.extend(await self._select(name, token, rec, clock, events))
                else:
                    keep.append(name)
            ready = self._transitions.activate(fired, self.state.pending)
            ends = self._transitions.ends
            frontier = keep + [n for n in ready if n not in keep and n not in ends]
            self.state.frontier = frontier
        else:
            raise ConfigurationError(
                f"routers kept choosing routers {_MAX_ROUTER_HOPS} times in a row in graph "
                f"{self.spec.name!r}; make the policies choose an agent"
            )
        return frontier, events

    async def _select(
        self, router: str, token: CancellationToken, rec: TraceRecorder, clock: _Clock, events: list[Item]
    ) -> list[Fired]:
        options = self._transitions.candidates(router)
        candidates = tuple(target for _, target in options)
        policy = self.policies[router]
        context = SelectionContext(router, self.state.thread, candidates, self._last_speaker(), token)
        answer = policy.select(context)
        selection: Selection = await answer if inspect.isawaitable(answer) else answer  # type: ignore[misc]
        unknown = [s for s in selection.speakers if s not in candidates]
        if unknown or not selection.speakers:
            raise ConfigurationError(
                f"the policy of router {router!r} chose {list(selection.speakers)}, but its candidates are "
                f"{list(candidates)}; a policy must return at least one of its candidates"
            )
        if self.emit_team_events:
            events.extend(selection.events)
        t = clock()
        fired: list[Fired] = []
        for speaker in selection.speakers:
            index = next(i for i, target in options if target == speaker)
            fired.append(Fired(index, router, speaker, selection.reason or "selected"))
            rec.edge_taken(
                t, self.state.step, router, speaker, index, selection.reason or "selected",
                selection.candidates or candidates, selection.attempts,
            )  # fmt: skip
        return fired

    def _last_speaker(self) -> str | None:
        for message in reversed(self.state.thread):
            if isinstance(message, BaseChatMessage):
                return message.source
        return None

    # ----------------------------------------------------------------- nodes

    def _deliver(self, name: str) -> list[BaseChatMessage]:
        """The messages ``name`` has not seen, narrowed by its filter if the graph gives it one."""
        messages = self.state.unseen(name)
        if self._scopes:
            scope = self._scopes.get(name)
            if scope is not None:
                return scope.apply(messages)
        return messages

    def _node_started(self, name: str, turn: int, rec: TraceRecorder, clock: _Clock) -> float:
        started = clock()
        rec.node_started(started, self.state.step, name, turn)
        return started

    def _node_failed(
        self, exc: Exception, name: str, turn: int, started: float, now: float, rec: TraceRecorder
    ) -> None:
        error = f"{type(exc).__name__}: {exc}"
        rec.node_finished(now, self.state.step, name, turn, now - started, error=error)
        add_node_note(exc, name, turn)

    def _agent_result(
        self, name: str, response: Response | None, turn: int, started: float, now: float, rec: TraceRecorder
    ) -> _NodeResult:
        """The result of an agent that answered with ``response``, finished at ``now``."""
        if response is None:
            exc = RuntimeError(f"agent {name!r} ended its on_messages_stream without a Response")
            self._node_failed(exc, name, turn, started, now, rec)
            raise exc
        chat = response.chat_message
        inner = response.inner_messages
        result = _NodeResult(name, [*inner, chat] if inner else [chat], [chat], [chat])
        self._node_finished(result, turn, started, now, rec)
        return result

    def _node_finished(
        self, result: _NodeResult, turn: int, started: float, now: float, rec: TraceRecorder
    ) -> None:
        prompt, completion = _usage(result.delta)
        ids = [m.id for m in result.chat]
        rec.node_finished(now, self.state.step, result.name, turn, now - started, prompt, completion, ids)

    async def _drive(
        self, name: str, turn: int, token: CancellationToken, rec: TraceRecorder, clock: _Clock
    ) -> AsyncGenerator[Item | _NodeResult, None]:
        """Run one node (an agent or a nested team): stream its inner events, then its _NodeResult."""
        participant = self.participants[name]
        guard = self._guards.get(name) if self._guards else None
        if guard is not None and isinstance(participant, ChatAgent):
            async with aclosing(self._guarded(name, participant, guard, turn, token, rec, clock)) as attempts:
                async for attempted in attempts:
                    yield attempted
            return
        messages = self._deliver(name)
        started = self._node_started(name, turn, rec, clock)
        if isinstance(participant, ChatAgent):
            response: Response | None = None
            try:
                async for item in participant.on_messages_stream(messages, token):
                    if isinstance(item, Response):
                        response = item
                    else:
                        yield item
            except Exception as exc:
                self._node_failed(exc, name, turn, started, clock(), rec)
                raise
            yield self._agent_result(name, response, turn, started, clock(), rec)
            return
        result: _NodeResult | None = None
        inner: RunTrace | None = None
        run = participant.run_stream(
            task=messages or None, cancellation_token=token, output_task_messages=False
        )
        try:
            # Closed here, not left to the garbage collector: a step undone after the inner run is
            # closed restores the inner team as it was before the step, not before the inner run's step.
            async with aclosing(run) as outs:
                async for out in outs:
                    if isinstance(out, TaskResult):
                        produced = list(out.messages)
                        chat_only = [m for m in produced if isinstance(m, BaseChatMessage)]
                        result = _NodeResult(name, produced, chat_only, [])
                        inner = out.trace
                    else:
                        yield out
            if result is None:
                raise RuntimeError(f"team {name!r} ended its run_stream without a TaskResult")
        except Exception as exc:
            from flowgen.engine.trace import RunTrace  # loaded only when a nested team fails

            # A team that raised returns no TaskResult; its last trace still shows where it failed.
            failed = getattr(participant, "last_trace", None)
            if isinstance(failed, RunTrace):
                self._nest(name, failed, started, rec)
            self._node_failed(exc, name, turn, started, clock(), rec)
            raise
        if inner is not None:
            self._nest(name, inner, started, rec)
        self._node_finished(result, turn, started, clock(), rec)
        yield result

    async def _guarded(
        self,
        name: str,
        agent: ChatAgent,
        policy: NodePolicy,
        turn: int,
        token: CancellationToken,
        rec: TraceRecorder,
        clock: _Clock,
    ) -> AsyncGenerator[Item | _NodeResult, None]:
        """Run an agent under its node policy: each failed attempt is traced, undone, and retried.

        With a timeout the attempt's inner events are held until it ends: a deadline cannot reach
        into the caller while the caller holds an item.
        """
        # Each attempt starts from here; a final failure is undone by the step's savepoint.
        restore = await agent.savepoint()
        attempt = 1
        while True:
            started = self._node_started(name, turn, rec, clock)
            held: list[Item] = []
            response: Response | None = None
            try:
                if policy.timeout is None:
                    async for item in agent.on_messages_stream(self._deliver(name), token):
                        if isinstance(item, Response):
                            response = item
                        else:
                            yield item
                else:
                    response = await _within(policy.timeout, name, agent, self._deliver(name), token, held)
            except Exception as error:
                self._node_failed(error, name, turn, started, clock(), rec)
                if policy.retry is None or not policy.retry.retries(error, attempt):
                    raise
                await restore.restore()
                attempt += 1
                await asyncio.sleep(policy.retry.delay(attempt))
                continue
            for item in held:
                yield item
            yield self._agent_result(name, response, turn, started, clock(), rec)
            return

    def _nest(self, name: str, inner: RunTrace, started: float, rec: TraceRecorder) -> None:
        """Copy a nested team's node and edge events into this trace, as ``name/inner`` paths.

        Its times move onto this run's clock (the inner run started with the node), its events take
        this run's step; its turns stay the inner team's.
        """
        from flowgen.engine.trace import EdgeTaken, NodeFinished, NodeStarted  # nested teams only

        step = self.state.step
        prefix = f"{name}/"
        for e in inner.events:
            if isinstance(e, NodeStarted | NodeFinished):
                rec.add(replace(e, t=started + e.t, step=step, node=prefix + e.node))
            elif isinstance(e, EdgeTaken):
                source, target = prefix + e.source, prefix + e.target
                rec.add(replace(e, t=started + e.t, step=step, source=source, target=target))

    async def _agent_step(
        self,
        name: str,
        agent: ChatAgent,
        turn: int,
        token: CancellationToken,
        rec: TraceRecorder,
        clock: _Clock,
        events: asyncio.Queue[Item | None],
    ) -> _NodeResult:
        """One agent of a parallel step: its inner events go to ``events`` as they come."""
        messages = self._deliver(name)
        started = self._node_started(name, turn, rec, clock)
        response: Response | None = None
        replies = agent.on_messages_stream(messages, token)
        try:
            async for reply in replies:
                if isinstance(reply, Response):
                    response = reply
                else:
                    events.put_nowait(reply)
        except Exception as exc:
            self._node_failed(exc, name, turn, started, clock(), rec)
            raise
        finally:
            if response is None:
                await replies.aclose()
        return self._agent_result(name, response, turn, started, clock(), rec)

    async def _parallel(
        self, frontier: Sequence[str], turn: int, token: CancellationToken, rec: TraceRecorder, clock: _Clock
    ) -> AsyncGenerator[Item | _NodeResult, None]:
        """Run a parallel step in one TaskGroup; stream events as they come; results in frontier order."""
        queue: asyncio.Queue[Item | None] = asyncio.Queue()
        results: dict[str, _NodeResult] = {}
        failures: dict[str, Exception] = {}

        async def work(name: str) -> None:
            try:
                agent = self._agents.get(name)
                if agent is not None and name not in self._guards:  # the common case, no generator between
                    results[name] = await self._agent_step(name, agent, turn, token, rec, clock, queue)
                    return
                async with aclosing(self._drive(name, turn, token, rec, clock)) as node_stream:
                    async for item in node_stream:
                        if isinstance(item, _NodeResult):
                            results[name] = item
                        else:
                            queue.put_nowait(item)
            except Exception as exc:  # kept to re-raise unwrapped once the step is torn down
                failures[name] = exc
            finally:
                # Says "this node is done" without a done callback, which costs a loop turn more. Every
                # task has started before the first None is read (tasks step in creation order), so a
                # task cancelled below still runs this.
                queue.put_nowait(None)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(work(name), name=f"flowgen:{name}") for name in frontier]
                remaining = len(tasks)
                while remaining:
                    item = await queue.get()
                    if item is not None:
                        yield item
                        continue
                    remaining -= 1
                    if failures:
                        for task in tasks:
                            task.cancel()
        except BaseExceptionGroup as group_error:
            # Closing this generator mid-step (the caller stopped iterating) surfaces as a group.
            if group_error.subgroup(GeneratorExit) is not None:
                raise GeneratorExit() from None
            raise
        if failures:
            raise next(failures[name] for name in frontier if name in failures)
        for name in frontier:
            yield results[name]


def _step_messages(frontier: Sequence[str], results: Mapping[str, _NodeResult]) -> list[Item]:
    """The messages of a step of several nodes, in frontier order (as the thread will get them)."""
    return [item for name in frontier for item in results[name].delta]


class _RunnerSavepoint(Savepoint):
    """A copy of a runner's whole state and its participants' savepoints (see GraphRunner.savepoint)."""

    __slots__ = ("_participants", "_policies", "_runner", "_state", "_termination")

    def __init__(
        self,
        runner: GraphRunner,
        state: LiveState,
        termination: dict[str, Any] | None,
        policies: dict[str, dict[str, Any]],
        participants: list[Savepoint],
    ) -> None:
        self._runner = runner
        self._state = state
        self._termination = termination
        self._policies = policies
        self._participants = participants

    async def restore(self) -> None:
        runner = self._runner
        for savepoint in reversed(self._participants):
            await savepoint.restore()
        runner.state = self._state
        runner._last_step = ((), [])
        if self._termination is not None and runner.termination_condition is not None:
            runner.termination_condition.load_state(self._termination)
        for name, saved in self._policies.items():
            policy = runner.policies[name]
            if isinstance(policy, StatefulPolicy):
                policy.load_state(saved)


class _StepSavepoint:
    """What a step changes before its commit point, as it was before the step.

    The run state's thread, cursors, counters and frontier change only after the step's last await
    (see ``_loop``), so nothing of them needs saving but the step number and, when routers choose,
    the frontier, the pending joins and the policies. The termination condition is saved just
    before it sees the step's messages, and each participant that runs gives its own savepoint.
    """

    __slots__ = ("first", "frontier", "more", "pending", "policies", "step", "termination")

    def __init__(self, st: LiveState) -> None:
        self.step = st.step
        self.frontier = st.frontier  # replaced, never changed in place
        # Most steps run one participant: no list for it, since a savepoint lives through the step.
        self.first: Savepoint | None = None
        self.more: list[Savepoint] | None = None
        self.pending: dict[str, dict[str, set[int]]] | None = None
        self.policies: dict[str, dict[str, Any]] | None = None
        self.termination: dict[str, Any] | None = None

    def add(self, savepoint: Savepoint) -> None:
        """Keep a participant's savepoint (restored in the reverse order of adding)."""
        if self.first is None:
            self.first = savepoint
        elif self.more is None:
            self.more = [savepoint]
        else:
            self.more.append(savepoint)

    def keep_routing(
        self, st: LiveState, policies: Mapping[str, SpeakerPolicy], frontier: Sequence[str]
    ) -> None:
        """Save what routers change as they choose: the pending joins and their policies' states."""
        self.pending = {t: {g: set(s) for g, s in groups.items()} for t, groups in st.pending.items()}
        self.policies = {}
        for name in frontier:
            policy = policies.get(name)
            if isinstance(policy, StatefulPolicy):
                self.policies[name] = policy.dump_state()

    async def restore(self, st: LiveState, runner: GraphRunner) -> list[str]:
        """Put everything back; a participant failing to restore is reported, not raised over the cause."""
        failures: list[str] = []
        participants = [] if self.first is None else [self.first, *(self.more or ())]
        for savepoint in reversed(participants):
            try:
                await savepoint.restore()
            except Exception as exc:
                failures.append(f"undoing the step failed for a participant too: {type(exc).__name__}: {exc}")
        if self.policies is not None:
            for name, saved in self.policies.items():
                policy = runner.policies[name]
                if isinstance(policy, StatefulPolicy):
                    policy.load_state(saved)
        if self.pending is not None:
            st.pending = self.pending
        if self.termination is not None and runner.termination_condition is not None:
            runner.termination_condition.load_state(self.termination)
        st.step = self.step
        st.frontier = self.frontier
        return failures


async def _within(
    seconds: float,
    name: str,
    agent: ChatAgent,
    messages: list[BaseChatMessage],
    token: CancellationToken,
    held: list[Item],
) -> Response | None:
    """One attempt of ``agent`` bounded by ``seconds``; its inner events go to ``held``."""
    response: Response | None = None
    try:
        async with asyncio.timeout(seconds):
            async for item in agent.on_messages_stream(messages, token):
                if isinstance(item, Response):
                    response = item
                else:
                    held.append(item)
    except TimeoutError:
        raise NodeTimeoutError(
            f"node {name!r} ran longer than its timeout of {seconds:g} s; the run stops with its state as "
            "before this step (raise the node's timeout, or resume the thread to try again)"
        ) from None
    return response


class _Wiring:
    """Connects a CancellationToken to the task running the engine, only while the engine works."""

    __slots__ = ("active", "fired", "task")

    def __init__(self, task: asyncio.Task[object] | None) -> None:
        self.task = task
        self.active = False
        self.fired = False

    def cancel(self) -> None:
        task = self.task
        if task is None or task.done():
            return
        loop = task.get_loop()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not loop:  # cancel() was called from another thread
            if not loop.is_closed():
                loop.call_soon_threadsafe(self.cancel)
            return
        if self.active:
            self.fired = True
            task.cancel()

    def settle(self) -> None:
        """Undo our own cancel request, so the caller's task is not left marked as cancelling."""
        if self.fired and self.task is not None:
            self.fired = False
            self.task.uncancel()


class _Clock:
    """Seconds since the run started, from a monotonic clock."""

    __slots__ = ("_t0",)

    def __init__(self) -> None:
        self._t0 = perf_counter()

    def __call__(self) -> float:
        return perf_counter() - self._t0


def _factory_of(runner: GraphRunner) -> MessageFactory:
    """A message factory knowing every type the runner's agents produce."""
    factory = MessageFactory()
    for participant in runner.participants.values():
        if isinstance(participant, ChatAgent):
            for produced in participant.produced_message_types:
                if not factory.is_registered(produced):
                    factory.register(produced)
    return factory


def _usage(delta: Sequence[Item]) -> tuple[int, int]:
    prompt = completion = 0
    for message in delta:
        usage = message.models_usage
        if usage is not None:
            prompt += usage.prompt_tokens
            completion += usage.completion_tokens
    return prompt, completion
