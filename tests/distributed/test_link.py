"""The direct link's two ends over a real socket on 127.0.0.1, without Ray (the cluster tests use Ray).

The server end is the one a host actor runs (LinkServer), given a stand-in for the actor's handlers;
the client end is the driver's Link. Raw sockets play a peer that does not know the token or sends
bad frames.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from flowgen.distributed.eager import start_eagerly
from flowgen.distributed.frames import (
    LENGTH,
    MAX_FRAME_BYTES,
    decode_frame,
    encode_batch,
    encode_frame,
)
from flowgen.distributed.link import Link
from flowgen.distributed.link_server import LinkServer
from flowgen.distributed.outbox import OpenLink, Outbox
from flowgen.distributed.wire import Body, Envelope, Outcome
from flowgen.errors import FrameError, LinkLostError


class Handlers:
    """Stands in for AgentHost: echoes a payload; ``"hang"`` pushes progress and waits until cancelled."""

    node = "node-1"

    def __init__(self) -> None:
        self.started: list[str] = []
        self.hanging = asyncio.Event()
        self.cancelled: list[str] = []
        self._running: dict[str, asyncio.Future[tuple[int, Outcome]]] = {}

    def start(
        self, index: int, envelope: Envelope, push: Callable[[int, bytes], None]
    ) -> asyncio.Future[tuple[int, Outcome]]:
        self.started.append(envelope["message_id"])
        started = start_eagerly(self._handle(index, envelope, push))
        self._running[envelope["message_id"]] = started
        return started

    async def _handle(
        self, index: int, envelope: Envelope, push: Callable[[int, bytes], None]
    ) -> tuple[int, Outcome]:
        if envelope["body"]["payload"] == b'"hang"':
            push(index, b'"tick"')
            self.hanging.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled.append(envelope["message_id"])
                raise
        return index, Outcome(body=envelope["body"])

    async def cancel(self, message_id: str) -> bool:
        running = self._running.get(message_id)
        if running is None or running.done():
            return False
        running.cancel()
        await asyncio.wait([running])
        return True


def envelope(text: str, message_id: str) -> Envelope:
    body = Body(type_name="__json__", content_type="application/json", payload=json.dumps(text).encode())
    return Envelope(rpc=True, recipient="echo/a", sender=None, topic=None, message_id=message_id, body=body)


@pytest_asyncio.fixture
async def server() -> AsyncIterator[tuple[LinkServer, Handlers, tuple[str, int, bytes]]]:
    handlers = Handlers()
    link_server = LinkServer(handlers)
    address = await link_server.open("127.0.0.1")
    yield link_server, handlers, address
    await link_server.close()


def unavailable(exc: BaseException, envelope: Envelope) -> BaseException:
    return ConnectionAbortedError(f"{envelope['recipient']}: {exc}")


async def open_link(address: tuple[str, int, bytes], lost: list[Link] | None = None) -> Link:
    host, port, token = address
    return await Link.open(host, port, token, unavailable, (lost if lost is not None else []).append)


def queued(
    text: str, message_id: str, progress: list[bytes] | None = None
) -> tuple[Envelope, asyncio.Future[Outcome], Callable[[bytes], None] | None]:
    future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
    return envelope(text, message_id), future, (progress.append if progress is not None else None)


async def test_a_batch_is_answered_over_the_link(
    server: tuple[LinkServer, Handlers, tuple[str, int, bytes]],
) -> None:
    link_server, _, address = server
    link = await open_link(address)
    batch = [queued(f"m{i}", f"id{i}") for i in range(3)]
    assert link.send(batch)
    outcomes = await asyncio.gather(*(future for _, future, _ in batch))
    assert [o["body"]["payload"] for o in outcomes] == [b'"m0"', b'"m1"', b'"m2"']
    assert link_server.counts == {"envelopes": 3, "connections": 1, "refused": 0}
    assert not link.busy()
    await link.close()


async def test_progress_comes_ahead_of_the_reply_and_cancel_stops_the_handler(
    server: tuple[LinkServer, Handlers, tuple[str, int, bytes]],
) -> None:
    _, handlers, address = server
    link = await open_link(address)
    progress: list[bytes] = []
    hang = queued("hang", "h1", progress)
    assert link.send([hang])
    await handlers.hanging.wait()
    assert await link.cancel("h1") is True
    assert handlers.cancelled == ["h1"]
    assert progress == [b'"tick"']
    await link.close()


async def test_a_wrong_token_is_refused_and_the_connection_closed(
    server: tuple[LinkServer, Handlers, tuple[str, int, bytes]],
) -> None:
    link_server, handlers, (host, port, token) = server
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(bytes(len(token)) + encode_batch(0, [envelope("x", "sneaky")]))
    assert await reader.read() == b""  # closed by the server, nothing answered
    writer.close()
    assert handlers.started == []
    assert link_server.counts["refused"] == 1


@pytest.mark.parametrize(
    "bad",
    [
        LENGTH.pack(MAX_FRAME_BYTES + 1),  # over the limit: refused before it is read
        encode_frame({"kind": "batch", "batch": 0, "envelopes": [{"rpc": "maybe"}]}, []),
        encode_frame({"kind": "outcomes", "outcomes": []}, []),  # a frame only a host sends
        LENGTH.pack(12) + LENGTH.pack(4) + b"{}{}" + b"abcd",  # not JSON
        encode_frame({"kind": "batch", "batch": 0, "envelopes": []}, [])[:-1] + b"]x",  # sizes off
    ],
    ids=["oversize", "invalid_envelope", "wrong_direction", "not_json", "sizes_do_not_add_up"],
)
async def test_a_bad_frame_closes_its_connection_and_spares_the_others(
    server: tuple[LinkServer, Handlers, tuple[str, int, bytes]], bad: bytes
) -> None:
    _, handlers, address = server
    good = await open_link(address)
    host, port, token = address
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(token + bad)
    assert await reader.read() == b""
    writer.close()
    assert handlers.started == []
    batch = [queued("still here", "ok")]
    assert good.send(batch)
    assert (await batch[0][1])["body"]["payload"] == b'"still here"'
    await good.close()


async def test_a_lost_connection_fails_every_call_in_flight_and_tells_the_owner(
    server: tuple[LinkServer, Handlers, tuple[str, int, bytes]],
) -> None:
    link_server, handlers, address = server
    lost: list[Link] = []
    link = await open_link(address, lost)
    hang = queued("hang", "h2")
    assert link.send([hang])
    await handlers.hanging.wait()
    await link_server.close()  # as when the actor's process ends: its connections go
    with pytest.raises(ConnectionAbortedError, match=r"echo/a: .*connection ended"):
        await hang[1]
    assert lost == [link] and not link.up
    with pytest.raises(LinkLostError):
        await link.cancel("h2")
    # The server cancelled the handler its lost connection had started.
    assert handlers.cancelled == ["h2"]
    await link.close()


async def test_a_batch_over_the_frame_limit_is_not_sent(
    server: tuple[LinkServer, Handlers, tuple[str, int, bytes]],
) -> None:
    _, _, address = server
    link = await open_link(address)
    huge = queued("x" * MAX_FRAME_BYTES, "big")
    assert link.send([huge]) is False  # the Outbox sends it by a Ray call instead
    assert not link.busy()
    await link.close()


def test_frames_round_trip_and_refuse_what_does_not_fit() -> None:
    frame = encode_batch(7, [envelope("hi", "m")])
    head, payloads = decode_frame(frame[LENGTH.size :])
    assert head["kind"] == "batch" and head["batch"] == 7
    assert payloads == [b'"hi"']
    with pytest.raises(FrameError, match="fails validation"):
        decode_frame(LENGTH.pack(2) + b"[]")
    with pytest.raises(FrameError, match="too short"):
        decode_frame(b"ab")


async def test_the_server_listens_on_the_address_asked_for_until_closed() -> None:
    link_server = LinkServer(Handlers())
    host, port, token = await link_server.open("127.0.0.1")
    assert await link_server.open("127.0.0.1") == (host, port, token)  # opened once
    assert link_server._server is not None
    assert link_server._server.sockets[0].getsockname()[0] == "127.0.0.1"
    await link_server.close()
    with pytest.raises(OSError):  # closed: nothing listens there any more
        socket.create_connection((host, port), timeout=5).close()


# ---------------------------------------------------------------- the Outbox's choice of path


class RayCalls:
    """Stands in for the Ray calls an Outbox falls back to: counts them, echoes the envelope's body."""

    def __init__(self) -> None:
        self.calls = 0

    async def deliver_one(self, envelope: Envelope) -> Outcome:
        self.calls += 1
        return Outcome(body=envelope["body"])

    async def deliver(self, batch: list[Envelope]) -> AsyncIterator[Awaitable[list[tuple[int, Outcome]]]]:
        self.calls += 1

        async def outcomes() -> list[tuple[int, Outcome]]:
            return [(i, Outcome(body=e["body"])) for i, e in enumerate(batch)]

        yield outcomes()


