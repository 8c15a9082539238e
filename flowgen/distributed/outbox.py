"""Outbox: batches the envelopes bound for one actor into one Ray call per event-loop turn.

Outcomes stream back as they finish, so one slow handler holds back no other reply.

An actor call costs about 2 ms of CPU across processes whatever it carries, so every envelope
queued for the same actor while the loop is busy leaves together in one ``deliver`` call.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from flowgen.distributed.wire import Envelope, Outcome

# Takes a batch; yields awaitables, each resolving to the (index, outcome) pairs finished together.
Deliver = Callable[[list[Envelope]], AsyncIterator[Awaitable[list[tuple[int, Outcome]]]]]
# A batch of one goes by a plain call (about a third cheaper than a stream in a round trip), whose
# reply future settles the caller's by a callback: no task, no extra turn of the loop.
DeliverOne = Callable[[Envelope], Awaitable[Outcome]]
# Takes the progress chunks a handler pushes before its reply (envelopes sent with progress).
OnProgress = Callable[[bytes], None]
_Queued = tuple[Envelope, "asyncio.Future[Outcome]", OnProgress | None]


class Outbox:
    """Queued envelopes of one actor and the futures awaiting their outcomes."""

    __slots__ = ("_deliver", "_deliver_one", "_on_error", "_pending", "_replies", "_scheduled", "_tasks")

    def __init__(
        self,
        deliver: Deliver,
        deliver_one: DeliverOne,
        on_error: Callable[[BaseException, Envelope], BaseException],
    ) -> None:
        self._deliver = deliver
        self._deliver_one = deliver_one
        self._on_error = on_error
        self._pending: list[_Queued] = []
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._replies: set[asyncio.Future[Outcome]] = set()

    def put(self, envelope: Envelope, on_progress: OnProgress | None = None) -> asyncio.Future[Outcome]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        if on_progress is not None:
            envelope["progress"] = True
        self._pending.append((envelope, future, on_progress))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        if len(batch) == 1 and batch[0][2] is None:  # progress needs the streaming call
            self._send_one(batch[0][0], batch[0][1])
            return
        if not batch:
            return
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _send_one(self, envelope: Envelope, future: asyncio.Future[Outcome]) -> None:
        try:
            # A future (a Ray reply) is taken as it is; any other awaitable gets a task to run it.
            reply = asyncio.ensure_future(self._deliver_one(envelope))
        except Exception as exc:
            future.set_exception(self._on_error(exc, envelope))
            return
        self._replies.add(reply)
        reply.add_done_callback(self._replies.discard)
        reply.add_done_callback(functools.partial(self._settle_one, envelope, future))

    def _settle_one(
        self, envelope: Envelope, future: asyncio.Future[Outcome], reply: asyncio.Future[Outcome]
    ) -> None:
        if future.done():
            return
        if reply.cancelled():
            future.cancel()
        elif (error := reply.exception()) is not None:
            future.set_exception(self._on_error(error, envelope))
        else:
            future.set_result(reply.result())

    async def _send(self, batch: list[_Queued]) -> None:
        try:
            async for finished in self._deliver([envelope for envelope, _, _ in batch]):
                for index, outcome in await finished:
                    _, future, on_progress = batch[index]
                    if "progress" in outcome:
                        if on_progress is not None and not future.done():
                            on_progress(outcome["progress"])
                    elif not future.done():
                        future.set_result(outcome)
        except asyncio.CancelledError:
            for _, future, _ in batch:
                future.cancel()
            raise
        except Exception as exc:
            for envelope, future, _ in batch:
                if not future.done():
                    future.set_exception(self._on_error(exc, envelope))
            return
        for envelope, future, _ in batch:
            if not future.done():
                future.set_exception(RuntimeError(f"the host of {envelope['recipient']} sent no outcome"))

    async def close(self) -> None:
        """Cancel what is in flight; callers awaiting it see CancelledError."""
        for _, future, _ in self._pending:
            future.cancel()
        self._pending.clear()
        for reply in list(self._replies):
            reply.cancel()  # settles its caller's future as cancelled
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def busy(self) -> Any:
        return bool(self._pending or self._tasks or self._replies)
