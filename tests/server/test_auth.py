"""Security on by default: keys required, compared by hash, never echoed; no-auth only on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from server_support import KEY_A, Gate, Served, settings, teams

from flowgen.checkpoint import MemoryCheckpointer
from flowgen.errors import ConfigurationError
from flowgen.server import ServerSettings, create_app
from flowgen.server.api_keys import ApiKeys


async def test_health_and_ready_need_no_key(served: Served) -> None:
    assert (await served.client.get("/health")).json() == {"status": "ok"}
    ready = await served.client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "store": "ok",
        "agent:broken": "ok",
        "agent:gated": "ok",
        "agent:stepped": "ok",
        "agent:write_review": "ok",
    }


async def test_missing_key_is_401(served: Served) -> None:
    response = await served.client.get("/agents")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_api_key"
    assert "X-API-Key" in response.json()["error"]["message"]


async def test_wrong_key_is_401_and_not_echoed(served: Served) -> None:
    response = await served.client.get("/agents", headers={"X-API-Key": "guess-123"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "wrong_api_key"
    assert "guess-123" not in response.text


async def test_right_key_lists_agents(served: Served) -> None:
    response = await served.client.get("/agents", headers=served.headers())
    assert response.status_code == 200
    agents = {a["name"]: a for a in response.json()["agents"]}
    assert sorted(agents) == ["broken", "gated", "stepped", "write_review"]
    assert agents["write_review"]["participants"] == ["writer", "critic"]
    assert KEY_A not in response.text


async def test_graph_as_json(served: Served) -> None:
    response = await served.client.get("/agents/write_review/graph", headers=served.headers())
    graph = response.json()
    names = {n["name"] for n in graph["nodes"]}
    assert {"writer", "critic"} <= names
    assert all({"source", "target", "kind", "label"} <= set(e) for e in graph["edges"])
    missing = await served.client.get("/agents/nope/graph", headers=served.headers())
    assert missing.status_code == 404 and "write_review" in missing.json()["error"]["message"]


async def test_header_name_is_configurable(tmp_path: Path) -> None:
    import httpx

    app = create_app(
        teams(Gate()), settings(tmp_path, api_key_header="Authorization-Key"), MemoryCheckpointer()
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/agents", headers={"X-API-Key": KEY_A})).status_code == 401
        assert (await client.get("/agents", headers={"Authorization-Key": KEY_A})).status_code == 200
    app.state.flowgen.directory.close()


def test_no_keys_refuses_to_build(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="--api-key"):
        create_app(teams(Gate()), settings(tmp_path, api_keys=[]), MemoryCheckpointer())


def test_no_auth_only_on_loopback(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"only on 127\.0\.0\.1"):
        create_app(
            teams(Gate()),
            settings(tmp_path, api_keys=[], insecure_no_auth=True, host="0.0.0.0"),
            MemoryCheckpointer(),
        )


async def test_no_auth_on_loopback_serves_anyone(tmp_path: Path) -> None:
    import httpx

    app = create_app(
        teams(Gate()), settings(tmp_path, api_keys=[], insecure_no_auth=True), MemoryCheckpointer()
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/agents")).status_code == 200
    app.state.flowgen.directory.close()


def test_keys_from_environment_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWGEN_API_KEYS", "one, two,,three")
    monkeypatch.setenv("FLOWGEN_ALLOWED_ORIGINS", "http://a.example")
    config = ServerSettings(_env_file=None)
    assert [k.get_secret_value() for k in config.api_keys] == ["one", "two", "three"]
    assert config.allowed_origins == ["http://a.example"]
    assert "'one'" not in repr(config)  # a shown key would be quoted ("None" holds "one")


def test_keys_kept_only_as_digests() -> None:
    keys = ApiKeys(["plain-secret"])
    assert "plain-secret" not in repr(keys)
    assert all("plain-secret" not in d for d in keys._digests)
    assert keys.owner_of("plain-secret") is not None
    assert keys.owner_of("plain-secre") is None


def test_settings_read_a_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWGEN_API_KEYS", raising=False)
    (tmp_path / ".env").write_text(
        "FLOWGEN_API_KEYS=from-dotenv\nFLOWGEN_PORT=9001\nFLOWGEN_LOG_LEVEL=DEBUG\n"
    )
    monkeypatch.chdir(tmp_path)
    config = ServerSettings()
    assert [k.get_secret_value() for k in config.api_keys] == ["from-dotenv"]
    assert (config.port, config.log_level) == (9001, "debug")
