"""Eager start: run a coroutine at once, and give it a task only if it has to wait.

Most handlers a host actor runs for a publish finish without ever waiting; a task each (created,
scheduled, run on a later turn of the loop) is most of what such a delivery costs. Python 3.12's
eager task factory does this; the actors run on 3.11, so it is done here. The first step runs in a
context of its own, and the task that continues it (if any) runs in that same context, so context
variables set before the first wait are reset correctly after it.

Example:
    >>> import asyncio
    >>> async def double(n: int) -> int:
    ...     return 2 * n
    >>> async def main() -> int:
    ...     return await start_eagerly(double(21))
    >>> asyncio.run(main())
    42
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")


def start_eagerly(coro: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    """Run ``coro`` up to its first wait; a done future if it finished, else the task running the rest."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    try:
        first = context.run(coro.send, None)
    except StopIteration as stop:
        done: asyncio.Future[T] = loop.create_future()
        done.set_result(stop.value)
        return done
    except Exception as exc:
        failed: asyncio.Future[T] = loop.create_future()
        failed.set_exception(exc)
        return failed
    return loop.create_task(_Resumed(coro, first), context=context)


class _Resumed(Coroutine[Any, Any, T]):
    """What the task drives: its first step hands over the coroutine's first wait, later ones go on.

    A task cancelled before its first step throws into it at once: that reaches the coroutine too.
    """

    __slots__ = ("_coro", "_first")

    def __init__(self, coro: Coroutine[Any, Any, T], first: Any) -> None:
        self._coro, self._first = coro, first

    def send(self, value: Any) -> Any:
        if self._first is not _TAKEN:
            first, self._first = self._first, _TAKEN
            return first
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        self._first = _TAKEN
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, Any, T]:
        raise TypeError("a task drives this object; it is not awaited")


_TAKEN = object()
