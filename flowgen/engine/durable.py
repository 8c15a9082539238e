"""Durable runs: the engine's side of checkpointing — one run of one thread against a store.

A :class:`ThreadRun` holds the thread's lease for the length of a run, loads the thread (or the
checkpoint to fork from) into the runner, and is the runner's ``on_step`` hook: at every step
boundary it turns what the step changed into one :class:`~flowgen.checkpoint.records.Checkpoint` —
the new messages, the new states of the agents that ran (as deltas), the new trace rows and the
small run fields — so a step's write does not grow with the conversation.

Whoever sets :data:`step_listener` before a run opens its thread (the server, for its ``step``
events) is told of every step once its checkpoint is made; nobody listening costs one test per step.
A stop that waits for a person is recorded in the checkpoint's ``interrupt`` (``before:``, ``after:``
or ``approval:`` and the node), so a thread's status can be read from the store alone.

Durability modes (LangGraph's names): ``sync`` writes each step before the next starts; ``async``
writes while the next step runs and flushes before the run returns; ``exit`` writes every step of
the run when it ends.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from flowgen.checkpoint import state_delta
from flowgen.checkpoint.chain import describe_change
from flowgen.checkpoint.records import Checkpoint, Source, new_checkpoint_id
from flowgen.engine.policy import StatefulPolicy
from flowgen.engine.state import LiveState, RunState
from flowgen.errors import CheckpointNotFoundError, ConfigurationError, GraphChangedError, StateError
from flowgen.messages import BaseAgentEvent, BaseChatMessage, MessageFactory
from flowgen.telemetry import hooks

if TYPE_CHECKING:
    from flowgen.checkpoint.protocol import Checkpointer, Lease
    from flowgen.engine.scheduler import GraphRunner, RunOutcome, StepDone
    from flowgen.graph.spec import GraphSpec

Durability = Literal["sync", "async", "exit"]
DURABILITIES: tuple[Durability, ...] = ("sync", "async", "exit")


class StepCommitted(NamedTuple):
    """A step a durable run has committed and checkpointed, as told to a :data:`step_listener`.

    ``ran`` is empty for the run's input (its task, committed before the first step). ``handed`` holds
    the ``id()`` of each chat message of the step that the run hands over next (after this notice).
    ``blocked`` says the run will not start ``frontier`` (it stops: a stop reason, or an interrupt
    before one of its nodes). ``stored`` says the checkpoint is in the store as this is told; it is
    False when the write is still to come (``async`` / ``exit`` durability, or the last step of a run
    that ran out of nodes, written together with its stop when the run ends).
    """

    step: int
    ran: tuple[str, ...]
    frontier: tuple[str, ...]
    checkpoint_id: str
    stop_reason: str | None
    handed: tuple[int, ...]
    blocked: bool
    stored: bool = True


#: Told of every step a durable run commits, once its checkpoint is made (the server's step events).
#: Read once when a run opens its thread, so a run nobody listens to pays one test per step.
step_listener: ContextVar[Callable[[StepCommitted], None] | None] = ContextVar(
    "flowgen_step_listener", default=None
)


def graph_summary(spec: GraphSpec, participants: Sequence[str]) -> dict[str, Any]:
    """What a thread's checkpoints depend on: nodes, edges, entry and participants (JSON-ready)."""
    return {
        "nodes": [f"{n.name}:{n.kind}" for n in spec.nodes],
        "edges": [f"{e.source}->{e.target}:{e.kind}" for e in spec.edges],
        "entry": list(spec.entry),
        "participants": list(participants),
    }


