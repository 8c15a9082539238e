"""A text reply to a thread that handed off to the person goes back, as a handoff, to the agent that asked."""

from __future__ import annotations

from pathlib import Path

import httpx

from flowgen.checkpoint import SqliteCheckpointer
from flowgen.client import AsyncClient
from flowgen.server import ServerSettings, create_app
from graphs import support_swarm

ANSWER = "Yes please, refund the duplicate."


async def test_a_reply_after_a_handoff_to_the_user_resumes_the_swarm(tmp_path: Path) -> None:
    settings = ServerSettings(_env_file=None, api_keys=["k"], store=str(tmp_path / "runs.db"))
    store = SqliteCheckpointer(settings.store)
    app = create_app({"support": support_swarm.build}, settings, store)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        AsyncClient("http://t", api_key="k", transport=transport) as client,
    ):
        thread = (await client.create_thread())["thread_id"]
        paused = await client.wait_run(thread, "support", input=support_swarm.TASK)
        asked = paused["messages"][-1]
        assert (asked["type"], asked["source"], asked["target"]) == ("HandoffMessage", "billing", "user")
        done = await client.wait_run(thread, "support", input=ANSWER)
        assert done["stop_reason"] == "Text 'TERMINATE' mentioned"
        reply = done["messages"][0]
        assert (reply["type"], reply["source"], reply["target"], reply["content"]) == (
            "HandoffMessage", "user", "billing", ANSWER,
        )  # fmt: skip
        again = await client.wait_run(thread, "support", input="Thanks!")  # no handoff pending: plain text
        assert again["messages"][0]["type"] == "TextMessage"
    await store.aclose()
