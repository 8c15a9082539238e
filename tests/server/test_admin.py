"""Admin keys see every thread; no key (API or model) ever shows in a response or a log line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_support import KEY_A, KEY_B, LEAKED_KEY, TASK, Served
from thread_support import ADMIN_KEY, refused, serving_with, stored

from flowgen.checkpoint import MemoryCheckpointer
from flowgen.server import ServerSettings, create_app


@pytest.fixture
async def served(tmp_path: Path) -> Any:
    async with serving_with(tmp_path, admin_api_keys=[ADMIN_KEY]) as running:
        yield running


async def new(served: Served, key: str, thread_id: str) -> str:
    response = await served.client.post(
        "/threads", headers=served.headers(key), json={"thread_id": thread_id}
    )
    assert response.status_code == 201, response.text
    return thread_id


async def test_an_admin_key_sees_every_thread(served: Served) -> None:
    await new(served, KEY_A, "of-a")
    await new(served, KEY_B, "of-b")
    admin = served.headers(ADMIN_KEY)
    listed = (await served.client.get("/threads", headers=admin)).json()["threads"]
    assert [t["thread_id"] for t in listed] == ["of-b", "of-a"]
    found = (await served.client.post("/threads/search", headers=admin, json={})).json()["threads"]
    assert [t["thread_id"] for t in found] == ["of-b", "of-a"]
    assert (await served.client.get("/threads/of-a", headers=admin)).status_code == 200
    run = await served.client.post(
        "/threads/of-a/runs/wait", headers=admin, json={"agent": "write_review", "input": TASK}
    )
    assert run.status_code == 200
    mine = (await served.client.get("/threads", headers=served.headers(KEY_A))).json()["threads"]
    assert [t["thread_id"] for t in mine] == ["of-a"]  # an ordinary key still sees only its own


async def test_an_admin_copy_belongs_to_the_admin_and_admin_can_delete(served: Served) -> None:
    await new(served, KEY_A, "of-a")
    admin = served.headers(ADMIN_KEY)
    copied = await served.client.post("/threads/of-a/copy", headers=admin, json={"thread_id": "admins"})
    assert copied.status_code == 201
    refused(await served.client.get("/threads/admins", headers=served.headers(KEY_A)), 404, "unknown_thread")
    assert (await served.client.delete("/threads/of-a", headers=admin)).status_code == 204
    refused(await served.client.get("/threads/of-a", headers=served.headers(KEY_A)), 404, "unknown_thread")


async def test_ordinary_keys_cannot_reach_each_others_threads(served: Served) -> None:
    await new(served, KEY_A, "of-a")
    before = await stored(served)
    other = served.headers(KEY_B)
    for method, path in [
        ("GET", "/threads/of-a"),
        ("DELETE", "/threads/of-a"),
        ("POST", "/threads/of-a/copy"),
    ]:
        refused(await served.client.request(method, path, headers=other), 404, "unknown_thread")
    assert (await served.client.post("/threads/search", headers=other, json={})).json() == {"threads": []}
    assert await stored(served) == before


async def test_admin_keys_alone_start_a_server(tmp_path: Path) -> None:
    config = ServerSettings(_env_file=None, admin_api_keys=[ADMIN_KEY], store=str(tmp_path / "r.db"))  # type: ignore[arg-type]
    app = create_app({"x": lambda: None}, config, MemoryCheckpointer())  # type: ignore[dict-item]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/threads", headers={"X-API-Key": ADMIN_KEY})).status_code == 200
        assert (await client.get("/threads", headers={"X-API-Key": "nope"})).status_code == 401
    await app.state.flowgen.directory.aclose()


def test_admin_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWGEN_ADMIN_API_KEYS", "adm1, adm2")
    config = ServerSettings(_env_file=None)
    assert [k.get_secret_value() for k in config.admin_api_keys] == ["adm1", "adm2"]
    assert "adm1" not in repr(config) and "adm1" not in config.model_dump_json()


async def test_no_key_in_any_response_or_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [KEY_A, KEY_B, ADMIN_KEY, LEAKED_KEY]
    seen: list[httpx.Response] = []
    async with serving_with(
        tmp_path, admin_api_keys=[ADMIN_KEY], rate_limit_per_minute=60, rate_limit_burst=40
    ) as served:
        client = served.client
        for key in (KEY_A, ADMIN_KEY, "wrong-" + KEY_A):
            headers = {"X-API-Key": key}
            seen += [
                await client.get(path, headers=headers)
                for path in ("/agents", "/threads", "/openapi.json", "/ready")
            ]
        thread = (
            await client.post("/threads", headers=served.headers(), json={"metadata": {"a": 1}})
        ).json()["thread_id"]
        for agent in ("write_review", "broken"):  # broken's model error quotes a model key
            made = await client.post("/threads", headers=served.headers(), json={"thread_id": agent})
            seen.append(made)
            for mode in ("wait", "stream"):
                seen.append(await client.post(f"/threads/{agent}/runs/{mode}", headers=served.headers(),
                                              json={"agent": agent, "input": TASK}))  # fmt: skip
        seen.append(await client.get(f"/threads/{thread}", headers=served.headers()))
        seen.append(await client.get(f"/threads/{thread}/history", headers=served.headers()))
        seen.append(await client.post("/threads/search", headers=served.headers(ADMIN_KEY), json={}))
        seen.append(await client.post(f"/threads/{thread}/copy", headers=served.headers(), json={}))
        seen.append(await client.delete(f"/threads/{thread}", headers=served.headers()))
        while (limited := await client.get("/agents", headers=served.headers(KEY_B))).status_code != 429:
            assert len(seen) < 200
            seen.append(limited)
        seen.append(limited)
    assert any("the model is down" in r.text for r in seen)  # the failure was reported, redacted
    for response in seen:
        shown = response.text + " ".join(f"{k}: {v}" for k, v in response.headers.items())
        assert not [s for s in secrets if s in shown], (response.request.url, shown[:300])
    logged = caplog.text + " ".join(repr(r.args) for r in caplog.records)
    assert caplog.records and not [s for s in secrets if s in logged]
    kept = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("runs.db"))
    assert b"flowgen_server_threads" in kept and not [s for s in secrets if s.encode() in kept]


def test_serve_flags_become_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from flowgen.cli.app import parser
    from flowgen.cli.serve_command import settings_from

    monkeypatch.setenv("FLOWGEN_RATE_LIMIT_BURST", "7")
    monkeypatch.setenv("FLOWGEN_MODEL", "openai:gpt-4o-mini")
    args = parser().parse_args(
        ["serve", "graphs/write_review.py", "--api-key", "k", "--admin-api-key", "adm",
         "--rate-limit-per-minute", "30", "--max-input-chars", "500", "--no-metrics",
         "--store", "postgresql://u@127.0.0.1/db"]
    )  # fmt: skip
    config = settings_from(args)
    assert [k.get_secret_value() for k in config.admin_api_keys] == ["adm"]
    assert (config.rate_limit_per_minute, config.burst, config.max_input_chars) == (30, 7, 500)
    assert config.metrics_enabled is False and config.store.startswith("postgresql://")
    assert config.model == "openai:gpt-4o-mini"  # what serve builds the teams with when --model is absent
    defaults = settings_from(parser().parse_args(["serve", "graphs/write_review.py"]))
    assert defaults.metrics_enabled is True and defaults.rate_limit_per_minute == 0


async def test_metrics_can_be_turned_off(tmp_path: Path) -> None:
    async with serving_with(tmp_path, metrics_enabled=False) as served:
        off = await served.client.get("/metrics", headers=served.headers())
        assert "metrics_enabled=false" in refused(off, 404, "metrics_off")
        assert (await served.client.get("/metrics")).status_code == 401


def test_the_serve_banner_hides_a_store_password() -> None:
    from flowgen.cli.serve_command import shown_store

    shown = shown_store("postgresql://app:s3cr3t@db:5432/flowgen")
    assert "s3cr3t" not in shown and shown.endswith("@db:5432/flowgen")
    assert shown_store("postgresql://app@db/flowgen") == "postgresql://app@db/flowgen"
    assert shown_store("runs.db") == "runs.db"
