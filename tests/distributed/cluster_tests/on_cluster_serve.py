"""``flowgen serve --workers ray``: the served teams' runs go to a RunPool's workers on the cluster.

Run inside the namespace by tests/distributed: the app is served in-process over httpx, as the
server's own tests do, with the pool the command makes.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowgen.checkpoint import SqliteCheckpointer
from flowgen.cli.serve_command import served_team, served_teams
from flowgen.distributed import RunPool
from flowgen.messages import BaseChatMessage
from flowgen.server import ServerSettings, create_app

ROOT = Path(__file__).resolve().parents[3]
TEAM_FILE = str(ROOT / "graphs" / "write_review.py")
TASK = "Write a haiku about autumn."
KEY = "key-pool-5d1e"


def comparable(messages: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(m["source"], m["type"], str(m.get("content"))) for m in messages]


@pytest.mark.asyncio
async def test_served_runs_go_to_the_pools_workers(tmp_path: Path) -> None:
    settings = ServerSettings(_env_file=None, api_keys=[KEY], store=str(tmp_path / "runs.db"))  # type: ignore[call-arg]
    teams = served_teams([TEAM_FILE], None, {})
    pool_teams = {"write_review": functools.partial(served_team, TEAM_FILE, None, {})}
    store = SqliteCheckpointer(settings.store)
    async with RunPool(pool_teams, store=settings.store, address="auto") as pool:
        app = create_app(teams, settings, store, pool=pool)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),  # it owns the runs and closes the thread directory
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            headers = {"X-API-Key": KEY}
            thread = (await client.post("/threads", headers=headers)).json()["thread_id"]
            response = await client.post(
                f"/threads/{thread}/runs/wait", headers=headers, json={"agent": "write_review", "input": TASK}
            )
            unknown = await client.post(
                f"/threads/{thread}/runs/wait", headers=headers, json={"agent": "nobody", "input": TASK}
            )
        assert pool.load()["finished"] == 1  # the run went to a worker, not this process
    assert response.status_code == 200, response.text
    body = response.json()
    reference = await teams["write_review"]().run(task=TASK)
    expected = [m.dump() for m in reference.messages]
    chat = [m.dump() for m in reference.messages if isinstance(m, BaseChatMessage)]
    assert comparable(body["messages"]) == comparable(chat)
    assert body["checkpoint_id"] == await store.head(thread) and body["stop_reason"] == reference.stop_reason
    snapshot = await store.get(thread)
    assert snapshot is not None and comparable(snapshot.messages) == comparable(expected)
    assert unknown.status_code == 404 and "write_review" in unknown.text
    await store.aclose()
