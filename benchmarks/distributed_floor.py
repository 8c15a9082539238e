"""The floor for messages between two processes: asyncio streams over a TCP socket on 127.0.0.1.

``python -m benchmarks.distributed_floor`` starts a server process and measures it the way the
runtimes are measured (benchmarks/distributed_workload.py), printing one JSON object. No runtime at
all: a frame is a 4-byte length and a JSON array ``[id, op, n]``; the server answers a send with
``[id, n]``, runs ten subscriber functions in a row for a publish (no reply), and answers a wait
once its deliveries reach a count. What any runtime that crosses processes this way must spend.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import time
from typing import Any

from benchmarks.distributed_workload import (
    FAN_OUT,
    PUBLISHES,
    memory_mb,
    pipelined_per_s,
    round_trip_ms,
)

_HEADER = 4


def _frame(value: Any) -> bytes:
    body = json.dumps(value).encode()
    return len(body).to_bytes(_HEADER, "big") + body


async def _read(reader: asyncio.StreamReader) -> Any:
    size = int.from_bytes(await reader.readexactly(_HEADER), "big")
    return json.loads(await reader.readexactly(size))


async def _serve(port: int) -> None:
    delivered = 0

    async def subscriber(n: int) -> None:
        nonlocal delivered
        delivered += 1

    subscribers = [subscriber] * FAN_OUT

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                ident, op, n = await _read(reader)
                if op == "send":
                    writer.write(_frame([ident, n]))
                elif op == "publish":
                    for each in subscribers:
                        await each(n)
                else:  # "wait": frames are handled in order, so every earlier publish is delivered
                    writer.write(_frame([ident, delivered]))

    server = await asyncio.start_server(connection, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


class _Client:
    """Replies matched to their requests by id, read by one task."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._waiting: dict[int, asyncio.Future[int]] = {}
        self._next = 0
        self.reading = asyncio.ensure_future(self._read_replies())

    async def _read_replies(self) -> None:
        while True:
            ident, value = await _read(self._reader)
            self._waiting.pop(ident).set_result(value)

    def request(self, op: str, n: int) -> asyncio.Future[int]:
        self._next += 1
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = future
        self._writer.write(_frame([self._next, op, n]))
        return future

    def publish(self, n: int) -> None:
        self._writer.write(_frame([0, "publish", n]))


async def _connect(port: int, deadline_s: float = 60.0) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.01)  # the server process is still starting: nothing to wait on


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _measure(launched: float) -> dict[str, Any]:
    port = _free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.distributed_floor", "--serve", str(port)
    )
    try:
        reader, writer = await _connect(port)
        client = _Client(reader, writer)
        await client.request("send", 0)
        out: dict[str, Any] = {"startup_to_first_reply_s": round(time.monotonic() - launched, 2)}

        async def send(n: int) -> int:
            return await client.request("send", n)

        out["round_trip_ms"] = await round_trip_ms(send)
        out["pipelined_messages_per_s"] = await pipelined_per_s(send)
        for i in range(PUBLISHES // 10):  # warm, as the runtimes are
            client.publish(i)
        before = await client.request("wait", 0)
        began = time.perf_counter()
        for i in range(PUBLISHES):
            client.publish(i)
        delivered = await client.request("wait", 0) - before
        out["fan_out_deliveries_per_s"] = round(PUBLISHES * FAN_OUT / (time.perf_counter() - began))
        if delivered != PUBLISHES * FAN_OUT:
            raise AssertionError(f"{delivered} deliveries, expected {PUBLISHES * FAN_OUT}")
        out.update(memory_mb([os.getpid(), server.pid]))
        client.reading.cancel()
        writer.close()
        return out
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.terminate()
        await server.wait()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        asyncio.run(_serve(int(sys.argv[2])))
        return
    launched = float(os.environ.get("FLOWGEN_BENCH_LAUNCHED_AT", time.monotonic()))
    print(json.dumps({"framework": "asyncio_socket_floor", **asyncio.run(_measure(launched))}))


if __name__ == "__main__":
    main()
