"""AutoGen's gRPC worker runtime (autogen-ext[grpc] 0.7.5), measured like flowgen's Ray runtime.

``python -m benchmarks.distributed_grpc`` is the driver: it starts a GrpcWorkerAgentRuntimeHost
process and a GrpcWorkerAgentRuntime process hosting the agents (an echo agent, ten subscribers and
a tally), connects its own GrpcWorkerAgentRuntime (the second worker), all on 127.0.0.1, and prints
one JSON object: time from launch to the first reply, send_message round trip, pipelined
messages/s, publish deliveries/s to ten subscribers in the other worker, and the memory of the
three processes. Every message crosses the host: driver -> host -> worker -> host -> driver.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any

from autogen_core import MessageContext, RoutedAgent, event, message_handler

from benchmarks.distributed_workload import (
    FAN_OUT,
    PUBLISHES,
    memory_mb,
    pipelined_per_s,
    round_trip_ms,
)

READY = "worker ready"


@dataclass
class Ping:
    n: int


@dataclass
class Pong:
    n: int


@dataclass
class WaitFor:
    total: int


class _Tally:
    """Deliveries counted in the worker, and the callers waiting for a count."""

    count = 0
    waiters: list[tuple[int, asyncio.Future[int]]] = []

    @classmethod
    def add(cls) -> None:
        cls.count += 1
        for total, future in list(cls.waiters):
            if cls.count >= total and not future.done():
                future.set_result(cls.count)


class Echo(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("echo")

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
        return Pong(message.n)


class Subscriber(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("counts deliveries")

    @event
    async def on_ping(self, message: Ping, ctx: MessageContext) -> None:
        _Tally.add()


class Tally(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("answers once the deliveries reach a count")

    @message_handler
    async def on_wait(self, message: WaitFor, ctx: MessageContext) -> Pong:
        if _Tally.count >= message.total:
            return Pong(_Tally.count)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        _Tally.waiters.append((message.total, future))
        return Pong(await future)


def _serializers() -> list[Any]:
    from autogen_core import try_get_known_serializers_for_type

    return [s for cls in (Ping, Pong, WaitFor) for s in try_get_known_serializers_for_type(cls)]


def _wait_for_port(port: int, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.01)  # polling a port another process is opening: nothing to wait on
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {deadline_s:.0f} s")


async def _serve_host(port: int) -> None:
    from autogen_ext.runtimes.grpc import GrpcWorkerAgentRuntimeHost

    host = GrpcWorkerAgentRuntimeHost(address=f"127.0.0.1:{port}")
    host.start()
    await asyncio.Event().wait()  # until the driver terminates this process


async def _serve_worker(port: int) -> None:
    from autogen_core import TypeSubscription
    from autogen_ext.runtimes.grpc import GrpcWorkerAgentRuntime

    _wait_for_port(port)
    runtime = GrpcWorkerAgentRuntime(host_address=f"127.0.0.1:{port}")
    runtime.add_message_serializer(_serializers())
    await runtime.start()
    await Echo.register(runtime, "echo", Echo)
    await Tally.register(runtime, "tally", Tally)
    for k in range(FAN_OUT):
        await Subscriber.register(runtime, f"sub{k}", Subscriber)
        await runtime.add_subscription(TypeSubscription("all", f"sub{k}"))
    print(READY, flush=True)
    await asyncio.Event().wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _measure(launched: float) -> dict[str, Any]:
    from autogen_core import AgentId, TopicId
    from autogen_ext.runtimes.grpc import GrpcWorkerAgentRuntime

    port = _free_port()
    me = [sys.executable, "-m", "benchmarks.distributed_grpc"]
    host = await asyncio.create_subprocess_exec(*me, "--host", str(port))
    worker = await asyncio.create_subprocess_exec(*me, "--worker", str(port), stdout=asyncio.subprocess.PIPE)
    runtime: Any = None
    try:
        await asyncio.to_thread(_wait_for_port, port)
        runtime = GrpcWorkerAgentRuntime(host_address=f"127.0.0.1:{port}")
        runtime.add_message_serializer(_serializers())
        await runtime.start()
        assert worker.stdout is not None
        while (await worker.stdout.readline()).decode().strip() != READY:
            if worker.returncode is not None:
                raise RuntimeError("the agents' worker exited before it was ready")
        echo = AgentId("echo", "a")
        await runtime.send_message(Ping(0), echo)
        out: dict[str, Any] = {"startup_to_first_reply_s": round(time.monotonic() - launched, 2)}

        async def send(n: int) -> int:
            reply: Pong = await runtime.send_message(Ping(n), echo)
            return reply.n

        out["round_trip_ms"] = await round_trip_ms(send)
        out["pipelined_messages_per_s"] = await pipelined_per_s(send)
        tally, topic, warm = AgentId("tally", "a"), TopicId("all", "bench"), PUBLISHES // 10
        for i in range(warm):  # warm: every subscriber and the tally exist before timing
            await runtime.publish_message(Ping(i), topic)
        await runtime.send_message(WaitFor(warm * FAN_OUT), tally)
        began = time.perf_counter()
        for i in range(PUBLISHES):
            await runtime.publish_message(Ping(i), topic)
        await runtime.send_message(WaitFor((warm + PUBLISHES) * FAN_OUT), tally)
        out["fan_out_deliveries_per_s"] = round(PUBLISHES * FAN_OUT / (time.perf_counter() - began))
        out.update(memory_mb([os.getpid(), host.pid, worker.pid]))
        return out
    finally:
        if runtime is not None:
            await runtime.stop()
        for process in (host, worker):
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        await host.wait()
        await worker.wait()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] in ("--host", "--worker"):
        serve = _serve_host if sys.argv[1] == "--host" else _serve_worker
        asyncio.run(serve(int(sys.argv[2])))
        return
    launched = float(os.environ.get("FLOWGEN_BENCH_LAUNCHED_AT", time.monotonic()))
    result = asyncio.run(_measure(launched))
    print(json.dumps({"framework": "autogen_grpc", **result}))


if __name__ == "__main__":
    main()
