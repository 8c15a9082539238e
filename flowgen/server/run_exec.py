"""What one run of a served team on a thread does, as ``(kind, JSON)`` events.

:func:`check_run` is every refusal a run request can get from the thread's stored state, made before
the thread is claimed, so a refused request changes nothing stored. :func:`execute` then runs the
team and yields, in order (the kinds of the SSE contract):

- ``message`` / ``event``: each chat message and inner event as it happens (``dump()``);
- ``node``: ``{"step", "node", "status": "start" | "end" | "error"}`` — a node's start is told when
  the step before it has committed and the run goes on into it (best effort: the first step of a run
  continued without a task has no start);
- ``step``: after each committed step, ``{"step", "nodes", "next", "checkpoint_id"}``, told by the
  durable layer at the step boundary (:data:`flowgen.engine.durable.step_listener`), after the step's
  chat messages;
- ``interrupt``: ``{"kind": "before" | "after" | "approval", "nodes", "request"}`` when the run stopped
  to wait for a person, then ``end`` (status ``interrupted``); else ``end`` with status ``success``.

A failure is raised (after ``node`` errors for the nodes it stopped); cancelling the consumer
cancels the run, and the thread keeps every committed step.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import aclosing
from typing import Any, Literal

from flowgen.base import TaskResult
from flowgen.checkpoint.protocol import Checkpointer
from flowgen.checkpoint.records import Checkpoint
from flowgen.engine.durable import StepCommitted, step_listener
from flowgen.errors import CheckpointCorruptError, CheckpointNotFoundError, RequestError
from flowgen.graph.spec import AgentNode
from flowgen.messages import BaseAgentEvent, BaseChatMessage, ToolCallRequestEvent
from flowgen.server.agents import Agents
from flowgen.server.handoff_reply import addressed_input
from flowgen.server.run_request import RunRequest, check_nodes
from flowgen.server.thread_status import approval_request, checkpoint_status, interrupt_json

Event = tuple[str, dict[str, Any]]


async def check_run(store: Checkpointer, agents: Agents, thread_id: str, run: RunRequest) -> None:
    """Refuse a run the thread cannot take, before anything is claimed or stored (a 4xx saying why)."""
    agents.require(run.agent)
    if run.interrupt_before or run.interrupt_after:
        check_nodes(run, agents.graph(run.agent))
    at = await _start_checkpoint(store, thread_id, run.checkpoint_id)
    where = f"checkpoint {run.checkpoint_id!r}" if run.checkpoint_id else "its newest checkpoint"
    if run.resume is not None and checkpoint_status(at) != "interrupted":
        raise RequestError(
            409,
            "thread_not_waiting",
            f"thread {thread_id!r} is not waiting for an answer at {where}; send 'input' to give it a new "
            f"task (GET /threads/{thread_id}/state shows what it waits for)",
        )
    if run.input is not None and checkpoint_status(at) == "interrupted":
        assert at is not None and at.interrupt is not None
        raise RequestError(
            409,
            "thread_interrupted",
            f"thread {thread_id!r} waits for a person ({at.interrupt}) at {where}; answer it with "
            f"'resume' instead of 'input' (GET /threads/{thread_id}/state shows what it waits for)",
        )
    if run.task is None and at is None:
        raise RequestError(422, "no_input", "the thread is empty: send an input to start it")


async def _start_checkpoint(
    store: Checkpointer, thread_id: str, checkpoint_id: str | None
) -> Checkpoint | None:
    """The checkpoint the run starts from: ``checkpoint_id`` (404 if not the thread's) or the newest."""
    if checkpoint_id is None:
        return await newest_checkpoint(store, thread_id)
    try:
        snapshot = await store.get(thread_id, checkpoint_id)
    except CheckpointNotFoundError:
        snapshot = None
    except CheckpointCorruptError as exc:
        raise RequestError(409, "checkpoint_corrupt", f"{exc}") from None
    if snapshot is None:
        raise RequestError(
            404,
            "unknown_checkpoint",
            f"thread {thread_id!r} has no checkpoint {checkpoint_id!r}; GET /threads/{thread_id}/history "
            "lists its checkpoints",
        )
    return snapshot.checkpoint


async def newest_checkpoint(store: Checkpointer, thread_id: str) -> Checkpoint | None:
    """The thread's newest checkpoint (one row: the thread is not folded), or None when it has none."""
    async for checkpoint in store.history(thread_id, limit=1):
        return checkpoint
    return None


async def execute(
    agents: Agents, thread_id: str, run: RunRequest, run_id: str | None = None
) -> AsyncGenerator[Event, None]:
    """Run ``run`` on the thread; yield its events (see the module doc). Call :func:`check_run` first."""
    team = agents.build(run.agent)
    if run.interrupt_before is not None or run.interrupt_after is not None:
        team.set_interrupts(run.interrupt_before, run.interrupt_after)
    steps = StepEvents(n.name for n in team.graph.nodes if isinstance(n, AgentNode))
    asks: dict[str, list[dict[str, Any]]] = {}  # each agent's last tool calls: an approval shows them
    task = await addressed_input(team, thread_id, run.task, run.checkpoint_id)
    stream = team.run_stream(task=task, thread_id=thread_id, checkpoint_id=run.checkpoint_id)
    async with aclosing(stream) as items:
        listening = step_listener.set(steps.heard)
        try:  # the first item opens the thread: its durable run takes the listener then
            item = await anext(items)
        finally:
            step_listener.reset(listening)
        try:
            while True:
                if isinstance(item, TaskResult):
                    for event in steps.flush():
                        yield event
                    async for event in _ending(team.checkpointer, thread_id, item, asks, run_id):
                        yield event
                    return
                for event in steps.before(item):
                    yield event
                if isinstance(item, ToolCallRequestEvent):
                    asks[item.source] = [
                        {"id": c.id, "name": c.name, "arguments": c.arguments} for c in item.content
                    ]
                yield ("message" if isinstance(item, BaseChatMessage) else "event"), item.dump()
                for event in steps.after(item):
                    yield event
                item = await anext(items)
        except Exception:
            for event in steps.flush("error"):
                yield event
            raise


async def _ending(
    store: Checkpointer | None,
    thread_id: str,
    result: TaskResult,
    asks: dict[str, list[dict[str, Any]]],
    run_id: str | None,
) -> AsyncIterator[Event]:
    head = await newest_checkpoint(store, thread_id) if store is not None else None
    interrupt = interrupt_json(head)
    if interrupt is not None:
        if interrupt["kind"] == "approval":
            (agent,) = interrupt["nodes"] or [""]
            interrupt["request"] = approval_request(agent, result.stop_reason or "", asks.get(agent))
        yield "interrupt", interrupt
    end = {
        "thread_id": thread_id,
        "status": "interrupted" if interrupt is not None else "success",
        "stop_reason": result.stop_reason,
        "checkpoint_id": head.checkpoint_id if head is not None else None,
    }
    yield "end", end if run_id is None else {"run_id": run_id, **end}


class StepEvents:
    """Turns the durable layer's step notices into ``step`` and ``node`` events, in stream order.

    A notice arrives while the team's stream is being advanced, before the step's chat messages are
    handed over; it is told once they have passed (or as soon as anything else comes). A node's
    start is told when the step before it commits and the run goes on into it, or — a node a router
    chose — with the node's first event.
    """

    __slots__ = ("_agents", "_pending", "_started", "_step")

    def __init__(self, agents: Iterable[str]) -> None:
        self._agents = frozenset(agents)  # the graph's agent nodes (routers are not told)
        self._pending: deque[tuple[StepCommitted, set[int]]] = deque()
        self._started: dict[str, int] = {}
        self._step: int | None = None  # the last committed step, once known

    def heard(self, commit: StepCommitted) -> None:
        self._pending.append((commit, set(commit.handed)))

    def before(self, item: BaseAgentEvent | BaseChatMessage) -> list[Event]:
        """The notices ``item`` does not belong to (their steps are over), and its node's start."""
        told: list[Event] = []
        while self._pending and id(item) not in self._pending[0][1]:
            told.extend(self._tell(self._pending.popleft()[0]))
        source = item.source
        if (
            not self._pending
            and self._step is not None
            and source in self._agents
            and source not in self._started
        ):
            told.append(self._start(source, self._step + 1))
        return told

    def after(self, item: BaseAgentEvent | BaseChatMessage) -> list[Event]:
        if not self._pending:
            return []
        commit, waiting = self._pending[0]
        waiting.discard(id(item))
        if waiting:
            return []
        self._pending.popleft()
        return self._tell(commit)

    def told(self, commit: StepCommitted) -> list[Event]:
        """A step notice that comes after its step's messages (a pool run's): told at once."""
        return [*self.flush_pending(), *self._tell(commit)]

    def flush_pending(self) -> list[Event]:
        told: list[Event] = []
        while self._pending:
            told.extend(self._tell(self._pending.popleft()[0]))
        return told

    def flush(self, status: Literal["end", "error"] = "end") -> list[Event]:
        """Every notice not told yet; then the nodes still going are over (``status``): the run stopped."""
        told = self.flush_pending()
        for node, step in self._started.items():
            told.append(("node", {"step": step, "node": node, "status": status}))
        self._started.clear()
        return told

    def _tell(self, commit: StepCommitted) -> list[Event]:
        told: list[Event] = []
        self._step = commit.step
        if commit.ran:
            for node in dict.fromkeys([*self._started, *commit.ran]):
                told.append(("node", {"step": commit.step, "node": node, "status": "end"}))
            self._started.clear()
            told.append(("step", {
                "step": commit.step, "nodes": list(commit.ran), "next": list(commit.frontier),
                "checkpoint_id": commit.checkpoint_id,
            }))  # fmt: skip
        if not commit.blocked:
            told.extend(self._start(n, commit.step + 1) for n in commit.frontier if n in self._agents)
        return told

    def _start(self, node: str, step: int) -> Event:
        self._started[node] = step
        return "node", {"step": step, "node": node, "status": "start"}