def outbox(ray_calls: RayCalls, open_link: OpenLink | None) -> Outbox:
    return Outbox(ray_calls.deliver, ray_calls.deliver_one, unavailable, open_link)


async def test_the_outbox_sends_over_the_link_once_it_is_open(
    server: tuple[LinkServer, Handlers, tuple[str, int, bytes]],
) -> None:
    link_server, _, (host, port, token) = server
    ray_calls = RayCalls()

    async def open_it(on_lost: Callable[[Link], None]) -> Link:
        return await Link.open(host, port, token, unavailable, on_lost)

    box = outbox(ray_calls, open_it)
    first = [box.put(envelope(f"m{i}", f"a{i}")) for i in range(3)]  # wait for the link together
    assert [(await f)["body"]["payload"] for f in first] == [b'"m0"', b'"m1"', b'"m2"']
    assert (await box.put(envelope("alone", "b")))["body"]["payload"] == b'"alone"'
    assert link_server.counts["envelopes"] == 4 and link_server.counts["connections"] == 1
    assert ray_calls.calls == 0
    await box.close()


async def test_without_a_link_the_outbox_uses_ray_calls(
    server: tuple[LinkServer, Handlers, tuple[str, int, bytes]],
) -> None:
    link_server, _, _ = server
    ray_calls = RayCalls()

    async def none_offered(on_lost: Callable[[Link], None]) -> None:
        return None

    box = outbox(ray_calls, none_offered)
    assert (await box.put(envelope("one", "c")))["body"]["payload"] == b'"one"'
    assert (await box.put(envelope("two", "d")))["body"]["payload"] == b'"two"'
    assert ray_calls.calls == 2
    assert link_server.counts["envelopes"] == 0
    await box.close()


