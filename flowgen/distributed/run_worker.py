"""RunWorker: the body of one Ray actor that runs team runs for a RunPool, checkpointed in a shared store.

A worker runs several orders at once (the pool bounds how many). Each run builds a fresh team from
the pool's factory or component config (as a server does: a team's model clients may keep state of
their own between runs, a replay client its position) and saves every step in the shared store. An
order marked as a retry first asks the store what the lost attempt committed: nothing (run the task
again), an unfinished run (continue the thread from its last checkpoint), or a finished one (report
it from the store without running anything).

A streamed order (:meth:`RunWorker.stream`, a Ray streaming generator) sends the run's messages and
events as :class:`~flowgen.distributed.run_order.RunFrame` texts, each once its step is stored
(:class:`~flowgen.distributed.step_gate.StepGate`), then the report.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from typing import Any

import ray

from flowgen.base import TaskResult, Team
from flowgen.checkpoint.protocol import Checkpointer
from flowgen.distributed.run_order import RunBatch, RunFailure, RunFrame, RunOrder, RunReport
from flowgen.distributed.step_gate import StepGate
from flowgen.distributed.wire import dotted_name
from flowgen.engine.durable import step_listener
from flowgen.errors import ConfigurationError
from flowgen.messages import BaseChatMessage, MessageFactory

# A team factory (code the application gives its own cluster) or a component config (data).
TeamSource = Callable[[], Team] | Mapping[str, Any]
# A SQLite path or a postgresql:// URL, or a function making the store.
StoreSource = str | Callable[[], Checkpointer]


def open_store(source: StoreSource, runs: int = 8) -> Checkpointer:
    """The checkpoint store ``source`` names, for ``runs`` runs at once (it connects on first use)."""
    if callable(source):
        return source()
    if source.startswith(("postgresql://", "postgres://")):
        from flowgen.checkpoint.postgres import PostgresCheckpointer

        # A running thread holds a pooled connection (its lease) for the whole run; reads need one more.
        return PostgresCheckpointer(source, max_size=runs + 2)
    from flowgen.checkpoint.sqlite import SqliteCheckpointer

    return SqliteCheckpointer(source)


def build_team(name: str, source: TeamSource) -> Team:
    if callable(source):
        team = source()
    else:
        from flowgen.core.component_config import load_component

        team = load_component(source, Team)  # type: ignore[type-abstract]
    if not hasattr(team, "checkpointer"):
        raise ConfigurationError(
            f"team {name!r} of the run pool is a {type(team).__name__}, which cannot save its runs; "
            "give a flowgen team (a group chat or GraphFlow)"
        )
    return team


class RunWorker:
    """Runs the orders a RunPool hands it, each saved step by step in the shared store."""

    def __init__(
        self,
        teams: Mapping[str, TeamSource],
        store: StoreSource,
        name: str,
        runs: int = 8,
        node: str | None = None,
    ) -> None:
        self._sources = dict(teams)
        self._store = open_store(store, runs)
        self._name = name
        # The Ray node it runs on; ``node`` names it for a worker made outside an actor (tests).
        self._node = node or ray.get_runtime_context().get_node_id()

    async def ping(self) -> dict[str, Any]:
        """Where this worker runs (the pool's liveness probe), and the CPU its process has used (s)."""
        return {"worker": self._name, "node": self._node, "pid": os.getpid(), "cpu_s": time.process_time()}

    async def run(self, order_json: str) -> str:
        """Run one order; the RunReport as JSON text (a failure of the run is reported, not raised)."""
        order = RunOrder.model_validate_json(order_json)
        try:
            report = await self._run(order)
        except Exception as exc:
            report = RunReport(
                thread_id=order.thread_id,
                failure=RunFailure(type=dotted_name(type(exc)), message=str(exc), node=self._node),
            )
        report.worker, report.node = self._name, self._node
        return report.model_dump_json()

    async def stream(self, order_json: str) -> AsyncGenerator[str, None]:
        """Run one order, sending a RunBatch text whenever stored steps release frames; the last
        frame carries the report."""
        order = RunOrder.model_validate_json(order_json)
        try:
            async with aclosing(self._stream(order)) as batches:
                async for frames in batches:
                    report = frames[-1].report
                    if report is not None:
                        report.worker, report.node = self._name, self._node
                    yield RunBatch(frames=frames).model_dump_json()
        except Exception as exc:
            failure = RunFailure(type=dotted_name(type(exc)), message=str(exc), node=self._node)
            report = RunReport(thread_id=order.thread_id, failure=failure, worker=self._name, node=self._node)
            yield RunBatch(frames=[RunFrame(report=report)]).model_dump_json()

    async def _stream(self, order: RunOrder) -> AsyncGenerator[list[RunFrame], None]:
        task: Any = None
        if order.attempt > 1:
            head = await self._store.head(order.thread_id)
            if head != order.start_head:
                snapshot = await self._store.get(order.thread_id, head)
                if snapshot is not None and snapshot.checkpoint.stop_reason is not None:
                    yield [RunFrame(report=await self._stored_run(order, resumed=True))]  # finished
                    return
                order = order.model_copy(update={"task": None})  # the task is in the thread: go on
        team = self._team(order.team)
        if order.task is not None:
            task = _task(order.task, getattr(team, "_message_factory", None) or MessageFactory())
        gate = StepGate()
        stream = team.run_stream(task=task, thread_id=order.thread_id)  # type: ignore[call-arg]
        async with aclosing(stream) as items:
            listening = step_listener.set(gate.heard)
            try:  # the first item opens the thread: its durable run takes the listener then
                item = await anext(items)
            finally:
                step_listener.reset(listening)
            while not isinstance(item, TaskResult):
                frames = gate.take(item)
                if frames:
                    yield frames
                item = await anext(items)
        yield [*gate.flush(), RunFrame(report=await self._streamed_report(order, item))]

    async def _streamed_report(self, order: RunOrder, result: TaskResult) -> RunReport:
        if order.task is not None:
            return RunReport(
                thread_id=order.thread_id,
                messages=[m.dump() for m in result.messages],
                stop_reason=result.stop_reason,
                checkpoint_id=await self._store.head(order.thread_id),
            )
        # A continued run: the whole run since the order's start, read back from the store.
        return await self._stored_run(order, resumed=order.attempt > 1)

    async def _run(self, order: RunOrder) -> RunReport:
        if order.attempt > 1:
            head = await self._store.head(order.thread_id)
            if head != order.start_head:
                return await self._resume(order, head)
        team = self._team(order.team)
        task = _task(order.task, getattr(team, "_message_factory", None) or MessageFactory())
        result = await team.run(task=task, thread_id=order.thread_id)  # type: ignore[call-arg]
        return RunReport(
            thread_id=order.thread_id,
            messages=[m.dump() for m in result.messages],
            stop_reason=result.stop_reason,
            checkpoint_id=await self._store.head(order.thread_id),
        )

    async def _resume(self, order: RunOrder, head: str | None) -> RunReport:
        """The lost attempt committed steps: finish the run from its last checkpoint, or report it."""
        snapshot = await self._store.get(order.thread_id, head)
        assert snapshot is not None  # the head moved, so the thread has a checkpoint
        if snapshot.checkpoint.stop_reason is None:
            team = self._team(order.team)
            await team.run(thread_id=order.thread_id)  # type: ignore[call-arg]
        return await self._stored_run(order, resumed=True)

    async def _stored_run(self, order: RunOrder, resumed: bool) -> RunReport:
        """The run as the store has it: every message since the order's start, and how it stopped."""
        snapshot = await self._store.get(order.thread_id)
        assert snapshot is not None  # the run committed at least one step
        before = 0
        if order.start_head is not None:
            started = await self._store.get(order.thread_id, order.start_head)
            before = len(started.messages) if started is not None else 0
        return RunReport(
            thread_id=order.thread_id,
            messages=snapshot.messages[before:],
            stop_reason=snapshot.checkpoint.stop_reason,
            checkpoint_id=snapshot.checkpoint.checkpoint_id,
            resumed=resumed,
        )

    def _team(self, name: str) -> Team:
        source = self._sources.get(name)
        if source is None:
            raise ConfigurationError(
                f"the run pool has no team named {name!r}; it has {sorted(self._sources)}"
            )
        team = build_team(name, source)
        team.checkpointer = self._store  # type: ignore[attr-defined]
        return team

    async def close(self) -> None:
        await self._store.aclose()


def _task(task: str | list[dict[str, Any]] | None, factory: MessageFactory) -> Any:
    if task is None or isinstance(task, str):
        return task
    messages = [factory.create(m) for m in task]
    for message in messages:
        if not isinstance(message, BaseChatMessage):
            raise ConfigurationError(f"a task is made of chat messages, not {type(message).__name__}")
    return messages
