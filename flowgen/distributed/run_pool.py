"""RunPool: many team runs spread over worker actors on a Ray cluster, each saved in a shared store.

The pool (the driver, this object) owns its worker actors (``RunWorker``, one or more per node, or
a given number spread over the cluster) and a queue of runs. At most ``max_in_flight`` runs are in
flight per worker; the rest wait in the queue (and ``submit`` waits once ``max_queued`` are queued).
Every run saves each step in the shared checkpoint store (SQLite on a shared path on one machine,
Postgres for a cluster). When a worker's process or its whole node is lost mid-run, Ray fails the
call (``RayActorError``); the pool takes the worker out of rotation until it answers a probe again
(Ray recreates a lost process; a worker pinned to a lost node is given up), and hands the run to
another worker, which
continues the thread from its last checkpoint: no committed step is lost or run twice. A run is
tried at most ``max_attempts`` times, then fails with RunLostError (its thread stays resumable).
``stream`` follows one run live: each message once its step is stored, every saved message shown
once even when the run moves to another worker (see :mod:`flowgen.distributed.run_stream`).
See docs/distributed.md.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import itertools
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import ActorDiedError, RayActorError, RayError, RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from flowgen.checkpoint.protocol import Checkpointer
from flowgen.distributed.run_order import RunBatch, RunOrder, RunReport, RunResult
from flowgen.distributed.run_stream import RunStream, RunWatch
from flowgen.distributed.run_worker import RunWorker, StoreSource, TeamSource, open_store
from flowgen.distributed.wire import ExceptionTypes
from flowgen.errors import ConfigurationError, RunLostError
from flowgen.messages import BaseChatMessage, MessageFactory

logger = logging.getLogger(__name__)

Task = str | BaseChatMessage | Sequence[BaseChatMessage] | None
DEFAULT_TEAM = "default"


@dataclass(eq=False)
class _Worker:
    name: str
    handle: Any
    node: str = ""
    in_flight: int = 0
    up: bool = True
    lost: bool = False  # Ray will not bring it back (restarts used up): out of the pool for good
    probing: asyncio.Task[None] | None = None


@dataclass(eq=False)
class _Run:
    order: RunOrder
    future: asyncio.Future[RunResult]
    workers: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)
    watch: RunWatch | None = None  # a streamed run: what it has shown
    frames: Any = None  # a streamed run's Ray call in flight (its ObjectRefGenerator)
    cancelled: bool = False


class RunPool:
    """Team runs spread over Ray worker actors, each checkpointed in a shared store.

    Args:
        team: the team every run uses (a factory, or a component config), or several by name
            (``submit(..., team=name)``).
        store: the shared checkpoint store: a SQLite path (one machine; made absolute here), a
            ``postgresql://`` URL (each worker's connection pool holds ``max_in_flight + 2``: a
            running thread keeps one for its lease), or a function making a Checkpointer (called in
            each worker; give a Postgres store enough connections for ``max_in_flight`` runs).
        address: the cluster (``"auto"``, ``"127.0.0.1:6379"``), or None to start a local Ray. If
            Ray is already initialised in this process, it is used as is and left running.
        workers: how many worker actors, spread over the cluster's nodes; when None,
            ``workers_per_node`` actors on every live node.
        max_in_flight: runs in flight per worker at most; the rest wait in the pool's queue.
        max_queued: runs waiting at most before ``submit`` waits for room (None: unbounded).
        max_attempts: workers a run may be given before it fails with RunLostError.
        max_restarts: how often Ray recreates a lost worker actor (-1: always).
        probe_timeout: seconds a lost worker has to answer a probe again before it is given up.
        num_cpus: the Ray CPUs each worker reserves.
    """

    def __init__(
        self,
        team: TeamSource | Mapping[str, TeamSource],
        *,
        store: StoreSource,
        address: str | None = None,
        workers: int | None = None,
        workers_per_node: int = 1,
        max_in_flight: int = 8,
        max_queued: int | None = None,
        max_attempts: int = 3,
        max_restarts: int = -1,
        probe_timeout: float = 60.0,
        num_cpus: float = 0.0,
        name: str | None = None,
    ) -> None:
        if workers is not None and workers < 1:
            raise ConfigurationError(f"RunPool needs at least one worker, got workers={workers}")
        if workers_per_node < 1 or max_in_flight < 1 or max_attempts < 1:
            raise ConfigurationError("workers_per_node, max_in_flight and max_attempts must each be >= 1")
        if max_queued is not None and max_queued < 1:
            raise ConfigurationError("max_queued must be >= 1, or None for an unbounded queue")
        teams = dict(team) if isinstance(team, Mapping) and "provider" not in team else {DEFAULT_TEAM: team}
        if not teams:
            raise ConfigurationError("RunPool needs a team: a factory, a component config, or some by name")
        self._teams: dict[str, TeamSource] = teams  # type: ignore[assignment]
        self._store_source = (
            os.path.abspath(store) if isinstance(store, str) and "://" not in store else store
        )
        self._address = address
        self._count, self._per_node = workers, workers_per_node
        self._max_in_flight, self._max_queued, self._max_attempts = max_in_flight, max_queued, max_attempts
        self._max_restarts, self._probe_timeout, self._num_cpus = max_restarts, probe_timeout, num_cpus
        self.name = name or uuid.uuid4().hex[:8]
        self._workers: list[_Worker] = []
        self._queue: collections.deque[_Run] = collections.deque()
        self._changed: asyncio.Condition | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unreported: set[asyncio.Future[RunResult]] = set()
        self._live: set[asyncio.Future[RunResult]] = set()  # every run not finished yet
        self._finished = 0
        self._closing = False
        self._store: Checkpointer | None = None
        self._exceptions = ExceptionTypes()
        self._owns_ray = False
        self._dispatcher: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Connect to the cluster and create the worker actors (waits until each answers)."""
        if self._dispatcher is not None:
            raise RuntimeError("the run pool is already started")
        if not ray.is_initialized():
            ray.init(address=self._address, logging_level=logging.WARNING)
            self._owns_ray = True
        self._changed = asyncio.Condition()
        self._store = open_store(self._store_source)
        try:
            await self._make_workers()
        except BaseException:
            await self.close()  # the workers made so far end with the failed start
            raise
        self._dispatcher = asyncio.create_task(self._dispatch())

    async def _make_workers(self) -> None:
        actor = ray.remote(RunWorker)
        for index, strategy in enumerate(self._placements()):
            name = f"flowgen.pool.{self.name}.{index}"
            handle = actor.options(  # type: ignore[attr-defined]
                name=name, num_cpus=self._num_cpus, max_restarts=self._max_restarts, max_task_retries=0,
                scheduling_strategy=strategy, max_concurrency=max(1000, self._max_in_flight * 2),
            ).remote(self._teams, self._store_source, name, self._max_in_flight)  # fmt: skip
            self._workers.append(_Worker(name, handle))
        answers = await asyncio.gather(*(w.handle.ping.remote() for w in self._workers))
        for worker, answer in zip(self._workers, answers, strict=True):
            worker.node = answer["node"]

    def _placements(self) -> list[Any]:
        if self._count is not None:
            return ["SPREAD"] * self._count
        nodes = sorted(n["NodeID"] for n in ray.nodes() if n["Alive"])  # type: ignore[no-untyped-call]
        # Pinned: a worker lost with its node is not recreated elsewhere; its runs move to the others.
        return [
            NodeAffinitySchedulingStrategy(node, soft=False) for node in nodes for _ in range(self._per_node)
        ]

    async def __aenter__(self) -> RunPool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop: queued and running runs are cancelled; the pool's worker actors are ended."""
        self._closing = True
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()  # a submit waiting for room in the queue gives up
        tasks = [t for t in (self._dispatcher, *self._tasks, *(w.probing for w in self._workers)) if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._dispatcher = None
        for future in list(self._live):  # queued, running, or waiting for a retry
            future.cancel()
        self._queue.clear()
        for worker in self._workers:
            with contextlib.suppress(RayError):
                ray.kill(worker.handle, no_restart=True)
        self._workers.clear()
        if self._store is not None:
            await self._store.aclose()
            self._store = None
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False

    @property
    def workers(self) -> list[str]:
        """The names of the worker actors serving runs now."""
        return [w.name for w in self._workers if w.up and not w.lost]

    def load(self) -> dict[str, Any]:
        """Runs waiting in the queue, runs in flight per worker, and runs finished so far."""
        return {
            "queued": len(self._queue),
            "in_flight": {w.name: w.in_flight for w in self._workers},
            "finished": self._finished,
        }

    def add_exception_type(self, cls: type[BaseException]) -> None:
        """Let exceptions of ``cls`` raised by a run come back as themselves (not RemoteAgentError)."""
        self._exceptions.add(cls)

    # ---------------------------------------------------------------- submitting

    async def submit(
        self, task: Task = None, *, thread_id: str | None = None, team: str = DEFAULT_TEAM
    ) -> asyncio.Future[RunResult]:
        """Queue one run of ``team`` on ``thread_id`` (a new thread when None); its future result.

        Waits while the queue holds ``max_queued`` runs. Without a task the run continues the thread.
        """
        return await self._submit(task, thread_id, team, None)

    def stream(
        self,
        task: Task = None,
        *,
        thread_id: str | None = None,
        team: str = DEFAULT_TEAM,
        steps: bool = False,
        factory: MessageFactory | None = None,
    ) -> RunStream:
        """One run, streamed: what ``team.run_stream`` yields, as the worker stores each step.

        Queued like :meth:`submit` (when iteration starts). Each message and event comes once the
        checkpoint of its step is stored, so a run that loses its worker and continues on another
        still shows every saved message exactly once; streamed model chunks come at once, best
        effort. ``steps=True`` adds a StepNotice after each stored step's messages; give the team's
        ``factory`` when it has custom message types. ``stream.result`` is the RunResult at the end.
        """
        return RunStream(
            lambda watch: self._submit(task, thread_id, team, watch), factory=factory, steps=steps
        )

    async def _submit(
        self, task: Task, thread_id: str | None, team: str, watch: RunWatch | None
    ) -> asyncio.Future[RunResult]:
        if team not in self._teams:
            raise ConfigurationError(f"the run pool has no team named {team!r}; it has {sorted(self._teams)}")
        if thread_id is not None and not (isinstance(thread_id, str) and thread_id):
            raise ConfigurationError(
                f"thread_id must be a non-empty string (or None for a new thread), not {thread_id!r}"
            )
        changed = self._running()
        thread = thread_id or uuid.uuid4().hex
        assert self._store is not None
        # A new thread has no head; an existing one's tells a retry what its lost attempt committed.
        head = None if thread_id is None else await self._store.head(thread)
        order = RunOrder(thread_id=thread, team=team, task=_dump_task(task), start_head=head)
        future: asyncio.Future[RunResult] = asyncio.get_running_loop().create_future()
        async with changed:
            if self._max_queued is not None:
                await changed.wait_for(lambda: self._closing or len(self._queue) < (self._max_queued or 0))
            if self._closing:
                raise RuntimeError("the run pool closed while this run waited for room in its queue")
            run = _Run(order, future, watch=watch)
            self._queue.append(run)
            changed.notify_all()
        if watch is not None:
            watch.on_cancel = functools.partial(self._cancel, run)
        self._check_workers_left()  # with every worker gone for good, the run fails now
        if watch is None:  # a streamed run's result goes to its stream, not to results()
            self._unreported.add(future)
        self._live.add(future)
        future.add_done_callback(self._live.discard)
        return future

    async def run(
        self, task: Task = None, *, thread_id: str | None = None, team: str = DEFAULT_TEAM
    ) -> RunResult:
        """Run one task on the pool and return its result."""
        return await (await self.submit(task, thread_id=thread_id, team=team))

    async def map(
        self, tasks: Iterable[Task], *, thread_ids: Iterable[str] | None = None, team: str = DEFAULT_TEAM
    ) -> list[RunResult]:
        """Run every task (on the matching thread id, or a new thread each); results in task order."""
        ids: Iterable[str | None] = thread_ids if thread_ids is not None else itertools.repeat(None)
        futures = [await self.submit(t, thread_id=i, team=team) for t, i in zip(tasks, ids, strict=False)]
        return list(await asyncio.gather(*futures))

    async def results(self) -> AsyncIterator[RunResult]:
        """The results of the runs submitted so far (and while iterating), in the order they finish.

        Each is given once; a failed run raises its error here. A streamed run's result goes to its
        stream instead.
        """
        while self._unreported:
            done, _ = await asyncio.wait(set(self._unreported), return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                self._unreported.discard(future)
                yield future.result()

    def _running(self) -> asyncio.Condition:
        if self._changed is None or self._dispatcher is None:
            raise RuntimeError("the run pool is not started: use `async with RunPool(...)` or await start()")
        return self._changed

    # ---------------------------------------------------------------- dispatching

    def _ready_worker(self) -> _Worker | None:
        ready = [w for w in self._workers if w.up and not w.lost and w.in_flight < self._max_in_flight]
        return min(ready, key=lambda w: w.in_flight) if ready else None

    async def _dispatch(self) -> None:
        changed = self._running()
        while True:
            async with changed:
                await changed.wait_for(lambda: bool(self._queue) and self._ready_worker() is not None)
                run, worker = self._queue.popleft(), self._ready_worker()
                assert worker is not None
                worker.in_flight += 1
                changed.notify_all()  # room in the queue for a waiting submit
            self._spawn(self._attempt(run, worker))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _attempt(self, run: _Run, worker: _Worker) -> None:
        run.workers.append(worker.name)
        run.nodes.append(worker.node)
        try:
            await self._try_on(run, worker)
        except Exception as exc:  # a defect here must fail the run, never leave its caller waiting
            if not run.future.done():
                run.future.set_exception(exc)

    async def _try_on(self, run: _Run, worker: _Worker) -> None:
        try:
            if run.watch is None:
                report = RunReport.model_validate_json(
                    await worker.handle.run.remote(run.order.model_dump_json())
                )
            else:
                report = await self._follow(run, run.watch, worker)
        except RayError as exc:
            await self._ray_failed(run, worker, exc)
            return
        finally:
            run.frames = None
            await self._release(worker)
        if run.watch is not None and report.failure is not None:
            await self._fill(run, run.watch)  # a failed run's stored steps whose items it still held
        elif run.watch is not None and run.order.attempt > 1:
            run.watch.fill(report.messages)  # anything a lost attempt stored but never sent
        self._settle(run, report)

    async def _ray_failed(self, run: _Run, worker: _Worker, exc: RayError) -> None:
        if run.cancelled:  # the run's own cancellation, not a failure
            run.future.cancel()
        elif isinstance(exc, RayActorError):
            await self._lost(run, worker, exc)
        elif isinstance(exc, RayTaskError):  # the worker's own code failed outside the run: not retried
            if not run.future.done():
                run.future.set_exception(
                    RuntimeError(
                        f"worker {worker.name} failed the run of thread {run.order.thread_id!r}: {exc}"
                    )
                )
        else:  # the order or its answer was lost on the way; not a run failure
            await self._retry(run, f"{worker.name}: {type(exc).__name__}: {exc}")

    def _cancel(self, run: _Run) -> None:
        """Stop a streamed run: taken out of the queue, or cancelled on its worker (the step in flight
        is undone there; the committed steps stay in the store)."""
        if run.cancelled or run.future.done():
            return
        run.cancelled = True
        if run in self._queue:
            self._queue.remove(run)
            run.future.cancel()
        elif run.frames is not None:
            ray.cancel(run.frames)
        # else: between attempts; _retry sees the mark and ends it

    async def _follow(self, run: _Run, watch: RunWatch, worker: _Worker) -> RunReport:
        """A streamed attempt: show each frame as it arrives (JSON, validated); the report at the end."""
        frames = run.frames = worker.handle.stream.options(num_returns="streaming").remote(
            run.order.model_dump_json()
        )
        if run.cancelled:  # cancelled while the call was being made
            ray.cancel(frames)
        async for ref in frames:
            for frame in RunBatch.model_validate_json(await ref).frames:
                if frame.report is not None:
                    return frame.report
                watch.show(frame)
        raise RuntimeError(
            f"worker {worker.name} ended the stream of thread {run.order.thread_id!r} without a report"
        )

    async def _release(self, worker: _Worker) -> None:
        changed = self._running()
        async with changed:
            worker.in_flight -= 1
            changed.notify_all()

    def _settle(self, run: _Run, report: RunReport) -> None:
        if run.future.done():
            return
        failure = report.failure
        if failure is not None:
            if failure.type.endswith(".ThreadBusyError") and run.order.attempt > 1:
                # A retried run found the lost attempt's lease still held (its process not yet gone).
                self._spawn(self._retry(run, f"{report.worker}: {failure.message}", delay=0.5))
                return
            error = self._exceptions.rebuild(failure.model_dump(), f"run of thread {run.order.thread_id}")  # type: ignore[arg-type]
            run.future.set_exception(error)
            return
        self._finished += 1
        run.future.set_result(
            RunResult(
                thread_id=report.thread_id,
                messages=report.messages,
                stop_reason=report.stop_reason,
                checkpoint_id=report.checkpoint_id,
                attempts=run.order.attempt,
                resumed=report.resumed,
                workers=run.workers,
                nodes=run.nodes,
            )
        )

    async def _lost(self, run: _Run, worker: _Worker, exc: RayActorError) -> None:
        logger.warning(
            "worker %s was lost while running thread %s: %s", worker.name, run.order.thread_id, exc
        )
        changed = self._running()
        async with changed:
            if worker.up and not worker.lost:
                worker.up = False
                worker.probing = asyncio.get_running_loop().create_task(self._probe(worker))
        await self._retry(run, f"{worker.name}: {type(exc).__name__}")

    async def _retry(self, run: _Run, cause: str, delay: float = 0.0) -> None:
        if run.cancelled:
            run.future.cancel()
            return
        run.causes.append(cause)
        if run.order.attempt >= self._max_attempts:
            run.future.set_exception(
                RunLostError(
                    f"the run of thread {run.order.thread_id!r} was lost {run.order.attempt} times "
                    f"({'; '.join(run.causes)}); its committed steps are in the store: submit it again "
                    "without a task to continue it, or raise max_attempts",
                    thread_id=run.order.thread_id,
                    attempts=run.order.attempt,
                )
            )
            return
        run.order = run.order.model_copy(update={"attempt": run.order.attempt + 1})
        if run.watch is not None:
            await self._fill(run, run.watch)
        if delay:
            await asyncio.sleep(delay * run.order.attempt)  # a back-off while the lost attempt's lease lapses
        changed = self._running()
        async with changed:
            self._queue.appendleft(run)  # a resumed run goes before runs not started yet
            changed.notify_all()
        self._check_workers_left()

    async def _fill(self, run: _Run, watch: RunWatch) -> None:
        """Show what the lost attempt stored but never sent, before the run goes on elsewhere."""
        assert self._store is not None
        snapshot = await self._store.get(run.order.thread_id)
        if snapshot is None:
            return
        before = 0
        if run.order.start_head is not None:
            started = await self._store.get(run.order.thread_id, run.order.start_head)
            before = len(started.messages) if started is not None else 0
        watch.fill(snapshot.messages[before:])

    async def _probe(self, worker: _Worker) -> None:
        """Wait until Ray has recreated ``worker`` (it answers a ping), or give it up after the timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._probe_timeout
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(deadline):
                while True:
                    try:
                        worker.node = (await worker.handle.ping.remote())["node"]
                        worker.up = True
                        break
                    except ActorDiedError:
                        break  # Ray will not recreate it (restarts used up, or its node is gone)
                    except RayError:
                        # Restarting: Ray refuses calls until the new process is up, and tells no event.
                        await asyncio.sleep(0.2)
        changed = self._running()
        async with changed:
            worker.lost = not worker.up
            changed.notify_all()
        if worker.lost:
            logger.warning("worker %s did not come back; the pool goes on without it", worker.name)
            self._check_workers_left()

    def _check_workers_left(self) -> None:
        """Fail the queued runs when every worker is gone for good (nothing could ever run them)."""
        if any(not w.lost for w in self._workers):
            return
        while self._queue:
            run = self._queue.popleft()
            if not run.future.done():
                run.future.set_exception(
                    RunLostError(
                        f"no worker of the run pool is left to run thread {run.order.thread_id!r} "
                        f"({'; '.join(run.causes) or 'all lost'}); start a new pool to continue it",
                        thread_id=run.order.thread_id,
                        attempts=run.order.attempt,
                    )
                )


def _dump_task(task: Task) -> str | list[dict[str, Any]] | None:
    if task is None or isinstance(task, str):
        return task
    messages = [task] if isinstance(task, BaseChatMessage) else list(task)
    return [m.dump() for m in messages]
