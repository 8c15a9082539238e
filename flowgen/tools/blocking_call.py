"""Running a blocking (sync) tool function without letting it hold up the run or the process.

A sync tool runs in a daemon thread of its own rather than in asyncio's default executor: when the
run is cancelled, its future is cancelled at once and the run ends; the thread cannot be stopped
(Python has no way to interrupt one), so it runs on until the function returns, and its result is
dropped. Being a daemon it holds up neither ``asyncio.run``'s shutdown (which waits for every
default-executor thread, for ever if the tool is stuck) nor the interpreter's exit.

A function that raises ``SystemExit`` or ``KeyboardInterrupt`` has them delivered as a
:class:`~flowgen.errors.ToolExitError`: the tool failed; the program was not asked to stop.

The thread blocks the signals that ask the program to stop (SIGINT, SIGTERM). The kernel hands a
process's signal to any thread that does not block it; one handed to a tool's thread only sets
Python's flag, and the main thread, asleep in the event loop's poll with nothing due, would never
wake to act on it: Ctrl-C during a stuck tool would then hang the program.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import signal
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from flowgen.errors import ToolExitError

T = TypeVar("T")

# Left to the main thread (see the module's text); pthread_sigmask exists on POSIX systems only.
_PROGRAM_SIGNALS = {signal.SIGINT, signal.SIGTERM} if hasattr(signal, "pthread_sigmask") else set()


def exit_as_tool_error(exc: SystemExit | KeyboardInterrupt, tool: str) -> ToolExitError:
    error = ToolExitError(
        f"tool {tool!r} raised {type(exc).__name__}({', '.join(map(repr, exc.args))}); a tool cannot "
        "stop the program, so this is reported as the tool's failure"
    )
    error.__cause__ = exc
    return error


async def contained(work: Awaitable[T], tool: str) -> T:
    """Await an async tool's work, turning SystemExit / KeyboardInterrupt into a ToolExitError.

    In a task of its own they would otherwise escape the task and stop the event loop itself.
    """
    try:
        return await work
    except (SystemExit, KeyboardInterrupt) as exc:
        raise exit_as_tool_error(exc, tool) from exc


def run_in_thread(func: Callable[..., T], tool: str, **kwargs: Any) -> asyncio.Future[T]:
    """``func(**kwargs)`` in a new daemon thread, with the caller's contextvars; its future."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def settle(value: Any, error: BaseException | None) -> None:
        if future.done():  # cancelled while the thread ran: the result is dropped
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def work() -> None:
        value: Any = None
        error: BaseException | None = None
        try:
            value = context.run(func, **kwargs)
        except (SystemExit, KeyboardInterrupt) as exc:
            error = exit_as_tool_error(exc, tool)
        except BaseException as exc:  # handed to the awaiting task, as a worker pool would
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed while the thread ran
            loop.call_soon_threadsafe(settle, value, error)

    thread = threading.Thread(target=work, name=f"flowgen-tool-{tool}", daemon=True)
    if not _PROGRAM_SIGNALS:
        thread.start()
        return future
    # A thread starts with its creator's mask: block them around the start, so the thread never has
    # them unblocked (a signal arriving meanwhile waits, and reaches this thread once unblocked).
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _PROGRAM_SIGNALS)
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return future
