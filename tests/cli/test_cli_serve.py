"""``flowgen serve``: refusals before serving, and a real uvicorn server run, streamed from and stopped."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path

import httpx
import pytest
from cli_support import CLI, GRAPHS, REPO

KEY = "serve-test-key-7d1e"


@pytest.fixture(autouse=True)
def no_server_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "FLOWGEN_API_KEYS",
        "FLOWGEN_HOST",
        "FLOWGEN_PORT",
        "FLOWGEN_STORE",
        "FLOWGEN_INSECURE_NO_AUTH",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's is read


def test_serving_without_keys_is_refused(cli: CLI, example: object) -> None:
    outcome = cli("serve", GRAPHS / "write_review.py", "--store", "runs.db")
    assert outcome.status == 1
    assert "--api-key" in outcome.output and "--insecure-no-auth" in outcome.output


def test_no_auth_away_from_loopback_is_refused(cli: CLI) -> None:
    outcome = cli("serve", GRAPHS / "write_review.py", "--insecure-no-auth", "--host", "0.0.0.0")
    assert outcome.status == 1 and "only on 127.0.0.1" in outcome.output


def test_a_ready_made_team_is_refused(cli: CLI, tmp_path: Path) -> None:
    source = tmp_path / "ready.py"
    source.write_text(
        "from flowgen.agents import AssistantAgent\n"
        "from flowgen.models import ReplayChatCompletionClient\n"
        "from flowgen.teams import RoundRobinGroupChat\n"
        "team = RoundRobinGroupChat([AssistantAgent('a', model_client=ReplayChatCompletionClient(['x']))])\n"
    )
    outcome = cli("serve", source, "--api-key", KEY)
    assert outcome.status == 1 and "def build(model_client=None)" in outcome.output


def test_two_teams_of_one_name_are_refused(cli: CLI) -> None:
    outcome = cli("serve", GRAPHS / "write_review.py", GRAPHS / "write_review.py", "--api-key", KEY)
    assert outcome.status == 1 and "FILE:NAME" in outcome.output


async def test_a_real_server_streams_a_run_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "FLOWGEN_API_KEYS": KEY}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "flowgen.cli", "serve", str(GRAPHS / "write_review.py"),
        "--port", "0", "--store", str(tmp_path / "runs.db"),
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    try:
        async with asyncio.timeout(60):
            port = None
            while port is None:
                line = (await proc.stderr.readline()).decode()
                assert line, "the server exited before listening"
                found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
                port = int(found.group(1)) if found else None
            headers = {"X-API-Key": KEY}
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                thread = (await client.post("/threads", headers=headers)).json()["thread_id"]
                body = {"agent": "write_review", "input": "Write a haiku about autumn."}
                kinds = []
                async with client.stream(
                    "POST", f"/threads/{thread}/runs/stream", headers=headers, json=body
                ) as r:
                    assert r.status_code == 200
                    async for line in r.aiter_lines():
                        if line.startswith("event:"):
                            kinds.append(line.split(":", 1)[1].strip())
                        if line.startswith("data:") and kinds[-1] == "end":
                            end = json.loads(line.split(":", 1)[1])
                assert kinds[-1] == "end" and kinds.count("message") >= 2
                assert end["stop_reason"] and end["thread_id"] == thread
                history = (await client.get(f"/threads/{thread}/history", headers=headers)).json()
                assert history["checkpoints"][0]["checkpoint_id"] == end["checkpoint_id"]
                assert (await client.get("/agents")).status_code == 401
            proc.send_signal(signal.SIGTERM)
            rest = (await proc.stderr.read()).decode()
            status = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert status in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in rest
    assert KEY not in rest
