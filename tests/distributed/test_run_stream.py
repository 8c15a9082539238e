"""RunStream and RunWatch: a streamed pool run shows each saved message once, whatever the attempts
(no Ray needed: the pool's side is fed by hand)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flowgen.base import TaskResult
from flowgen.distributed.run_order import RunFrame, RunResult, StepNotice
from flowgen.distributed.run_stream import RunStream, RunWatch
from flowgen.messages import TextMessage


def said(source: str, content: str) -> dict[str, Any]:
    return TextMessage(source=source, content=content).dump()


def step(n: int) -> RunFrame:
    return RunFrame(step=StepNotice(step=n, ran=["a"], frontier=["b"], checkpoint_id=f"cp-{n}"))


def result(messages: list[dict[str, Any]], attempts: int = 1) -> RunResult:
    return RunResult(
        thread_id="t", messages=messages, stop_reason="done", checkpoint_id="cp-9", attempts=attempts,
        resumed=attempts > 1, workers=["w"] * attempts, nodes=["n"] * attempts,
    )  # fmt: skip


async def run_through(feed: Any, steps: bool = False) -> tuple[list[Any], RunStream]:
    """A RunStream whose 'pool' is ``feed(watch, future)``; every item it yields."""

    async def start(watch: RunWatch) -> asyncio.Future[RunResult]:
        future: asyncio.Future[RunResult] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(feed, watch, future)
        return future

    stream = RunStream(start, factory=None, steps=steps)
    return [item async for item in stream], stream


async def test_a_moved_run_shows_each_saved_message_once_in_order() -> None:
    task, one, two, three = said("user", "go"), said("a", "one"), said("b", "two"), said("a", "three")

    def feed(watch: RunWatch, future: asyncio.Future[RunResult]) -> None:
        # The first attempt showed the task and 'one', stored 'two' but was lost before sending it.
        for frame in (RunFrame(item=task), step(0), RunFrame(item=one), step(1)):
            watch.show(frame)
        watch.fill([task, one, two])  # the pool reads the store at the retry
        # The second attempt hands 'two' over again (its checkpoint had not marked it handed), then
        # a step notice the first attempt already sent, then goes on.
        for frame in (RunFrame(item=two), step(1), step(2), RunFrame(item=three), step(3)):
            watch.show(frame)
        watch.fill([task, one, two, three])  # against the final report: nothing new
        future.set_result(result([task, one, two, three], attempts=2))

    items, stream = await run_through(feed, steps=True)
    shown = [(i.content if isinstance(i, TextMessage) else i.step) for i in items[:-1]]  # type: ignore[union-attr]
    assert shown == ["go", 0, "one", 1, "two", 2, "three", 3]
    assert isinstance(items[-1], TaskResult) and [m.content for m in items[-1].messages] == [  # type: ignore[attr-defined]
        "go",
        "one",
        "two",
        "three",
    ]
    assert stream.result.attempts == 2 and stream.result.resumed


async def test_step_notices_come_only_when_asked_and_a_failed_run_raises_after_its_items() -> None:
    def feed(watch: RunWatch, future: asyncio.Future[RunResult]) -> None:
        watch.show(RunFrame(item=said("user", "go")))
        watch.show(step(0))
        future.set_exception(ValueError("the model refused"))

    seen: list[Any] = []

    async def follow() -> None:
        async def start(watch: RunWatch) -> asyncio.Future[RunResult]:
            future: asyncio.Future[RunResult] = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_soon(feed, watch, future)
            return future

        stream = RunStream(start, factory=None, steps=False)
        async for item in stream:
            seen.append(item)

    with pytest.raises(ValueError, match="the model refused"):
        await follow()
    assert [type(i).__name__ for i in seen] == ["TextMessage"]


async def test_the_result_is_there_only_once_the_stream_has_ended() -> None:
    stream = RunStream(lambda watch: asyncio.sleep(0), factory=None, steps=False)  # type: ignore[arg-type,return-value]
    with pytest.raises(RuntimeError, match="iterate the stream to its end"):
        _ = stream.result
