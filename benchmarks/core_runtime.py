"""The Core actor runtime side by side: flowgen.core vs autogen_core vs a bare asyncio floor.

    python -m benchmarks.core_runtime                    # 5 interleaved repeats, prints JSON
    python -m benchmarks.core_runtime --repeats 1 --sends 2000 --publishes 500    # a smoke run
    python -m benchmarks.core_runtime --child flowgen send 20000                   # one measurement

Two costs, each measured in a fresh process per (framework, repeat), frameworks interleaved:

- ``send``: one ``send_message`` round trip to a RoutedAgent whose handler returns its message
  (flowgen runs the handler in the caller's task: no queue, no future, no task).
- ``send_token``: the same with a fresh ``CancellationToken`` per send, as AgentChat code passes
  one: flowgen then runs the handler in a task of its own, which the token can cancel.
- ``publish``: one delivery of a published message to each of 10 subscribed agents (the time from
  the first publish until the runtime is idle, over publishes x 10).

Times are CPU time of the measuring process (``time.process_time``): the machine is shared, and a
single-threaded event loop's CPU time is its cost without the other tenants' share of the cores.

flowgen and AutoGen run literally the same program (:func:`_program`) with their own imports. The
floor is what asyncio alone costs for the same shape of work: for a send, one queue-served handler
task answering through a future; for a publish delivery, one queue item per subscriber served by
one handler task (``floor``), and, stricter still, one item per publish whose server awaits all 10
handlers in a row (``floor_batched``: no fan-out bookkeeping at all).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

SUBSCRIBERS = 10
FRAMEWORKS = ("flowgen", "autogen", "floor")


@dataclass
class Work:
    n: int


def _api(framework: str) -> SimpleNamespace:
    if framework == "flowgen":
        import flowgen.core as api
    else:
        import autogen_core as api  # type: ignore[no-redef]
    return SimpleNamespace(**{name: getattr(api, name) for name in dir(api) if not name.startswith("_")})


def _agent_classes(api: SimpleNamespace) -> tuple[type[Any], type[Any]]:
    class Trivial(api.RoutedAgent):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__("answers at once")

        @api.message_handler  # type: ignore[misc]
        async def on_work(self, message: Work, ctx: Any) -> Work:
            return message

    class Subscriber(api.RoutedAgent):  # type: ignore[name-defined,misc]
        received = 0

        def __init__(self) -> None:
            super().__init__("counts deliveries")

        @api.event  # type: ignore[misc]
        async def on_work(self, message: Work, ctx: Any) -> None:
            Subscriber.received += 1

    return Trivial, Subscriber


async def _send(framework: str, count: int, *, with_token: bool = False) -> float:
    api = _api(framework)
    trivial, _ = _agent_classes(api)
    runtime = api.SingleThreadedAgentRuntime()
    await trivial.register(runtime, "trivial", trivial)
    runtime.start()
    target = api.AgentId("trivial", "default")
    message = Work(1)
    for _ in range(200):  # warm: the agent exists, caches are filled
        await runtime.send_message(message, target)
    start = time.process_time()
    if with_token:  # a token per send, as AgentChat code passes: the handler gets a task of its own
        for _ in range(count):
            await runtime.send_message(message, target, cancellation_token=api.CancellationToken())
    else:
        for _ in range(count):
            await runtime.send_message(message, target)
    wall = time.process_time() - start
    await runtime.stop()
    return wall / count


async def _publish(framework: str, count: int) -> float:
    api = _api(framework)
    _, subscriber = _agent_classes(api)
    runtime = api.SingleThreadedAgentRuntime()
    for i in range(SUBSCRIBERS):
        await subscriber.register(runtime, f"sub{i}", subscriber, skip_direct_message_subscription=True)
        await runtime.add_subscription(api.TypeSubscription("work", f"sub{i}"))
    topic = api.TopicId("work", "default")
    message = Work(1)
    runtime.start()
    for _ in range(20):
        await runtime.publish_message(message, topic)
    await runtime.stop_when_idle()
    subscriber.received = 0
    runtime.start()
    start = time.process_time()
    for _ in range(count):
        await runtime.publish_message(message, topic)
    await runtime.stop_when_idle()
    wall = time.process_time() - start
    if subscriber.received != count * SUBSCRIBERS:
        raise AssertionError(f"{framework}: {subscriber.received} deliveries, expected {count * SUBSCRIBERS}")
    return wall / (count * SUBSCRIBERS)


async def _floor_send(count: int) -> float:
    queue: asyncio.Queue[tuple[Work, asyncio.Future[Work]]] = asyncio.Queue()

    async def handler(message: Work) -> Work:
        return message

    async def serve() -> None:
        while True:
            message, future = await queue.get()
            future.set_result(await handler(message))

    loop = asyncio.get_running_loop()
    async with asyncio.TaskGroup() as group:
        server = group.create_task(serve())
        message = Work(1)
        start = time.process_time()
        for _ in range(count):
            future: asyncio.Future[Work] = loop.create_future()
            queue.put_nowait((message, future))
            await future
        wall = time.process_time() - start
        server.cancel()
    return wall / count


async def _floor_publish(count: int, *, batched: bool = False) -> float:
    """One queue-served task delivering each (handler, message) item; ``batched``: one item per publish."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    received = 0

    async def handler(message: Work) -> None:
        nonlocal received
        received += 1

    handlers = [handler] * SUBSCRIBERS

    async def serve() -> None:
        while True:
            item = await queue.get()
            if batched:
                for each in handlers:
                    await each(item)
            else:
                await item[0](item[1])
            queue.task_done()

    async with asyncio.TaskGroup() as group:
        server = group.create_task(serve())
        message = Work(1)
        start = time.process_time()
        for _ in range(count):
            if batched:
                queue.put_nowait(message)
            else:
                for each in handlers:
                    queue.put_nowait((each, message))
        await queue.join()
        wall = time.process_time() - start
        server.cancel()
    if received != count * SUBSCRIBERS:
        raise AssertionError("floor lost deliveries")
    return wall / (count * SUBSCRIBERS)


