"""TokenScope: lets a CancellationToken abort whichever network await is in flight.

A real model call is a chain of awaits (send the request, wait before a retry, read each stream
chunk). The scope registers one callback on the token and runs each await as a task it can cancel,
so cancelling the token aborts the HTTP request or stream promptly, wherever it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flowgen.core import CancellationToken
from flowgen.core.cancellation import cancel_from_any_thread

T = TypeVar("T")


class TokenScope:
    """Runs awaits so that ``token.cancel()`` cancels the one in flight (and every later one).

    Awaiting through a cancelled scope raises ``asyncio.CancelledError``, as awaiting a cancelled
    future does.

    Example:
        >>> import asyncio
        >>> async def demo() -> str:
        ...     token = CancellationToken()
        ...     scope = TokenScope(token)
        ...     token.cancel()
        ...     try:
        ...         await scope.run(asyncio.sleep(10))
        ...     except asyncio.CancelledError:
        ...         return "cancelled"
        ...     return "finished"
        >>> asyncio.run(demo())
        'cancelled'
    """

    def __init__(self, token: CancellationToken | None) -> None:
        self._token = token
        self._task: asyncio.Task[Any] | None = None
        if token is not None:
            token.add_callback(self._cancel)

    @property
    def cancelled(self) -> bool:
        return self._token is not None and self._token.is_cancelled()

    async def run(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable``, aborting it if the token is cancelled meanwhile."""
        if self._token is None:
            return await awaitable
        if self.cancelled:
            _discard(awaitable)
            raise asyncio.CancelledError("the cancellation token was cancelled")
        async with asyncio.TaskGroup() as group:
            task = group.create_task(_capture(awaitable))
            self._task = task
        self._task = None
        outcome = task.result()  # raises CancelledError when the token cancelled it
        if outcome.error is not None:
            raise outcome.error
        return cast(T, outcome.value)

    async def sleep(self, seconds: float) -> None:
        await self.run(asyncio.sleep(seconds))

    async def iterate(self, items: AsyncIterable[T]) -> AsyncGenerator[T, None]:
        """Yield from ``items``, each wait for the next item aborted if the token is cancelled."""
        iterator = aiter(items)
        while True:
            try:
                item = await self.run(anext(iterator))
            except StopAsyncIteration:
                return
            yield item

    def _cancel(self) -> None:
        if self._task is not None:
            cancel_from_any_thread(self._task)


@dataclass(frozen=True, slots=True)
class _Outcome:
    value: object = None
    error: Exception | None = None


async def _capture(awaitable: Awaitable[object]) -> _Outcome:
    # The TaskGroup would wrap a failure in an ExceptionGroup; carry it out as a value instead so
    # callers see the SDK's own exception. CancelledError is not an Exception and still propagates.
    try:
        return _Outcome(value=await awaitable)
    except Exception as exc:
        return _Outcome(error=exc)


def _discard(awaitable: Awaitable[Any]) -> None:
    close = getattr(awaitable, "close", None)
    if callable(close):
        close()  # a never-awaited coroutine would warn
