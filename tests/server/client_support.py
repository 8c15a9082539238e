"""Support for the client tests: an AsyncClient calling the test app in-process (httpx's ASGI transport)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from server_support import KEY_A, Gate, settings, teams

from flowgen.checkpoint import SqliteCheckpointer
from flowgen.client import AsyncClient
from flowgen.server import create_app
from flowgen.server.context import Context


@dataclass
class Calling:
    client: AsyncClient
    ctx: Context
    store: SqliteCheckpointer
    gate: Gate
    transport: httpx.ASGITransport


@contextlib.asynccontextmanager
async def calling(tmp_path: Path, key: str = KEY_A) -> AsyncIterator[Calling]:
    gate = Gate()
    config = settings(tmp_path)
    store = SqliteCheckpointer(config.store)
    app = create_app(teams(gate), config, store)
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            app.router.lifespan_context(app),  # it owns the runs and closes the thread directory
            AsyncClient("http://testserver", api_key=key, transport=transport) as client,
        ):
            yield Calling(client, app.state.flowgen, store, gate, transport)
    finally:
        await store.aclose()
