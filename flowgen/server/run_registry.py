"""The server's runs: each one a task the registry owns, with its status and its numbered event log.

- A run is a task in the registry's task group, opened by the app's lifespan (:meth:`RunRegistry.open`);
  nothing outlives it.
- One run per thread at a time: another is refused (409, ``multitask_strategy="reject"``) or waits for
  the thread's current run (``"enqueue"``, status ``pending`` meanwhile). At most
  ``max_concurrent_runs`` run at once; the rest wait, pending. ``run_timeout_seconds`` bounds a run.
- Cancelling a run cancels its task. A step is a transaction, so a cancelled step is undone and the
  thread keeps every committed step: a later run without input continues it.
- Stopping (SIGTERM): new runs are refused (503), pending ones cancelled, running ones stop at their
  next step boundary (a committed step's message or ``step`` event); whatever still runs after
  ``shutdown_grace_seconds`` is cancelled.
- A finished run and its log are kept for ``run_retention_seconds``, at most ``max_retained_runs``.

The registry runs an *executor*: given a thread and the request, an async generator of ``(kind, data)``
pairs, ``end`` last (its data: ``stop_reason``, ``checkpoint_id``, optionally ``status``). The registry
adds ``metadata`` first, numbers the events and writes the run's own ``end`` (or ``error``).

Example:
    >>> import asyncio
    >>> from flowgen.checkpoint import MemoryCheckpointer
    >>> async def execute(thread_id: str, request: RunRequest):
    ...     yield "message", {"content": request.input}
    ...     yield "end", {"stop_reason": "said it", "checkpoint_id": None}
    >>> async def main() -> tuple[str, list[str]]:
    ...     settings = ServerSettings(insecure_no_auth=True, _env_file=None)
    ...     registry = RunRegistry(execute, settings, MemoryCheckpointer())
    ...     async with registry.open():
    ...         run = registry.start("t1", RunRequest(agent="echo", input="hi"))
    ...         await run.ended.wait()
    ...     return run.status, [event.kind async for event in run.log.follow(0, heartbeat=1.0)]
    >>> asyncio.run(main())
    ('success', ['metadata', 'message', 'end'])
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any, Literal

from flowgen.checkpoint.protocol import Checkpointer
from flowgen.errors import ConfigurationError, RequestError
from flowgen.server.run_log import RunLog
from flowgen.server.run_request import RunRequest
from flowgen.server.runs import busy
from flowgen.server.settings import ServerSettings
from flowgen.telemetry.redaction import Redactor

log = logging.getLogger("flowgen.server")

Status = Literal["pending", "running", "success", "interrupted", "error", "cancelled"]
Execute = Callable[[str, RunRequest], AsyncGenerator[tuple[str, dict[str, Any]], None]]

ENDED: frozenset[str] = frozenset({"success", "interrupted", "error", "cancelled"})
_FINAL: dict[str, Status] = {"success": "success", "interrupted": "interrupted"}  # an executor's own end
#: Kinds the executor yields once a step has committed: a run asked to stop may stop after one.
STEP_BOUNDARY = frozenset({"message", "step"})
CANCELLED = "cancelled by request; the thread keeps every committed step: run it without input to continue"
STOPPED = "the server stopped; the thread keeps every committed step: run it without input to continue"


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Run:
    """One run: what it is, where it stands, its log, and the task driving it."""

    __slots__ = (
        "agent", "checkpoint_id", "created_at", "ended", "ended_at", "error", "error_status", "log",
        "messages", "run_id", "status", "stop_reason", "stopping", "task", "thread_id", "updated_at",
    )  # fmt: skip

    def __init__(self, thread_id: str, agent: str) -> None:
        self.run_id = str(uuid.uuid4())
        self.thread_id, self.agent = thread_id, agent
        self.status: Status = "pending"
        self.created_at = self.updated_at = _now()
        self.stop_reason: str | None = None
        self.checkpoint_id: str | None = None
        self.error: dict[str, str] | None = None
        self.error_status = 500
        self.messages: list[dict[str, Any]] = []
        self.log = RunLog()
        self.task: asyncio.Task[None] | None = None
        self.stopping: str | None = None  # why it should stop at its next step boundary
        self.ended = asyncio.Event()
        self.ended_at = 0.0

    @property
    def done(self) -> bool:
        return self.status in ENDED

    def json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "thread_id": self.thread_id, "agent": self.agent,
            "status": self.status, "created_at": self.created_at, "updated_at": self.updated_at,
            "stop_reason": self.stop_reason, "checkpoint_id": self.checkpoint_id, "error": self.error,
        }  # fmt: skip

    def result_json(self) -> dict[str, Any]:
        """The body of ``/runs/wait`` and ``/join``: the run and the messages it produced."""
        return {**self.json(), "messages": self.messages}

    def set_status(self, status: Status) -> None:
        self.status, self.updated_at = status, _now()


class RunRegistry:
    """Every run of the server: start, find, cancel, and stop them all."""

    def __init__(self, execute: Execute, settings: ServerSettings, store: Checkpointer) -> None:
        self._execute, self._settings, self._store = execute, settings, store
        self._runs: dict[str, Run] = {}
        self._latest: dict[str, Run] = {}  # each busy thread's newest unfinished run
        self._finished: deque[Run] = deque()
        self._slots = asyncio.Semaphore(settings.max_concurrent_runs)
        self._group: asyncio.TaskGroup | None = None
        self._stopping = False
        self._deadline = 0.0  # when the runs still going after a stop are cancelled (loop time)

    # ----------------------------------------------------------------- lifetime

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[RunRegistry]:
        """Own the runs' task group while the app serves; on the way out, stop every run."""
        async with asyncio.TaskGroup() as group:
            self._group = group
            try:
                yield self
            finally:
                self.stop()
                await self._wait_out()
                self._group = None

    def stop(self) -> None:
        """Refuse new runs, cancel pending ones, ask running ones to stop after their current step;
        cancel what still runs after the grace period. Safe to call more than once."""
        if self._stopping:
            return
        self._stopping = True
        self._deadline = asyncio.get_running_loop().time() + self._settings.shutdown_grace_seconds
        log.info("stopping: %d runs in progress", sum(not r.done for r in self._runs.values()))
        for run in list(self._runs.values()):
            if run.status == "pending" and run.task is not None:
                run.task.cancel()
            elif run.status == "running":
                run.stopping = STOPPED
        if self._group is not None:
            self._group.create_task(self._wait_out())

    async def _wait_out(self) -> None:
        """Wait for the running runs up to the grace period, then cancel the rest."""
        unfinished = [r for r in self._runs.values() if not r.done]
        try:
            async with asyncio.timeout_at(self._deadline):
                for run in unfinished:
                    await run.ended.wait()
        except TimeoutError:
            for run in unfinished:
                if not run.done and run.task is not None:
                    log.warning("run %s did not stop within the grace period; cancelling it", run.run_id)
                    run.task.cancel()

    @property
    def stopping(self) -> bool:
        return self._stopping

    # ----------------------------------------------------------------- runs

    def is_busy(self, thread_id: str) -> bool:
        return thread_id in self._latest

    def start(self, thread_id: str, request: RunRequest) -> Run:
        """A new run on the thread, pending until the thread and a slot are free; 409 / 503 when refused."""
        if self._stopping:
            raise RequestError(
                503,
                "shutting_down",
                "the server is stopping and takes no new runs; send it again once it is back",
            )
        if self._group is None:
            raise ConfigurationError(
                "the server's runs are not open: serve the app with an ASGI server that runs its lifespan"
            )
        self._prune()
        before = self._latest.get(thread_id)
        if before is not None and request.multitask_strategy == "reject":
            raise busy(thread_id)
        run = Run(thread_id, request.agent)
        run.log.append("metadata", {"run_id": run.run_id, "thread_id": thread_id, "agent": run.agent})
        self._runs[run.run_id] = run
        self._latest[thread_id] = run
        run.task = self._group.create_task(self._drive(run, request, before))
        # Also when the task is cancelled before it starts (its body never runs, nor its except clauses).
        run.task.add_done_callback(lambda _: self._close(run))
        return run

    def get(self, thread_id: str, run_id: str) -> Run:
        self._prune()
        run = self._runs.get(run_id)
        if run is None or run.thread_id != thread_id:
            raise RequestError(
                404,
                "unknown_run",
                f"no run {run_id!r} on thread {thread_id!r} (finished runs are kept "
                f"{self._settings.run_retention_seconds:g} s); list them with GET /threads/{thread_id}/runs",
            )
        return run

    def of_thread(self, thread_id: str) -> list[Run]:
        """The thread's runs the server still keeps, newest first."""
        self._prune()
        return [r for r in reversed(self._runs.values()) if r.thread_id == thread_id]

    def cancel(self, run: Run) -> None:
        if not run.done and run.task is not None:
            run.task.cancel()

    # ----------------------------------------------------------------- driving one run

    async def _drive(self, run: Run, request: RunRequest, before: Run | None) -> None:
        limit = self._settings.run_timeout_seconds
        timeout: asyncio.Timeout | None = None
        try:
            if before is not None:
                await before.ended.wait()
            async with self._slots:
                run.set_status("running")
                timeout = asyncio.timeout(limit)
                async with timeout:
                    await self._consume(run, request)
        except asyncio.CancelledError:
            await self._end_cancelled(run, STOPPED if self._stopping else CANCELLED)
            raise
        except TimeoutError as exc:
            if timeout is None or not timeout.expired():
                self._fail(run, exc)
            else:
                self._end_error(run, 504, "run_timeout", f"the run took longer than {limit:g} s "
                                f"(run_timeout_seconds) and was stopped; the thread keeps every committed step: "
                                "run it without input to continue")  # fmt: skip
        except RequestError as exc:
            self._end_error(run, exc.status, exc.code, str(exc))
        except Exception as exc:  # the run's own failure, reported to its callers
            self._fail(run, exc)

    async def _consume(self, run: Run, request: RunRequest) -> None:
        end: dict[str, Any] | None = None
        interrupted = False
        async with aclosing(self._execute(run.thread_id, request)) as items:
            async for kind, data in items:
                if kind == "end":
                    end = data
                    continue
                run.log.append(kind, data)
                if kind == "message":
                    run.messages.append(data)
                interrupted = interrupted or kind == "interrupt"
                if run.stopping is not None and kind in STEP_BOUNDARY:
                    break
        if end is None:  # stopped at a step boundary
            await self._end_cancelled(run, run.stopping or CANCELLED)
            return
        default: Status = "interrupted" if interrupted else "success"
        status = _FINAL.get(str(end.get("status")), default)
        self._end(run, status, end.get("stop_reason"), end.get("checkpoint_id"))

    def _end(self, run: Run, status: Status, stop_reason: str | None, checkpoint_id: str | None) -> None:
        run.stop_reason, run.checkpoint_id = stop_reason, checkpoint_id
        run.set_status(status)
        run.log.append("end", {"run_id": run.run_id, "thread_id": run.thread_id, "status": status,
                               "stop_reason": stop_reason, "checkpoint_id": checkpoint_id})  # fmt: skip

    async def _end_cancelled(self, run: Run, why: str) -> None:
        try:
            head = await self._store.head(run.thread_id)
        except Exception:  # the end is still recorded; the thread's own state says where it stands
            head = None
        self._end(run, "cancelled", why, head)

    def _end_error(self, run: Run, status: int, code: str, message: str) -> None:
        run.error, run.error_status = {"code": code, "message": message}, status
        run.set_status("error")
        run.log.append("error", run.error)

    def _fail(self, run: Run, exc: BaseException) -> None:
        # An SDK may quote a key in its error text: secrets never reach a response.
        said = Redactor().redact(str(exc))
        self._end_error(run, 500, "run_failed", f"the run failed: {type(exc).__name__}: {said}; the thread "
                        "keeps every step before the failure, so fix the cause and run it again without input "
                        f"to continue (POST /threads/{run.thread_id}/runs/wait)")  # fmt: skip

    def _close(self, run: Run) -> None:
        """Once its task is over: the run's end recorded (if its task could not), the thread freed."""
        if run.ended.is_set():
            return
        if not run.done:  # cancelled before it started, or again while recording its end
            self._end(run, "cancelled", STOPPED if self._stopping else CANCELLED, None)
        run.log.close()
        if self._latest.get(run.thread_id) is run:
            del self._latest[run.thread_id]
        run.ended_at = time.monotonic()
        self._finished.append(run)
        run.ended.set()
        self._prune()

    def _prune(self) -> None:
        """Forget finished runs past the retention time or count (the oldest first)."""
        horizon = time.monotonic() - self._settings.run_retention_seconds
        keep = self._settings.max_retained_runs
        while self._finished and (len(self._finished) > keep or self._finished[0].ended_at < horizon):
            self._runs.pop(self._finished.popleft().run_id, None)
