"""When the process hosting an agent dies mid-call: AutoGen's gRPC worker runtime vs flowgen on Ray.

    python -m benchmarks.distributed_faults [--wait 15]     # ≈1 min; prints one JSON object

Both sides host a counter agent (three increments before the fault) and a slow handler in another
process, start a send to the slow handler, SIGKILL the hosting process while the handler runs, and
report what the caller sees, within ``--wait`` seconds each:

- AutoGen (GrpcWorkerAgentRuntimeHost + a worker process + the caller's worker, on 127.0.0.1): the
  in-flight send; the same after its CancellationToken is cancelled; then a fresh worker process
  registers the same agents and the caller sends again, and asks the counter for its count.
- flowgen (RayAgentRuntime on a two-node cluster, the agents in one actor on the worker node with
  ``Placement(keep_state=True)``): the in-flight send, a send right after the fault (the actor is
  being recreated), then sends to the counter until the recreated actor serves one, and its count.

Nothing here is timed for speed: the figures are how long the caller waits for an answer or an error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import autogen_core as ag

import flowgen.core as fg

READY, HANDLING = "worker ready", "handling"
ON_WORKER = {"worker_node": 0.01}
SLOW_S = 30.0  # the slow handler's own work: far longer than any wait here


@dataclass
class Increment:
    by: int


@dataclass
class Count:
    value: int


@dataclass
class Slow:
    seconds: float


@dataclass
class Started:
    pass


def _outcome(task: asyncio.Task[Any], waited: float) -> str:
    if not task.done():
        return f"still pending after {waited:.0f} s"
    if task.cancelled():
        return "cancelled"
    error = task.exception()
    return f"answered {task.result()!r}" if error is None else f"raised {type(error).__name__}: {error}"


def _count_after(task: asyncio.Task[Any], out: dict[str, Any]) -> None:
    """The counter's answer after the restart: 4 if its three increments survived, 1 if they were lost."""
    if task.done() and not task.cancelled() and task.exception() is None:
        out["count_after_restart"] = task.result().value
        out["state_kept"] = out["count_after_restart"] == out["count_before_fault"] + 1


async def _settle(task: asyncio.Task[Any], wait: float) -> tuple[str, float | None]:
    """Wait at most ``wait`` seconds for ``task``; what it came to and when (None: still pending)."""
    began = time.monotonic()
    await asyncio.wait([task], timeout=wait)
    took = round(time.monotonic() - began, 2) if task.done() else None
    return _outcome(task, wait), took


# ---------------------------------------------------------------- AutoGen's gRPC worker runtime


class Counter(ag.RoutedAgent):
    def __init__(self) -> None:
        super().__init__("counts")
        self.value = 0

    @ag.message_handler
    async def on_increment(self, message: Increment, ctx: ag.MessageContext) -> Count:
        self.value += message.by
        return Count(self.value)


class Sleeper(ag.RoutedAgent):
    def __init__(self) -> None:
        super().__init__("works slowly")

    @ag.message_handler
    async def on_slow(self, message: Slow, ctx: ag.MessageContext) -> Count:
        print(HANDLING, flush=True)
        await asyncio.sleep(message.seconds)
        return Count(0)


def _autogen_serializers() -> list[Any]:
    from autogen_core import try_get_known_serializers_for_type

    return [s for cls in (Increment, Count, Slow) for s in try_get_known_serializers_for_type(cls)]


async def _autogen_worker(port: int) -> None:
    from autogen_ext.runtimes.grpc import GrpcWorkerAgentRuntime

    from benchmarks.distributed_grpc import _wait_for_port

    _wait_for_port(port)
    runtime = GrpcWorkerAgentRuntime(host_address=f"127.0.0.1:{port}")
    runtime.add_message_serializer(_autogen_serializers())
    await runtime.start()
    await Counter.register(runtime, "counter", Counter)
    await Sleeper.register(runtime, "sleeper", Sleeper)
    print(READY, flush=True)
    await asyncio.Event().wait()


async def _line(process: asyncio.subprocess.Process, expected: str) -> None:
    assert process.stdout is not None
    while (await process.stdout.readline()).decode().strip() != expected:
        if process.returncode is not None:
            raise RuntimeError(f"the worker exited before printing {expected!r}")


async def _autogen(wait: float) -> dict[str, Any]:
    from autogen_core import AgentId, CancellationToken
    from autogen_ext.runtimes.grpc import GrpcWorkerAgentRuntime

    from benchmarks.distributed_grpc import _free_port, _wait_for_port

    port = _free_port()
    me = [sys.executable, "-m", "benchmarks.distributed_faults"]
    # The host logs a traceback for every call it can no longer answer: kept out of this report.
    host = await asyncio.create_subprocess_exec(
        *me, "--grpc-host", str(port), stderr=asyncio.subprocess.DEVNULL
    )
    workers = [
        await asyncio.create_subprocess_exec(*me, "--grpc-worker", str(port), stdout=asyncio.subprocess.PIPE)
    ]
    runtime = GrpcWorkerAgentRuntime(host_address=f"127.0.0.1:{port}")
    out: dict[str, Any] = {}
    try:
        await asyncio.to_thread(_wait_for_port, port)
        runtime.add_message_serializer(_autogen_serializers())
        await runtime.start()
        await _line(workers[0], READY)
        counter = AgentId("counter", "a")
        for _ in range(3):
            count = await runtime.send_message(Increment(1), counter)
        out["count_before_fault"] = count.value
        token = CancellationToken()
        in_flight = asyncio.ensure_future(
            runtime.send_message(Slow(SLOW_S), AgentId("sleeper", "a"), cancellation_token=token)
        )
        await _line(workers[0], HANDLING)
        workers[0].send_signal(signal.SIGKILL)
        await workers[0].wait()
        out["in_flight_send"], out["in_flight_send_settled_after_s"] = await _settle(in_flight, wait)
        token.cancel()
        out["after_token_cancelled"], _ = await _settle(in_flight, wait)
        workers.append(
            await asyncio.create_subprocess_exec(
                *me, "--grpc-worker", str(port), stdout=asyncio.subprocess.PIPE
            )
        )
        await _line(workers[1], READY)
        again = asyncio.ensure_future(runtime.send_message(Increment(1), counter))
        out["send_after_worker_restarted"], out["send_after_restart_settled_after_s"] = await _settle(
            again, wait
        )
        _count_after(again, out)
        for task in (in_flight, again):
            task.cancel()
        return out
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(runtime.stop(), 10)
        for process in (host, *workers):
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


