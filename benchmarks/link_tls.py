"""What TLS costs on the direct link: plaintext against mutual TLS, over 127.0.0.1, in one process.

    python -m benchmarks.link_tls [--repeats 5] [--round-trips 2000] [--messages 5000]

Both ends (the host actor's LinkServer with an echoing stand-in for its handlers, and the driver's
Link) run in one event loop, so the figures are the CPU both ends spend per message, without Ray
or a second process: a round trip (one message in flight) and pipelined throughput (100 in
flight). TLS uses a throwaway CA and node certificate (flowgen.testing.throwaway_tls), as a cluster
running Ray with ``RAY_USE_TLS`` would. Plain and TLS runs alternate; medians, with min and max.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowgen.distributed.link import Link, Queued
from flowgen.distributed.link_server import LinkServer
from flowgen.distributed.link_tls import LinkTls
from flowgen.distributed.wire import Body, Envelope, Outcome
from flowgen.testing.throwaway_tls import make_authority, make_node_files

_IN_FLIGHT = 100


class Echo:
    """The handlers' stand-in: every envelope is answered at once with its own body."""

    node = "bench"

    def start(
        self, index: int, envelope: Envelope, push: Callable[[int, bytes], None]
    ) -> asyncio.Future[tuple[int, Outcome]]:
        done: asyncio.Future[tuple[int, Outcome]] = asyncio.get_running_loop().create_future()
        done.set_result((index, Outcome(body=envelope["body"])))
        return done

    async def cancel(self, message_id: str) -> bool:
        return False


def _envelope(n: int) -> Envelope:
    body = Body(type_name="__json__", content_type="application/json", payload=b'{"text": "hello there"}')
    return Envelope(rpc=True, recipient="echo/a", sender=None, topic=None, message_id=str(n), body=body)


def _queued(n: int) -> Queued:
    return _envelope(n), asyncio.get_running_loop().create_future(), None


def _failed(exc: BaseException, envelope: Envelope) -> BaseException:
    return exc


async def _measure(tls: LinkTls | None, round_trips: int, messages: int) -> dict[str, float]:
    server = LinkServer(Echo())
    host, port, token = await server.open("127.0.0.1", tls.server_context() if tls else None)
    started = time.perf_counter()
    link = await Link.open(host, port, token, _failed, lambda _: None, tls.client_context() if tls else None)
    first = [_queued(-1)]
    link.send(first)
    await first[0][1]  # the handshake and the token are behind us
    connect_ms = (time.perf_counter() - started) * 1e3
    started = time.perf_counter()
    for n in range(round_trips):
        one = [_queued(n)]
        link.send(one)
        await one[0][1]
    round_trip_ms = (time.perf_counter() - started) * 1e3 / round_trips
    started = time.perf_counter()
    for first_n in range(0, messages, _IN_FLIGHT):
        batch = [_queued(n) for n in range(first_n, first_n + _IN_FLIGHT)]
        link.send(batch)
        await asyncio.gather(*(future for _, future, _ in batch))
    per_second = messages / (time.perf_counter() - started)
    await link.close()
    await server.close()
    return {"connect_ms": connect_ms, "round_trip_ms": round_trip_ms, "pipelined_per_s": per_second}


def _summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    return {
        key: {
            "median": round(statistics.median(r[key] for r in runs), 4),
            "min": round(min(r[key] for r in runs), 4),
            "max": round(max(r[key] for r in runs), 4),
        }
        for key in runs[0]
    }


async def _main(repeats: int, round_trips: int, messages: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        ca = make_authority(Path(folder), "ca")
        cert, key = make_node_files(Path(folder), "node", ca)
        tls = LinkTls(cert=str(cert), key=str(key), ca=str(ca.path))
        plain: list[dict[str, float]] = []
        secure: list[dict[str, float]] = []
        for _ in range(repeats):
            plain.append(await _measure(None, round_trips, messages))
            secure.append(await _measure(tls, round_trips, messages))
    out = {"plain": _summary(plain), "tls": _summary(secure)}
    out["tls_over_plain"] = {
        key: round(out["tls"][key]["median"] / out["plain"][key]["median"], 3) for key in out["plain"]
    }
    out["settings"] = {
        "repeats": repeats,
        "round_trips": round_trips,
        "messages": messages,
        "in_flight": _IN_FLIGHT,
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--round-trips", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_main(args.repeats, args.round_trips, args.messages)), indent=2))


if __name__ == "__main__":
    main()
