"""Support for the server tests: an app serving the offline write/review team, over httpx in-process.

``gated`` is a one-agent team whose model waits for the test to open a gate, so a run can be held
in progress while the test sends a second request.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from flowgen.agents import AssistantAgent
from flowgen.base import Team
from flowgen.checkpoint import SqliteCheckpointer
from flowgen.models import FunctionChatCompletionClient
from flowgen.server import ServerSettings, create_app
from flowgen.server.context import Context
from flowgen.teams import RoundRobinGroupChat
from graphs import write_review

KEY_A = "key-a-3f9c2e"
KEY_B = "key-b-81d0aa"


@dataclass
class Gate:
    """Holds the ``gated`` team's model call until :meth:`open`; ``called`` is set when it is waiting."""

    called: asyncio.Event = field(default_factory=asyncio.Event)
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    async def reply(self, messages: object, info: object) -> str:
        self.called.set()
        await self.opened.wait()
        return "done"


@dataclass
class Stepper:
    """Holds each of the ``stepped`` team's model calls until :meth:`step` lets one through."""

    tokens: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(0))

    def step(self, count: int = 1) -> None:
        for _ in range(count):
            self.tokens.release()

    def agent(self, name: str) -> AssistantAgent:
        async def reply(messages: list[object], info: object) -> str:
            await self.tokens.acquire()
            return f"{name} speaks after {len(messages)} messages"

        return AssistantAgent(name, model_client=FunctionChatCompletionClient(reply))


#: The ``stepped`` team's run: its task, then this many replies.
STEPPED_TURNS = 6


@dataclass
class Served:
    client: httpx.AsyncClient
    ctx: Context
    store: SqliteCheckpointer
    gate: Gate
    stepper: Stepper = field(default_factory=Stepper)

    def headers(self, key: str = KEY_A) -> dict[str, str]:
        return {"X-API-Key": key}


#: A key an SDK error quotes back: it must never reach a response.
LEAKED_KEY = "sk-proj-abcdefghijklmnopqrstuvwx1234"


def teams(gate: Gate, stepper: Stepper | None = None) -> dict[str, Callable[[], Team]]:
    steps = stepper or Stepper()

    def gated() -> Team:
        agent = AssistantAgent("worker", model_client=FunctionChatCompletionClient(gate.reply))
        return RoundRobinGroupChat([agent], max_turns=1, name="gated")

    def broken() -> Team:
        def fail(messages: object, info: object) -> str:
            raise RuntimeError(f"the model is down (it rejected {LEAKED_KEY})")

        agent = AssistantAgent("worker", model_client=FunctionChatCompletionClient(fail))
        return RoundRobinGroupChat([agent], max_turns=1, name="broken")

    def stepped() -> Team:
        agents = [steps.agent("first"), steps.agent("second")]
        return RoundRobinGroupChat(agents, max_turns=STEPPED_TURNS, name="stepped")

    return {"write_review": write_review.build, "gated": gated, "broken": broken, "stepped": stepped}


def settings(tmp_path: Path, **overrides: object) -> ServerSettings:
    values: dict[str, object] = {
        "api_keys": [KEY_A, KEY_B],
        "store": str(tmp_path / "runs.db"),
        "max_body_bytes": 4096,
    }
    values.update(overrides)
    return ServerSettings(_env_file=None, **values)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, **overrides: object) -> AsyncIterator[Served]:
    """The app in-process, its lifespan running (it owns the runs), reached over httpx."""
    gate, stepper = Gate(), Stepper()
    config = settings(tmp_path, **overrides)
    store = SqliteCheckpointer(config.store)
    app = create_app(teams(gate, stepper), config, store)
    ctx: Context = app.state.flowgen
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            yield Served(client, ctx, store, gate, stepper)
    finally:
        await store.aclose()


@contextlib.asynccontextmanager
async def serving_live(tmp_path: Path, **overrides: object) -> AsyncIterator[Served]:
    """The app on a real uvicorn server on 127.0.0.1 (a free port), in this event loop."""
    import uvicorn

    gate, stepper = Gate(), Stepper()
    config = settings(tmp_path, **overrides)
    store = SqliteCheckpointer(config.store)
    app = create_app(teams(gate, stepper), config, store)
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(server.serve(sockets=[listening]))
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                    yield Served(client, app.state.flowgen, store, gate, stepper)
            finally:
                server.should_exit = True
    finally:
        listening.close()
        await store.aclose()


TASK = "Write a haiku about autumn."


async def new_thread(served: Served, key: str | None = None) -> str:
    response = await served.client.post("/threads", headers=served.headers(*([key] if key else [])))
    assert response.status_code == 201, response.text
    thread_id: str = response.json()["thread_id"]
    return thread_id


PING = {":": "ping"}


class SseReader:
    """Reads an SSE response one event at a time (and, when asked, each heartbeat as :data:`PING`)."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()
        self.pings = 0

    async def next(self, pings: bool = False) -> dict[str, str] | None:
        """The next event's fields, or None at the end of the stream."""
        fields: dict[str, str] = {}
        async for line in self._lines:
            if not line:
                if fields:
                    return fields
            elif line.startswith(":"):
                self.pings += line == ": ping"
                if pings and not fields:
                    return PING
            else:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        return fields or None

    async def rest(self) -> list[dict[str, str]]:
        events = []
        while (event := await self.next()) is not None:
            events.append(event)
        return events