def child(framework: str, what: str, count: int) -> dict[str, Any]:
    if framework == "floor":
        seconds = asyncio.run(_floor_send(count) if what == "send" else _floor_publish(count))
    elif framework == "floor_batched":
        seconds = asyncio.run(_floor_publish(count, batched=True))
    elif what == "send_token":
        seconds = asyncio.run(_send(framework, count, with_token=True))
    else:
        seconds = asyncio.run((_send if what == "send" else _publish)(framework, count))
    return {"framework": framework, "measure": what, "count": count, "us": seconds * 1e6}


def _spawn(framework: str, what: str, count: int) -> float:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.core_runtime", "--child", framework, what, str(count)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout)["us"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", nargs=3, metavar=("FRAMEWORK", "MEASURE", "COUNT"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sends", type=int, default=20_000)
    parser.add_argument("--publishes", type=int, default=2_000)
    args = parser.parse_args(argv)
    if args.child:
        framework, what, count = args.child
        print(json.dumps(child(framework, what, int(count))))
        return 0
    runs = {
        "send": FRAMEWORKS,
        "send_token": ("flowgen", "autogen"),
        "publish": (*FRAMEWORKS, "floor_batched"),
    }
    samples: dict[str, dict[str, list[float]]] = {m: {f: [] for f in fs} for m, fs in runs.items()}
    for _ in range(args.repeats):
        for what, count in (("send", args.sends), ("send_token", args.sends), ("publish", args.publishes)):
            for framework in runs[what]:
                # AutoGen is ~30x slower per message: fewer of them keep its runs short.
                n = max(count // 10, 200) if framework == "autogen" else count
                samples[what][framework].append(_spawn(framework, what, n))
    result: dict[str, Any] = {"subscribers": SUBSCRIBERS, "repeats": args.repeats}
    for what, by_framework in samples.items():
        medians = {f: statistics.median(v) for f, v in by_framework.items()}
        result[what] = {
            "us_median": {f: round(m, 3) for f, m in medians.items()},
            "us_min_max": {f: [round(min(v), 3), round(max(v), 3)] for f, v in by_framework.items()},
            **(
                {"flowgen_over_floor": round(medians["flowgen"] / medians["floor"], 2)}
                if "floor" in medians
                else {}
            ),
            **(
                {"flowgen_over_floor_batched": round(medians["flowgen"] / medians["floor_batched"], 2)}
                if "floor_batched" in medians
                else {}
            ),
            "autogen_over_flowgen": round(medians["autogen"] / medians["flowgen"], 1),
        }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
