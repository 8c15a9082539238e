"""The scheduler: one engine that runs any :class:`~flowgen.graph.GraphSpec`.

A run is a loop of *steps*. Each step takes the frontier (the ready nodes), resolves routers in it
through their speaker policies, runs the agent nodes — a parallel step in one ``asyncio.TaskGroup`` —
appends their messages to the thread in frontier order (never finish order), fires edges to build
the next frontier, evaluates termination over every message of the step, and counts one turn.
Inner events stream out as they happen; each node's chat messages are yielded once the step's state
is recorded, so the state is consistent (and resumable) at every point the caller sees.

Each node receives only the chat messages it has not seen (see :mod:`flowgen.engine.state`).
Cancellation — through a CancellationToken or by cancelling the consuming task — stops at the next
await, cancels every task of the step and leaves the state as it was before that step.

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
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import replace
from time import perf_counter
from typing import TYPE_CHECKING, NamedTuple

from flowgen.base import ChatAgent, Response, TaskResult, Team, TerminationCondition
from flowgen.core import CancellationToken
from flowgen.engine.compiled import CompiledGraph
from flowgen.engine.policy import Selection, SelectionContext, SpeakerPolicy, StatefulPolicy
from flowgen.engine.recording import StopKind, TraceRecorder, TraceRecording
from flowgen.engine.state import LiveState, RunState
from flowgen.engine.transitions import Fired
from flowgen.errors import ConfigurationError, StateError, TeamRunningError, add_node_note
from flowgen.graph.message_filter import MessageFilterConfig
from flowgen.graph.spec import GraphSpec
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    MessageFactory,
    SelectSpeakerEvent,
)

if TYPE_CHECKING:
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
        self.state = LiveState()
        # Shared by every runner of the same graph when the team hands one in (see CompiledGraph).
        self._compiled = compiled if compiled is not None and compiled.spec is spec else CompiledGraph(spec)
        self._transitions = self._compiled.transitions
        #: Context scoping: the message filter of each node that narrows what it is given.
        self._scopes: dict[str, MessageFilterConfig] = self._compiled.scopes
        self._validated = False
        self._running = False
        self._last_step = _NO_STEP
        self._last_recording: TraceRecording | None = None

    @property
    def last_trace(self) -> RunTrace | None:
        """The trace of the latest run, also when it failed or was cancelled (built when first read)."""
        return self._last_recording.build() if self._last_recording is not None else None

    @property
    def running(self) -> bool:
        return self._running

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

    async def restore(self, saved: RunState, factory: MessageFactory) -> None:
        """Load what :meth:`save_state` returned: participants' states, then the run state."""
        missing = [name for name in self.participants if name not in saved.agent_states]
        if missing:
            raise StateError(
                f"the saved run has no state for participants {missing}; load it into a graph with the "
                "same participants"
            )
        for name, participant in self.participants.items():
            await participant.load_state(saved.agent_states[name])
        self.load_state(saved, factory)

    def load_state(self, saved: RunState, factory: MessageFactory) -> None:
        """Continue from ``saved`` (participants' states are the caller's, or :meth:`restore`'s, job)."""
        if self._running:
            raise TeamRunningError("the graph is running; load a saved state only while it is stopped")
        self.state = saved.to_live(factory)
        if self.termination_condition is not None:
            self.termination_condition.load_state(saved.termination)
        for name, policy in self.policies.items():
            if isinstance(policy, StatefulPolicy) and name in saved.policies:
                policy.load_state(saved.policies[name])

    # ----------------------------------------------------------------- running

    async def stream(
        self, task: Sequence[BaseChatMessage] | None, cancellation_token: CancellationToken | None
    ) -> AsyncGenerator[Item | RunOutcome, None]:
        """Run until the graph stops; yield inner events and chat messages, then a RunOutcome.

        The token cancels the run promptly while the engine is working; while the caller holds an
        item, cancellation waits until the caller asks for the next one.
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
        rec = TraceRecorder(self.spec)
        clock = _Clock()
        try:
            if token.is_cancelled():
                raise asyncio.CancelledError()
            wiring.active = True
            async with aclosing(self._loop(task, token, rec, clock)) as loop:
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
        token: CancellationToken,
        rec: TraceRecorder,
        clock: _Clock,
    ) -> AsyncGenerator[Item | RunOutcome, None]:
        st = self.state
        rec.run_started(clock(), st.step, " ".join(m.to_text() for m in task or ())[:200])
        stop = await self._start(task)
        if stop is not None:
            yield self._finish(stop, rec, clock)
            return
        if st.carried:
            # Edges that fired as the last run stopped: their targets run now, so they count now.
            t = clock()
            for carried in st.carried:
                rec.add(carried._replace(t=t))
            st.carried = []
        routers = self._transitions.routers
        while True:
            frontier = st.frontier
            if routers and not routers.isdisjoint(frontier):  # tested here: most steps have no router
                frontier, events = await self._resolve_routers(frontier, token, rec, clock)
                for event in events:
                    yield event
            if not frontier:
                yield self._finish(self._ran_out(), rec, clock)
                return
            self._last_step = _NO_STEP  # read by _ran_out only: not kept through this step's waits
            if self.emit_team_events:
                yield SelectSpeakerEvent(content=list(frontier), source=self.name)
            st.step += 1
            turn = st.turn + 1
            now = clock()
            rec.step_started(now, st.step, frontier)
            results: dict[str, _NodeResult] = {}
            solo = self._agents.get(frontier[0]) if len(frontier) == 1 else None
            if solo is not None:
                # The common case, kept free of extra generators: one agent speaks.
                name = frontier[0]
                # Nothing runs between the step's start and its only node's: one clock reading serves both.
                started = now
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
                now = clock()  # the step's last node has finished
            # The step's edges are taken as its last node finishes (no await in between).
            delta = self._commit(frontier, results, rec, now)
            stop = await self._check_stop(delta)
            for name in frontier:
                for item in results[name].after:
                    yield item
            if stop is not None:
                yield self._finish(stop, rec, clock)
                return
            # Let this step's objects go before the next step's model call: kept alive through that
            # wait, they would outlive the young collections and be scanned by the old ones.
            delta = results = reply = None  # type: ignore[assignment]

    async def _start(self, task: Sequence[BaseChatMessage] | None) -> _Stop | None:
        st = self.state
        condition = self.termination_condition
        if condition is not None and condition.terminated:
            return _Stop("The group chat has already terminated.", "termination")
        if task:
            st.thread.extend(task)
            if condition is not None:
                stop_message = await condition(list(task))
                if stop_message is not None:
                    await self._reset_after_stop()
                    return _Stop(stop_message.content, "termination")
        if not st.started or (not st.frontier and not st.pending):
            st.frontier = list(self.spec.entry)
            st.pending.clear()
            st.carried = []
            st.started = True
        return None

    def _commit(
        self, frontier: Sequence[str], results: Mapping[str, _NodeResult], rec: TraceRecorder, t: float
    ) -> list[Item]:
        """Append the step's messages in frontier order, move cursors, fire edges (at ``t``): no awaits."""
        st = self.state
        thread = st.thread
        base = len(thread)
        fired: list[Fired] = []
        delta: list[Item]
        if len(frontier) == 1:
            name = frontier[0]
            result = results[name]
            delta = result.delta
            thread.extend(delta)
            st.cursors[name] = len(thread)
            st.spans.pop(name, None)
            st.visits[name] = st.visits.get(name, 0) + 1
            fired = self._transitions.fire(name, result.chat)
        else:
            delta = []
            for name in frontier:
                result = results[name]
                start = len(thread)
                thread.extend(result.delta)
                delta.extend(result.delta)
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
        return delta

    async def _check_stop(self, delta: Sequence[Item]) -> _Stop | None:
        condition = self.termination_condition
        if condition is not None:
            stop_message = await condition(delta)
            if stop_message is not None:
                await self._reset_after_stop()
                return _Stop(stop_message.content, self._termination_kind(delta))
        if self.max_turns is not None and self.state.turn >= self.max_turns:
            await self._reset_after_stop()
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
        # As AutoGen does: a stopped run leaves a fresh termination condition and turn count behind.
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
        if self.state.frontier or self.state.pending:
            self._carry(rec)
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
        try:
            async for out in participant.run_stream(
                task=messages or None, cancellation_token=token, output_task_messages=False
            ):
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
                if agent is not None:  # the common case, without a generator in between
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


def _usage(delta: Sequence[Item]) -> tuple[int, int]:
    prompt = completion = 0
    for message in delta:
        usage = message.models_usage
        if usage is not None:
            prompt += usage.prompt_tokens
            completion += usage.completion_tokens
    return prompt, completion
