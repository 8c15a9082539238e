"""``/metrics`` (on only with telemetry, key required) and CORS for the configured origins only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_support import KEY_A, TASK, Gate, Served, new_thread, settings, teams

from flowgen import telemetry
from flowgen.checkpoint import MemoryCheckpointer
from flowgen.server import create_app


@pytest.fixture
def metrics_on() -> Iterator[None]:
    telemetry.instrument(tracing=False, prometheus=True)
    yield
    telemetry.uninstrument()


async def test_metrics_off_is_a_clear_404(served: Served) -> None:
    response = await served.client.get("/metrics", headers=served.headers())
    assert response.status_code == 404
    assert "telemetry on" in response.json()["error"]["message"]


@pytest.mark.usefixtures("metrics_on")
async def test_metrics_count_a_served_run(served: Served) -> None:
    assert (await served.client.get("/metrics")).status_code == 401
    thread = await new_thread(served)
    run = await served.client.post(
        f"/threads/{thread}/runs/wait",
        headers=served.headers(),
        json={"agent": "write_review", "input": TASK},
    )
    assert run.status_code == 200
    response = await served.client.get("/metrics", headers=served.headers())
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert "flowgen_agent_turn_duration_seconds" in response.text
    assert KEY_A not in response.text


async def test_cors_allows_only_the_configured_origins(tmp_path: Path) -> None:
    config = settings(tmp_path, allowed_origins=["http://ui.example"])
    app = create_app(teams(Gate()), config, MemoryCheckpointer())
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "X-API-Key"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        good = await client.options("/threads", headers={"Origin": "http://ui.example", **preflight})
        bad = await client.options("/threads", headers={"Origin": "http://evil.example", **preflight})
    app.state.flowgen.directory.close()
    assert good.status_code == 200 and good.headers["access-control-allow-origin"] == "http://ui.example"
    assert "access-control-allow-origin" not in bad.headers
