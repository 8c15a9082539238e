"""Outbox: batches the envelopes bound for one actor, one batch per event-loop turn.

Outcomes stream back as they finish, so one slow handler holds back no other reply.

A batch leaves by the actor's direct link when the runtime has one (link.py: one frame on an open
socket), else by a Ray call: an actor call costs about 2 ms of CPU across processes whatever it
carries, so every envelope queued for the same actor while the loop is busy leaves together in one
``deliver`` call. The first batch for an actor asks for its link (``open_link``) and waits for it;
batches queued meanwhile wait too. Without a link (none offered, or it cannot be reached) batches
go by Ray calls.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from flowgen.distributed.link import Link
from flowgen.distributed.wire import Envelope, Outcome

# Takes a batch; yields awaitables, each resolving to the (index, outcome) pairs finished together.
Deliver = Callable[[list[Envelope]], AsyncIterator[Awaitable[list[tuple[int, Outcome]]]]]
# A batch of one goes by a plain call (about a third cheaper than a stream in a round trip), whose
# reply future settles the caller's by a callback: no task, no extra turn of the loop.
DeliverOne = Callable[[Envelope], Awaitable[Outcome]]
# Takes the progress chunks a handler pushes before its reply (envelopes sent with progress).
OnProgress = Callable[[bytes], None]
_Queued = tuple[Envelope, "asyncio.Future[Outcome]", OnProgress | None]
# Opens the actor's direct link (told to call back when it breaks); None when there is none to use.
OpenLink = Callable[[Callable[[Link], None]], Awaitable[Link | None]]


class Outbox:
    """Queued envelopes of one actor and the futures awaiting their outcomes."""

    __slots__ = (
        "_deliver",
        "_deliver_one",
        "_link",
        "_linking",
        "_on_error",
        "_open_link",
        "_opener",
        "_pending",
        "_replies",
        "_scheduled",
        "_tasks",
        "_waiting",
    )

    def __init__(
        self,
        deliver: Deliver,
        deliver_one: DeliverOne,
        on_error: Callable[[BaseException, Envelope], BaseException],
        open_link: OpenLink | None = None,
    ) -> None:
        self._deliver = deliver
        self._deliver_one = deliver_one
        self._on_error = on_error
        self._opener = open_link
        self._open_link = open_link  # None while this actor's batches go by Ray calls
        self._pending: list[_Queued] = []
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._replies: set[asyncio.Future[Outcome]] = set()
        self._link: Link | None = None
        self._linking: asyncio.Task[None] | None = None
        self._waiting: list[_Queued] = []  # batches queued while the link is being opened

    @property
    def link(self) -> Link | None:
        """The actor's direct link while it is up."""
        return self._link

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
        if self._open_link is not None and batch:
            link = self._link
            if link is None:
                self._waiting.extend(batch)
                if self._linking is None:
                    self._linking = self._spawn(self._connect())
                return
            if link.send(batch):
                return
            # Too big for one frame: this batch goes by a Ray call.
        self._by_ray(batch)

    def _by_ray(self, batch: list[_Queued]) -> None:
        if len(batch) == 1 and batch[0][2] is None:  # progress needs the streaming call
            self._send_one(batch[0][0], batch[0][1])
            return
        if batch:
            self._spawn(self._send(batch))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _connect(self) -> None:
        """Open the link, then send what waited for it (by Ray calls if there is no link to use)."""
        try:
            link = await self._open_link(self._forget)  # type: ignore[misc]
        except Exception as exc:  # the actor is unreachable through Ray too: the calls fail
            waiting, self._waiting = self._waiting, []
            for envelope, future, _ in waiting:
                if not future.done():
                    future.set_exception(self._on_error(exc, envelope))
            return
        finally:
            self._linking = None
        if link is None:
            # No link to this actor: Ray calls until one fails (then the actor, perhaps recreated
            # elsewhere, is asked again), rather than a futile connection attempt per batch.
            self._open_link = None
        self._link = link
        waiting, self._waiting = self._waiting, []
        waiting = [queued for queued in waiting if not queued[1].done()]  # cancelled meanwhile
        if waiting and (link is None or not link.send(waiting)):
            self._by_ray(waiting)

    def _forget(self, link: Link) -> None:
        """The link broke (its calls have failed): the next batch asks the actor for a new one."""
        if self._link is link:
            self._link = None

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
            self._open_link = self._opener  # the actor may be lost: ask the next one for its link
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
            self._open_link = self._opener  # the actor may be lost: ask the next one for its link
            for envelope, future, _ in batch:
                if not future.done():
                    future.set_exception(self._on_error(exc, envelope))
            return
        for envelope, future, _ in batch:
            if not future.done():
                future.set_exception(RuntimeError(f"the host of {envelope['recipient']} sent no outcome"))

    async def close(self) -> None:
        """Cancel what is in flight; callers awaiting it see CancelledError."""
        for _, future, _ in self._pending + self._waiting:
            future.cancel()
        self._pending.clear()
        self._waiting.clear()
        if self._link is not None:
            await self._link.close()
        for reply in list(self._replies):
            reply.cancel()  # settles its caller's future as cancelled
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def busy(self) -> Any:
        link_busy = self._link is not None and self._link.busy()
        return bool(self._pending or self._waiting or self._tasks or self._replies or link_busy)
