"""CancellationToken: one object that cancels every piece of work linked to it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any


class CancellationToken:
    """Cancels linked futures and calls callbacks when :meth:`cancel` is called.

    Example:
        >>> token = CancellationToken()
        >>> seen = []
        >>> token.add_callback(lambda: seen.append("stopped"))
        >>> token.cancel()
        >>> token.is_cancelled(), seen
        (True, ['stopped'])
    """

    def __init__(self) -> None:
        self._cancelled = False
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def cancel(self) -> None:
        """Cancel every linked future and run every callback, once."""
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def is_cancelled(self) -> bool:
        return self._cancelled

    def add_callback(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` on cancellation (at once if already cancelled)."""
        with self._lock:
            if not self._cancelled:
                self._callbacks.append(callback)
                return
        callback()

    def link_future(self, future: asyncio.Future[Any]) -> asyncio.Future[Any]:
        """Cancel ``future`` (a Task stops at its next await) when this token is cancelled."""

        self.add_callback(lambda: cancel_from_any_thread(future))
        return future


def cancel_from_any_thread(future: asyncio.Future[Any]) -> None:
    """Cancel ``future`` from whichever thread is calling; its own loop carries the cancel out.

    A token may be cancelled from another thread than the loop the work runs on, and a future may
    only be touched from its own loop.
    """
    if future.done():
        return
    loop = future.get_loop()
    if loop.is_closed():
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        future.cancel()
    else:
        loop.call_soon_threadsafe(future.cancel)
