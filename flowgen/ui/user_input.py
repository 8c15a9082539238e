"""Holds a user proxy's prompt back until the console has printed everything before it."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import cast

from flowgen.agents import UserProxyAgent
from flowgen.core import CancellationToken

__all__ = ["AsyncInputFunc", "InputFuncType", "SyncInputFunc", "UserInputManager"]

SyncInputFunc = Callable[[str], str]
AsyncInputFunc = Callable[[str, CancellationToken | None], Awaitable[str]]
InputFuncType = SyncInputFunc | AsyncInputFunc


def _current_request_id() -> str | None:
    """The id of the input request the user proxy is serving, or None outside a user proxy."""
    try:
        return UserProxyAgent.InputRequestContext.request_id()
    except RuntimeError:  # called outside a user proxy's input_func: nothing to wait for
        return None


class UserInputManager:
    """Makes a user proxy's input function wait until the console has shown the request.

    Without it, a prompt can appear while earlier messages are still being printed. Give
    :meth:`get_wrapped_callback` to ``UserProxyAgent(input_func=...)`` and the manager to ``Console``:
    the console reports each ``UserInputRequestedEvent`` it reaches, and only then does the prompt run.

    Args:
        callback: The real input function, ``input``-like (sync) or ``(prompt, token)`` (async).

    Example:
        >>> manager = UserInputManager(lambda prompt: "yes")
        >>> manager.notify_event_received("request-1")
        >>> manager.input_events["request-1"].is_set()
        True
    """

    def __init__(self, callback: InputFuncType) -> None:
        self.input_events: dict[str, asyncio.Event] = {}
        self.callback = callback

    def _event(self, request_id: str) -> asyncio.Event:
        return self.input_events.setdefault(request_id, asyncio.Event())

    def notify_event_received(self, request_id: str) -> None:
        """The console has printed everything up to request ``request_id``: its prompt may run."""
        self._event(request_id).set()

    def get_wrapped_callback(self) -> AsyncInputFunc:
        """An input function that waits for the console's go-ahead, then calls ``callback``."""

        async def wait_then_ask(prompt: str, cancellation_token: CancellationToken | None = None) -> str:
            request_id = _current_request_id()
            if request_id is not None:
                await self._event(request_id).wait()
                self.input_events.pop(request_id, None)
            return await self._ask(prompt, cancellation_token)

        return wait_then_ask

    async def _ask(self, prompt: str, cancellation_token: CancellationToken | None) -> str:
        if inspect.iscoroutinefunction(self.callback):
            return await cast(AsyncInputFunc, self.callback)(prompt, cancellation_token)
        # A blocking input() must not stall the event loop.
        return await asyncio.to_thread(cast(SyncInputFunc, self.callback), prompt)
