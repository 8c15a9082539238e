"""Support for the server tests: an app serving the offline write/review team, over httpx in-process.

``gated`` is a one-agent team whose model waits for the test to open a gate, so a run can be held
in progress while the test sends a second request.
"""

from __future__ import annotations

import asyncio
import contextlib
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
class Served:
    client: httpx.AsyncClient
    ctx: Context
    store: SqliteCheckpointer
    gate: Gate

    def headers(self, key: str = KEY_A) -> dict[str, str]:
        return {"X-API-Key": key}


#: A key an SDK error quotes back: it must never reach a response.
LEAKED_KEY = "sk-proj-abcdefghijklmnopqrstuvwx1234"


def teams(gate: Gate) -> dict[str, Callable[[], Team]]:
    def gated() -> Team:
        agent = AssistantAgent("worker", model_client=FunctionChatCompletionClient(gate.reply))
        return RoundRobinGroupChat([agent], max_turns=1, name="gated")

    def broken() -> Team:
        def fail(messages: object, info: object) -> str:
            raise RuntimeError(f"the model is down (it rejected {LEAKED_KEY})")

        agent = AssistantAgent("worker", model_client=FunctionChatCompletionClient(fail))
        return RoundRobinGroupChat([agent], max_turns=1, name="broken")

    return {"write_review": write_review.build, "gated": gated, "broken": broken}


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
    gate = Gate()
    config = settings(tmp_path, **overrides)
    store = SqliteCheckpointer(config.store)
    app = create_app(teams(gate), config, store)
    ctx: Context = app.state.flowgen
    transport = httpx.ASGITransport(app=app)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield Served(client, ctx, store, gate)
    finally:
        await store.aclose()


TASK = "Write a haiku about autumn."


async def new_thread(served: Served, key: str | None = None) -> str:
    response = await served.client.post("/threads", headers=served.headers(*([key] if key else [])))
    assert response.status_code == 201, response.text
    thread_id: str = response.json()["thread_id"]
    return thread_id
