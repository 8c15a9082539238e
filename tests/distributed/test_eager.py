"""start_eagerly: a coroutine that never waits needs no task; one that waits goes on in a task."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from flowgen.distributed.eager import start_eagerly

current: contextvars.ContextVar[str] = contextvars.ContextVar("current", default="none")


async def test_a_coroutine_that_never_waits_is_done_before_any_task_runs() -> None:
    ran: list[int] = []

    async def quick() -> int:
        ran.append(1)
        return 7

    future = start_eagerly(quick())
    assert ran == [1] and future.done() and not isinstance(future, asyncio.Task)
    assert await future == 7


async def test_a_coroutine_that_waits_finishes_in_a_task_with_its_result() -> None:
    gate = asyncio.Event()

    async def slow() -> str:
        await gate.wait()
        return "late"

    future = start_eagerly(slow())
    assert isinstance(future, asyncio.Task) and not future.done()
    gate.set()
    assert await future == "late"


async def test_errors_before_and_after_the_first_wait_reach_the_awaiter() -> None:
    async def at_once() -> None:
        raise KeyError("now")

    async def later() -> None:
        await asyncio.sleep(0)
        raise ValueError("later")

    with pytest.raises(KeyError):
        await start_eagerly(at_once())
    with pytest.raises(ValueError, match="later"):
        await start_eagerly(later())


async def test_cancelling_the_task_reaches_the_coroutine() -> None:
    seen: list[str] = []
    gate = asyncio.Event()

    async def waits() -> None:
        try:
            await gate.wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    future = start_eagerly(waits())
    future.cancel()
    with pytest.raises(asyncio.CancelledError):
        await future
    assert seen == ["cancelled"]


async def test_a_context_variable_set_before_a_wait_is_reset_after_it() -> None:
    async def handler() -> str:
        token = current.set("inside")
        try:
            await asyncio.sleep(0)
            return current.get()
        finally:
            current.reset(token)  # raises if the rest ran in another context

    assert await start_eagerly(handler()) == "inside"
    assert current.get() == "none"  # nothing leaked into the caller's context