async def test_an_actor_unreachable_through_ray_fails_the_waiting_calls() -> None:
    async def actor_gone(on_lost: Callable[[Link], None]) -> Link:
        raise ConnectionRefusedError("the actor died")

    ray_calls = RayCalls()
    box = outbox(ray_calls, actor_gone)
    with pytest.raises(ConnectionAbortedError, match="echo/a: the actor died"):
        await box.put(envelope("x", "e"))
    assert ray_calls.calls == 0
    await box.close()


async def test_the_runtime_falls_back_to_ray_calls_when_the_address_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from flowgen.distributed.runtime import RayAgentRuntime

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = b"\x07" * 32

    class Handle:
        class open_link:  # mimics a Ray actor method
            @staticmethod
            async def remote() -> tuple[str, int, bytes]:
                return ("127.0.0.1", port, token)

    runtime = RayAgentRuntime()
    with caplog.at_level(logging.INFO, logger="flowgen.distributed.runtime"):
        assert await runtime._open_link(Handle(), "flowgen.x.echo.0", lambda _: None) is None
    assert "flowgen.x.echo.0" in caplog.text and "using Ray calls" in caplog.text
    assert token.hex() not in caplog.text and repr(token) not in caplog.text


async def test_after_a_failed_ray_call_the_outbox_asks_for_the_link_again() -> None:
    asked: list[int] = []

    async def none_offered(on_lost: Callable[[Link], None]) -> None:
        asked.append(1)

    class LostActor(RayCalls):
        async def deliver_one(self, envelope: Envelope) -> Outcome:
            self.calls += 1
            raise ConnectionResetError("the actor died")

    box = outbox(LostActor(), none_offered)
    with pytest.raises(ConnectionAbortedError, match="the actor died"):
        await box.put(envelope("x", "f"))
    assert len(asked) == 1
    with pytest.raises(ConnectionAbortedError):
        await box.put(envelope("y", "g"))  # a recreated actor may offer a link: asked again
    assert len(asked) == 2
    await box.close()


async def test_two_callers_opening_the_server_at_once_get_one_server() -> None:
    link_server = LinkServer(Handlers())
    first, second = await asyncio.gather(link_server.open("127.0.0.1"), link_server.open("127.0.0.1"))
    assert first == second
    await link_server.close()


async def test_a_progress_callback_that_raises_fails_its_own_call_only(
    server: tuple[LinkServer, Handlers, tuple[str, int, bytes]],
) -> None:
    _, _, address = server
    link = await open_link(address)

    def broken(chunk: bytes) -> None:
        raise KeyError("the caller's callback broke")

    hang = (envelope("hang", "h3"), asyncio.get_running_loop().create_future(), broken)
    other = queued("fine", "ok2")
    assert link.send([hang, other])
    with pytest.raises(KeyError, match="callback broke"):
        await hang[1]
    assert (await other[1])["body"]["payload"] == b'"fine"'
    assert link.up
    await link.close()
