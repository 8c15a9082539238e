"""Delivery to an agent hosted by the sender's own actor: straight to its handler, with no socket.

An agent's own send (or publish) goes through its actor's member runtime. When the recipient lives in
that same actor, the member puts the envelope here instead of in an Outbox: no link, no frame, no Ray
call, no loopback connection. Everything else is as for any other actor: the runtime's intervention
chain and delivery log saw the message before it got here, the host decodes the message with its
registered serializers and encodes the reply (a failure travels by type name and text, rebuilt by
the sender), and a cancelled caller stops the handler. So moving an agent to another actor, or two
agents into one, changes nothing either of them sees: only the socket is saved.
"""

from __future__ import annotations

import asyncio
import functools

from flowgen.distributed.link_server import Deliveries
from flowgen.distributed.outbox import OnProgress
from flowgen.distributed.wire import Envelope, Outcome, encode_failure


class InProcess:
    """The member runtime's way to its own actor: ``put`` starts the handler at once."""

    __slots__ = ("_deliveries", "_waiting", "envelopes")

    def __init__(self, deliveries: Deliveries) -> None:
        self._deliveries = deliveries
        self._waiting: set[asyncio.Future[Outcome]] = set()
        #: Envelopes delivered this way (the host reports them beside the link's and Ray's).
        self.envelopes = 0

    @property
    def link(self) -> None:
        """No link: an in-process delivery is cancelled through :meth:`cancel`."""
        return None

    def put(self, envelope: Envelope, on_progress: OnProgress | None = None) -> asyncio.Future[Outcome]:
        """Start handling ``envelope`` here (eagerly); the future settles with its outcome.

        The caller's future is not the handler's task: cancelling it leaves the handler to
        :meth:`cancel`, which returns once the handler has stopped, as for a remote actor.
        """
        self.envelopes += 1
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

        def push(_: int, chunk: bytes) -> None:
            if on_progress is not None and not future.done():
                on_progress(chunk)

        if on_progress is not None:
            envelope["progress"] = True
        started = self._deliveries.start(0, envelope, push)
        if started.done():
            self._settle(future, started)
        else:
            self._waiting.add(future)
            future.add_done_callback(self._waiting.discard)
            started.add_done_callback(functools.partial(self._settle, future))
        return future

    def _settle(self, future: asyncio.Future[Outcome], started: asyncio.Future[tuple[int, Outcome]]) -> None:
        if future.done():
            return
        if started.cancelled():  # the actor is stopping
            error: BaseException = asyncio.CancelledError("the host actor stopped")
            future.set_result(Outcome(failure=encode_failure(error, self._deliveries.node)))
        elif (exc := started.exception()) is not None:
            future.set_result(Outcome(failure=encode_failure(exc, self._deliveries.node)))
        else:
            future.set_result(started.result()[1])

    async def cancel(self, message_id: str) -> None:
        """Cancel the handler of ``message_id`` and return once it has stopped."""
        await self._deliveries.cancel(message_id)

    async def close(self) -> None:
        """Callers still waiting see CancelledError (the host closes its agents itself)."""
        for future in list(self._waiting):
            future.cancel()

    def busy(self) -> bool:
        return bool(self._waiting)