# ---------------------------------------------------------------- flowgen on Ray


class Keeper(fg.RoutedAgent):
    def __init__(self) -> None:
        super().__init__("counts, and works slowly when asked")
        self.value = 0
        self.started = False

    @fg.message_handler
    async def on_increment(self, message: Increment, ctx: fg.MessageContext) -> Count:
        self.value += message.by
        return Count(self.value)

    @fg.message_handler
    async def on_slow(self, message: Slow, ctx: fg.MessageContext) -> Count:
        self.started = True
        await asyncio.sleep(message.seconds)
        return Count(0)

    @fg.message_handler
    async def on_started(self, message: Started, ctx: fg.MessageContext) -> Count:
        return Count(os.getpid() if self.started else 0)

    async def save_state(self) -> dict[str, Any]:
        return {"value": self.value}

    async def load_state(self, state: Any) -> None:
        self.value = int(state["value"])


async def _flowgen_inner(wait: float) -> dict[str, Any]:
    from benchmarks.distributed_ray import _connect
    from flowgen.core import AgentId
    from flowgen.distributed import Placement, RayAgentRuntime
    from flowgen.errors import AgentUnavailableError

    _connect()
    runtime = RayAgentRuntime(placements={"keeper": Placement(resources=ON_WORKER, keep_state=True)})
    runtime.start()
    await Keeper.register(runtime, "keeper", Keeper, skip_direct_message_subscription=True)
    agent = AgentId("keeper", "a")
    out: dict[str, Any] = {}
    for _ in range(3):
        count = await runtime.send_message(Increment(1), agent)
    out["count_before_fault"] = count.value
    in_flight = asyncio.ensure_future(runtime.send_message(Slow(SLOW_S), agent))
    pid = 0
    while not pid:  # the slow handler has started in the actor (and says where it runs)
        pid = (await runtime.send_message(Started(), agent)).value
    os.kill(pid, signal.SIGKILL)
    out["in_flight_send"], out["in_flight_send_settled_after_s"] = await _settle(in_flight, wait)
    again = asyncio.ensure_future(runtime.send_message(Increment(1), agent))
    out["send_right_after_fault"], out["send_right_after_fault_settled_after_s"] = await _settle(again, wait)
    _count_after(again, out)
    for task in (in_flight, again):
        task.cancel()
    # Unless that send was served already, send again (each failure is quick) until the actor Ray
    # recreates serves one, within the wait.
    began, attempts = time.monotonic(), 0
    while "count_after_restart" not in out and time.monotonic() - began < wait:
        attempts += 1
        try:
            count = await runtime.send_message(Increment(1), agent)
        except AgentUnavailableError:
            continue
        out["served_again_after_s"], out["attempts"] = round(time.monotonic() - began, 2), attempts
        out["count_after_restart"] = count.value
        out["state_kept"] = count.value == out["count_before_fault"] + 1
        break
    await runtime.close()
    return out


def _flowgen(wait: float) -> dict[str, Any]:
    from flowgen.testing.ray_cluster import run_on_local_cluster

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="flowgen-ray-faults-") as workdir:
        done = run_on_local_cluster(
            [sys.executable, "-m", "benchmarks.distributed_faults", "--ray-inner", str(wait)],
            workdir=Path(workdir),
            pythonpath=[str(root)],
        )
    if done.returncode != 0:
        raise RuntimeError(f"the cluster run failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--grpc-host":
        from benchmarks.distributed_grpc import _serve_host

        asyncio.run(_serve_host(int(sys.argv[2])))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--grpc-worker":
        asyncio.run(_autogen_worker(int(sys.argv[2])))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--ray-inner":
        # Through the module's import name, so the actor unpickles Keeper by reference.
        from benchmarks import distributed_faults

        print(json.dumps(asyncio.run(distributed_faults._flowgen_inner(float(sys.argv[2])))))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wait", type=float, default=15.0, help="seconds to wait for each outcome")
    parser.add_argument("--only", choices=("autogen_grpc", "flowgen_ray"))
    args = parser.parse_args()
    out: dict[str, Any] = {"wait_s": args.wait}
    if args.only in (None, "autogen_grpc"):
        out["autogen_grpc"] = asyncio.run(_autogen(args.wait))
    if args.only in (None, "flowgen_ray"):
        out["flowgen_ray"] = _flowgen(args.wait)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
