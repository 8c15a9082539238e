"""Run one program to completion as the owner of its whole process group.

The program starts in a session of its own, so one signal reaches it and every child it made. The
group is killed when the program exits (a background child does not outlive its block), when the
timeout passes, when the output outgrows its budget, when the cancellation token fires, and when the
caller itself is cancelled. What each executor adds (a sandbox, an environment) is in ``argv`` and
``env``; this module only owns the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flowgen.core import CancellationToken

_CHUNK = 65536
#: How long the pipes may stay open after the group was killed: only a process that left the group
#: (``setsid``) can hold them, and it is not waited for.
_DRAIN_GRACE = 1.0


@dataclass(frozen=True, slots=True)
class ProcessRun:
    """How a program ended: its exit code (128 + n when killed by signal n), output and why it stopped.

    ``stopped`` is None when the program exited by itself, else ``"timeout"``, ``"output"`` (the
    output outgrew its budget) or ``"cancelled"``.
    """

    exit_code: int
    stdout: bytes
    stderr: bytes
    stopped: str | None
    signal: int | None = None
    output_held_open: bool = False


@dataclass(slots=True)
class _Stop:
    event: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str | None = None

    def set(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self.event.set()


@dataclass(slots=True)
class _Budget:
    left: int


async def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    time_limit: float,
    max_output_bytes: int,
    cancellation_token: CancellationToken,
) -> ProcessRun:
    """Run ``argv`` and return how it ended; no process of its group is left when this returns.

    A program that cannot be started ends with exit code 127 and says why, as a shell does.
    """
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except (FileNotFoundError, PermissionError) as e:
        return ProcessRun(
            exit_code=127, stdout=b"", stderr=f"cannot run {argv[0]}: {e.strerror}\n".encode(), stopped=None
        )
    stop = _Stop()
    _link_token(cancellation_token, stop)
    budget = _Budget(max_output_bytes)
    stdout, stderr = bytearray(), bytearray()
    try:
        assert proc.stdout is not None and proc.stderr is not None
        async with asyncio.TaskGroup() as tg:
            out = tg.create_task(_collect(proc.stdout, stdout, budget, stop))
            err = tg.create_task(_collect(proc.stderr, stderr, budget, stop))
            await _wait_or_stop(proc, time_limit, stop)
            _kill_group(proc.pid)
            held_open = await _drain(out, err)
    finally:
        _kill_group(proc.pid)
        if proc.returncode is None:
            await proc.wait()
        _close_pipes(proc)
    code = proc.returncode
    assert code is not None
    sig = -code if code < 0 else None
    return ProcessRun(
        exit_code=128 + sig if sig is not None else code,
        stdout=bytes(stdout),
        stderr=bytes(stderr),
        stopped=stop.reason,
        signal=sig,
        output_held_open=held_open,
    )


def _link_token(token: CancellationToken, stop: _Stop) -> None:
    loop = asyncio.get_running_loop()

    def on_cancel() -> None:
        # The token may fire from another thread, and after this run's loop has closed.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(stop.set, "cancelled")

    token.add_callback(on_cancel)


async def _collect(stream: asyncio.StreamReader, kept: bytearray, budget: _Budget, stop: _Stop) -> None:
    while chunk := await stream.read(_CHUNK):
        if budget.left <= 0:
            continue  # keep the pipe flowing until the group is killed
        kept += chunk[: budget.left]
        budget.left -= len(chunk)
        if budget.left <= 0:
            stop.set("output")


async def _wait_or_stop(proc: asyncio.subprocess.Process, time_limit: float, stop: _Stop) -> None:
    async with asyncio.TaskGroup() as tg:
        exited = tg.create_task(_exited(proc))
        stopped = tg.create_task(stop.event.wait())
        done, _ = await asyncio.wait(
            {exited, stopped}, timeout=time_limit, return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            stop.set("timeout")
        if not exited.done():
            _kill_group(proc.pid)
        stopped.cancel()


async def _exited(proc: asyncio.subprocess.Process) -> None:
    """Return when the program itself has exited.

    ``proc.wait()`` also waits for its pipes to close, which a background child holding them would put
    off until the timeout; a pidfd turns readable when the program alone exits.
    """
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # not Linux, or the program is already gone
        await proc.wait()
        return
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_reader(fd, readable)
    try:
        await done
    finally:
        loop.remove_reader(fd)
        os.close(fd)


async def _drain(*readers: asyncio.Task[None]) -> bool:
    """Wait for the readers to reach end of output; True when something outside the group held it."""
    _, pending = await asyncio.wait(readers, timeout=_DRAIN_GRACE)
    for reader in pending:
        reader.cancel()
    return bool(pending)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _close_pipes(proc: asyncio.subprocess.Process) -> None:
    # A pipe still held by a process that left the group would otherwise keep its transport open.
    transport = getattr(proc, "_transport", None)
    if transport is not None:
        transport.close()
