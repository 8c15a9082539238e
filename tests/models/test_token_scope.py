"""TokenScope: a cancellation token aborts the await in flight and every later one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from flowgen.core import CancellationToken
from flowgen.models.token_scope import TokenScope


async def test_without_a_token_awaits_run_normally() -> None:
    assert await TokenScope(None).run(asyncio.sleep(0, result="done")) == "done"


async def test_cancelling_the_token_aborts_the_await_in_flight() -> None:
    token = CancellationToken()
    scope = TokenScope(token)
    started = asyncio.Event()

    async def wait_forever() -> None:
        started.set()
        await asyncio.Event().wait()

    async def cancel_when_started() -> None:
        await started.wait()
        token.cancel()

    async with asyncio.TaskGroup() as group:
        group.create_task(cancel_when_started())
        with pytest.raises(asyncio.CancelledError):
            await scope.run(wait_forever())


async def test_errors_come_out_as_themselves_not_as_exception_groups() -> None:
    async def fail() -> None:
        raise LookupError("missing")

    with pytest.raises(LookupError, match="missing"):
        await TokenScope(CancellationToken()).run(fail())


async def test_iterate_stops_at_the_next_item_after_cancellation() -> None:
    token = CancellationToken()

    async def numbers() -> AsyncIterator[int]:
        for n in range(3):
            yield n

    seen = []
    with pytest.raises(asyncio.CancelledError):
        async for n in TokenScope(token).iterate(numbers()):
            seen.append(n)
            token.cancel()
    assert seen == [0]