def fingerprint(summary: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()[:16]


def check_durability(durability: str) -> Durability:
    if durability not in DURABILITIES:
        raise ConfigurationError(f"durability must be one of {list(DURABILITIES)}, got {durability!r}")
    return durability  # type: ignore[return-value]


class ThreadRun:
    """One run of one thread: the lease, the load, and a checkpoint per step (see the module doc)."""

    def __init__(
        self,
        store: Checkpointer,
        thread_id: str,
        runner: GraphRunner,
        factory: MessageFactory,
        durability: Durability = "sync",
    ) -> None:
        if not thread_id:
            raise ConfigurationError("thread_id must be a non-empty string")
        self.store = store
        self.thread_id = thread_id
        self.runner = runner
        self.factory = factory
        self.durability = durability
        self.summary = graph_summary(runner.spec, list(runner.participants))
        self.fingerprint = fingerprint(self.summary)
        self.parent: str | None = None
        self._lease: Lease | None = None
        self._states: dict[str, dict[str, Any]] = {}
        self._graph_written = False
        self._recording: object = None
        self._mark = 0
        self._pending: asyncio.Task[None] | None = None
        self._buffer: list[Checkpoint] = []
        self._held: list[Checkpoint] = []
        self._listener = step_listener.get()
        self._stopped_after = False

    # ----------------------------------------------------------------- opening

    async def open(self, checkpoint_id: str | None, reset: Callable[[], Awaitable[None]]) -> None:
        """Take the lease, then load the thread (at ``checkpoint_id``: a fork) or start it afresh."""
        self._lease = await self.store.acquire(self.thread_id)
        try:
            await self._load(checkpoint_id, reset)
        except BaseException:
            await self._lease.release()
            self._lease = None
            raise

    async def _load(self, checkpoint_id: str | None, reset: Callable[[], Awaitable[None]]) -> None:
        snapshot = await self.store.get(self.thread_id, checkpoint_id)
        if snapshot is None:
            if checkpoint_id is not None:
                raise CheckpointNotFoundError(
                    f"thread {self.thread_id!r} has no checkpoints, so it cannot run from {checkpoint_id!r}"
                )
            await reset()
            self.parent, self._states = None, {}
            return
        head = snapshot.checkpoint
        if head.fingerprint != self.fingerprint:
            saved = await self.store.graph(head.fingerprint)
            raise GraphChangedError(
                describe_change(self.thread_id, saved, self.summary)
                + "; run it with the team it was saved with, or start a new thread"
            )
        try:
            state = RunState.model_validate(
                {**head.run, "thread": snapshot.messages, "agent_states": snapshot.agent_states}
            )
            await self.runner.restore(state, self.factory)
        except (StateError, ValueError) as error:
            raise StateError(
                f"checkpoint {head.checkpoint_id!r} of thread {self.thread_id!r} cannot be loaded: {error}"
            ) from None
        # Past an interrupt before a node (or a paused approval), the next step goes on into it.
        self.runner.past_interrupt = head.interrupt is not None and not head.interrupt.startswith("after:")
        self.parent, self._states = head.checkpoint_id, dict(snapshot.agent_states)
        self._graph_written = True

    # ----------------------------------------------------------------- writing

    async def on_step(self, done: StepDone) -> None:
        """The runner's hook: checkpoint what the step changed."""
        changed = [n for n in done.ran if n in self.runner.participants]
        if not self._states:  # the thread's first checkpoint holds every participant's state
            changed = list(self.runner.participants)
        source: Source = "step" if done.ran else "input"
        st = self.runner.state
        # A step after which nothing is ready ends the run, and the stop changes the state once more:
        # both are written together, so a resumed thread never sees a finished run as unfinished.
        hold = bool(done.ran) and done.stop_reason is None and not st.frontier and not st.pending
        stopping = st.stopping
        interrupt = f"after:{stopping[2]}" if stopping is not None and stopping[1] == "interrupted" else None
        self._stopped_after = interrupt is not None
        await self._write(
            source, done.ran, done.messages, changed, done.recording, done.stop_reason, interrupt, hold=hold
        )
        if self._listener is not None:
            self._tell(done, stored=not hold and self.durability == "sync")

    def _tell(self, done: StepDone, stored: bool) -> None:
        assert self._listener is not None and self.parent is not None
        runner, st = self.runner, self.runner.state
        blocked = done.stop_reason is not None or (
            not runner.past_interrupt and any(n in runner.interrupt_before for n in st.frontier)
        )
        handed = tuple(id(st.thread[i]) for i in st.unshown)
        frontier = tuple(st.frontier)
        self._listener(
            StepCommitted(
                done.step, tuple(done.ran), frontier, self.parent, done.stop_reason, handed, blocked, stored
            )
        )

    async def update(self, messages: Sequence[BaseChatMessage], as_node: str | None) -> str:
        """Write an edited checkpoint: ``messages`` added as ``as_node``'s (its edges fire) or as input."""
        added = self.runner.apply(as_node, messages)
        changed = list(self.runner.participants) if not self._states else []
        await self._write("update", [as_node] if as_node else [], added, changed, None, None)
        assert self.parent is not None
        return self.parent

    async def finish(self, outcome: RunOutcome) -> None:
        """After the run stopped: record a stop that changed the state without a step.

        Also a tool call paused for approval (its step was undone): the thread says it waits.
        """
        before = self.runner.interrupted_before
        interrupt = None if before is None else f"before:{before}"
        if before is None and outcome.stop == "interrupted":
            if self._stopped_after:  # the step's own checkpoint says so
                return
            stop = outcome.trace.stop  # built only here: approvals are rare
            interrupt = f"approval:{stop.node if stop is not None else ''}"
        elif before is None and outcome.stop not in ("completed", "stalled"):
            return
        # The stop's own trace rows stay with the run's TaskResult; the checkpoint keeps the state.
        await self._write("stop", [], [], [], None, outcome.stop_reason, interrupt)

    async def _write(
        self,
        source: Source,
        ran: Sequence[str],
        messages: Sequence[BaseAgentEvent | BaseChatMessage],
        changed: Sequence[str],
        recording: object,
        stop_reason: str | None,
        interrupt: str | None = None,
        *,
        hold: bool = False,
    ) -> None:
        changes: dict[str, dict[str, Any]] = {}
        for name in changed:
            new = dict(await self.runner.participants[name].save_state())
            changes[name] = state_delta.diff(self._states.get(name), new)
            self._states[name] = new
        checkpoint_id = new_checkpoint_id(self.parent)
        cp = Checkpoint.model_construct(
            thread_id=self.thread_id,
            checkpoint_id=checkpoint_id,
            parent_id=self.parent,
            step=self.runner.state.step,
            source=source,
            ran=list(ran),
            frontier=list(self.runner.state.frontier),
            created_at=datetime.now(UTC),
            fingerprint=self.fingerprint,
            messages=[m.dump() for m in messages],
            state_changes=changes,
            trace=self._trace(recording),
            run=_run_fields(self.runner),
            stop_reason=stop_reason,
            interrupt=interrupt,
        )
        if hold:
            self._held.append(cp)
            self.parent = checkpoint_id
            return
        batch, self._held = [*self._held, cp], []
        if self.durability == "sync":
            await self._put(batch)  # the parent moves on only once its child is stored
        elif self.durability == "async":
            await self._flush_pending()
            self._pending = asyncio.ensure_future(self._put(batch))
        else:
            self._buffer.extend(batch)
        self.parent = checkpoint_id

    def _trace(self, recording: object) -> list[Any]:
        flat = getattr(recording, "flat", None)
        if flat is None:
            return []
        if recording is not self._recording:  # a new run: its recorder starts empty
            self._recording, self._mark = recording, 0
        rows = flat[self._mark :]
        self._mark = len(flat)
        return list(rows)

    async def _put(self, checkpoints: list[Checkpoint]) -> None:
        assert self._lease is not None
        graph = None if self._graph_written else self.summary
        observer = hooks.observer
        if observer is None:
            await self.store.put(self._lease, checkpoints, graph)
        else:
            began, ok = time.perf_counter(), False
            try:
                await self.store.put(self._lease, checkpoints, graph)
                ok = True
            finally:
                observer.checkpoint_written(time.perf_counter() - began, ok)
        self._graph_written = True

    async def _flush_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            await pending

    async def close(self) -> None:
        """Flush what is not written yet (``async`` / ``exit``), then give the lease up."""
        try:
            await self._flush_pending()
            buffer, self._buffer, self._held = [*self._buffer, *self._held], [], []
            if buffer:
                await self._put(buffer)
        finally:
            if self._lease is not None:
                lease, self._lease = self._lease, None
                await lease.release()


def _run_fields(runner: GraphRunner) -> dict[str, Any]:
    """The run state without the thread and the agents' states: small, whatever the conversation's length."""
    st = runner.state
    live = LiveState([], st.turn, st.step, st.frontier, st.started, st.pending, st.visits, st.cursors, st.spans,
                     st.carried)  # fmt: skip
    saved = RunState.from_live(live)
    if runner.termination_condition is not None:
        saved.termination = runner.termination_condition.dump_state()
    saved.policies = {
        name: p.dump_state() for name, p in runner.policies.items() if isinstance(p, StatefulPolicy)
    }
    return saved.model_dump(mode="json", exclude={"thread", "agent_states"})
