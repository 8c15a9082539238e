from __future__ import annotations

import asyncio

import pytest

from flowgen.core import CancellationToken


def test_callbacks_run_once_on_cancel() -> None:
    token = CancellationToken()
    calls: list[str] = []
    token.add_callback(lambda: calls.append("x"))
    token.cancel()
    token.cancel()
    assert calls == ["x"]
    assert token.is_cancelled()


def test_callback_added_after_cancel_runs_at_once() -> None:
    token = CancellationToken()
    token.cancel()
    calls: list[int] = []
    token.add_callback(lambda: calls.append(1))
    assert calls == [1]


async def test_linked_task_really_stops() -> None:
    token = CancellationToken()
    started = asyncio.Event()
    reached_end = False

    async def work() -> None:
        nonlocal reached_end
        started.set()
        await asyncio.Event().wait()
        reached_end = True

    task = asyncio.ensure_future(work())
    token.link_future(task)
    await started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not reached_end
