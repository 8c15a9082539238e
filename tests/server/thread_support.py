"""Support for the thread, admin, rate-limit and Postgres tests: an app built with chosen settings.

``stored`` reads everything the server keeps through public calls only (the checkpoint store and the
thread directory), so the same check works over SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
from server_support import Gate, Served, settings, teams

from flowgen.checkpoint.protocol import Checkpointer
from flowgen.server import create_app
from flowgen.server.context import Context
from flowgen.server.store_url import open_store

ADMIN_KEY = "admin-key-77e1c4"


@contextlib.asynccontextmanager
async def serving_with(
    tmp_path: Path, *, clock: Callable[[], float] | None = None, **overrides: object
) -> AsyncIterator[Served]:
    """An app over ``overrides`` (settings) with its own store, its lifespan running; closed afterwards."""
    gate = Gate()
    config = settings(tmp_path, **overrides)
    store: Checkpointer = open_store(config.store)
    app = create_app(teams(gate), config, store, clock=clock)
    ctx: Context = app.state.flowgen
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            app.router.lifespan_context(app),  # it owns the runs and closes the thread directory
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            yield Served(client, ctx, store, gate)  # type: ignore[arg-type]
    finally:
        await store.aclose()


async def stored(served: Served) -> tuple[Any, ...]:
    """The store's threads and checkpoints, and the directory's rows (owners and metadata)."""
    threads = await served.store.threads()
    checkpoints = {
        t.thread_id: [c.checkpoint_id async for c in served.store.history(t.thread_id)] for t in threads
    }
    rows = await served.ctx.directory.listing(None)
    return [t.model_dump() for t in threads], checkpoints, [r.model_dump() for r in rows]


def refused(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    message: str = error["message"]
    return message
