"""``make demo`` prints the command serving its team; run as printed, it serves the demo's conversation."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from flowgen.client import AsyncClient
from flowgen.demo import ANSWER, TASK, main
from flowgen.testing.served_process import served_process

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def command(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The serve command the demo prints, split into words, from the repository root (as `make demo` runs)."""
    monkeypatch.chdir(ROOT)
    assert main([str(tmp_path / "demo")]) == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    (command,) = [line for line in lines if line.startswith("flowgen serve ")]
    return shlex.split(command)


async def test_the_printed_command_serves_the_demo_conversation(command: list[str]) -> None:
    files, store = command[2:3], command[command.index("--store") + 1]
    assert command[3:] == ["--store", store, "--insecure-no-auth"]
    with served_process(files, Path(store), "--insecure-no-auth") as server:
        async with AsyncClient(server.url) as client:
            agent = (await client.list_agents())[0]["name"]
            thread = (await client.create_thread())["thread_id"]
            paused = await client.wait_run(thread, agent, input=TASK)
            assert paused["stop_reason"] == "Handoff to user from billing detected."
            done = await client.wait_run(thread, agent, input=ANSWER)
    assert done["stop_reason"] == "Text 'TERMINATE' mentioned"
    reply, *_, last = done["messages"]
    assert (reply["type"], reply["source"], reply["target"]) == ("HandoffMessage", "user", "billing")
    assert reply["content"] == ANSWER and last["content"].startswith("Done: $20.00 is on its way back")
    assert any(
        m["type"] == "ToolCallSummaryMessage" and "refunded $20.00" in m["content"] for m in done["messages"]
    )
