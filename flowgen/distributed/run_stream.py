"""RunStream: one pool run's messages and events as its worker stores them, then its TaskResult.

The pool feeds a :class:`RunWatch` with the frames its worker streams (each message or event sent once
its step is stored, see :mod:`flowgen.distributed.step_gate`). When the worker is lost mid-run and the
run continues on another one from its last checkpoint, the watch keeps the promise that every saved
message is shown once: it drops what it has shown already (by message id: the continued run hands
over again what its checkpoint had not marked as handed), and the pool shows from the store what the
lost worker committed but never sent (:meth:`RunWatch.fill`) before the run goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from typing import Any

from flowgen.base import TaskResult
from flowgen.distributed.run_order import RunFrame, RunResult, StepNotice
from flowgen.messages import BaseAgentEvent, BaseChatMessage, MessageFactory

StreamItem = BaseAgentEvent | BaseChatMessage | StepNotice | TaskResult
_END = object()


class RunWatch:
    """What a streamed run has shown so far; the pool's side of a :class:`RunStream`."""

    __slots__ = ("_items", "_last_step", "_shown", "on_cancel")

    def __init__(self) -> None:
        self.on_cancel: Callable[[], None] | None = None  # set by the pool once the run is queued
        self._items: asyncio.Queue[Any] = asyncio.Queue()
        self._shown: set[str] = set()
        self._last_step = -1

    def show(self, frame: RunFrame) -> None:
        """A frame from the worker: shown unless an earlier attempt showed it already."""
        if frame.item is not None:
            self._show_item(frame.item)
        elif frame.step is not None and frame.step.step > self._last_step:
            self._last_step = frame.step.step
            self._items.put_nowait(frame.step)

    def fill(self, messages: Iterable[Mapping[str, Any]]) -> None:
        """Show the stored messages of the run not shown yet, in the thread's order."""
        for message in messages:
            self._show_item(message)

    def end(self) -> None:
        self._items.put_nowait(_END)

    def _show_item(self, item: Mapping[str, Any]) -> None:
        key = item.get("id")
        if isinstance(key, str):
            if key in self._shown:
                return
            self._shown.add(key)
        self._items.put_nowait(item)

    async def next(self) -> Any:
        return await self._items.get()


class RunStream:
    """An async iterator over one pool run (``RunPool.stream``): what ``team.run_stream`` yields.

    The messages and events come as the worker stores their steps, then the run's TaskResult (or its
    error). With ``steps=True`` a :class:`~flowgen.distributed.run_order.StepNotice` follows each
    stored step's messages. ``result`` is the pool's RunResult once the stream has ended.
    """

    def __init__(
        self,
        start: Callable[[RunWatch], Awaitable[asyncio.Future[RunResult]]],
        factory: MessageFactory | None,
        steps: bool,
    ) -> None:
        self._start, self._factory, self._steps = start, factory or MessageFactory(), steps
        self._result: RunResult | None = None
        self._items: AsyncGenerator[StreamItem, None] | None = None
        self._watch: RunWatch | None = None

    @property
    def result(self) -> RunResult:
        """The run's RunResult (attempts, workers, nodes); there once the stream has ended."""
        if self._result is None:
            raise RuntimeError("the run has not finished: iterate the stream to its end first")
        return self._result

    def __aiter__(self) -> AsyncGenerator[StreamItem, None]:
        if self._items is None:
            self._items = self._generate()
        return self._items

    async def aclose(self) -> None:
        """Stop following the run (it goes on in the pool; its result is dropped)."""
        if self._items is not None:
            await self._items.aclose()

    def cancel(self) -> None:
        """Stop the run: taken out of the queue, or cancelled on its worker, where the step in flight
        is undone (its committed steps stay in the store, and a later run continues the thread). The
        stream then ends with CancelledError. Nothing happens once the run has finished."""
        if self._watch is not None and self._watch.on_cancel is not None:
            self._watch.on_cancel()

    async def _generate(self) -> AsyncGenerator[StreamItem, None]:
        watch = self._watch = RunWatch()
        future = await self._start(watch)
        future.add_done_callback(lambda _: watch.end())
        while (item := await watch.next()) is not _END:
            if isinstance(item, StepNotice):
                if self._steps:
                    yield item
                continue
            yield self._factory.create(item)
        self._result = future.result()  # a failed run raises its error here, after what it showed
        yield self._result.task_result(self._factory)
