"""Lone surrogates from a tool, a model or the user are repaired where they enter, for each provider.

After such text, the next request still encodes (the real SDK sends it), Console prints to a UTF-8
file, and the agent's state dumps to JSON and loads back.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from provider_kits import ProviderKit
from provider_server import ProviderServer
from rich.console import Console as RichConsole

from flowgen.agents import AssistantAgent, UserProxyAgent
from flowgen.messages import TextMessage
from flowgen.models import ChatCompletionClient
from flowgen.teams import RoundRobinGroupChat
from flowgen.ui import Console

FILE_NAME = os.fsdecode(b"report-\xff.txt")  # an undecodable byte, carried as U+DCFF
HALF_EMOJI = "\ud83d"  # the first half of U+1F600, as a cut UTF-16 string leaves it


def list_files() -> str:
    """The files in the folder."""
    return f"{FILE_NAME}, cut {HALF_EMOJI}"


@pytest.fixture
async def client(kit: ProviderKit, server: ProviderServer) -> AsyncIterator[ChatCompletionClient]:
    model_client = kit.make_client(server)
    yield model_client
    await model_client.close()


def _sent_text(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
async def test_surrogates_from_a_tool_and_a_model_do_not_wedge_the_agent(
    kit: ProviderKit, server: ProviderServer, client: ChatCompletionClient, stream: bool, tmp_path: Path
) -> None:
    said = "found \ud83d them"  # a model reply holding half an emoji (the JSON escape \\ud83d)
    reply = kit.streamed_text if stream else kit.text
    calls = kit.streamed_calls if stream else kit.calls
    server.script(calls([("call_1", "list_files", "{}")]), reply(said), reply("still fine"))
    agent = AssistantAgent(
        "clerk", client, tools=[list_files], reflect_on_tool_use=True, model_client_stream=stream
    )
    with (tmp_path / "console.txt").open("w", encoding="utf-8") as screen:
        result = await Console(agent.run_stream(task="List the files."), output=RichConsole(file=screen))
    assert result.messages[-1].to_text() == "found \ufffd them"
    # The tool's text reached the model repaired: the byte shown as \xff, the half as U+FFFD.
    assert kit.tool_results(server.requests[1].body) == [("call_1", "report-\\xff.txt, cut \ufffd")]
    printed = (tmp_path / "console.txt").read_text(encoding="utf-8")
    assert "found \ufffd them" in printed
    # The next run sends the whole history again, and the state dumps and loads.
    await agent.run(task="And now?")
    assert "found \ufffd them" in _sent_text(server.requests[2].body)
    state = json.dumps(await agent.save_state(), ensure_ascii=False).encode("utf-8")
    fresh = AssistantAgent("clerk", client, tools=[list_files])
    await fresh.load_state(json.loads(state))
    assert len(await fresh.model_context.get_messages()) == len(await agent.model_context.get_messages())


async def test_a_task_with_a_lone_surrogate_is_repaired(
    kit: ProviderKit, server: ProviderServer, client: ChatCompletionClient
) -> None:
    server.script(kit.text("ok"))
    team = RoundRobinGroupChat([AssistantAgent("helper", client)], max_turns=1)
    result = await team.run(task=f"summarise {FILE_NAME}")
    assert result.messages[0].to_text() == "summarise report-\\xff.txt"
    assert "summarise report-\\\\xff.txt" in _sent_text(server.requests[0].body)
    dumped = json.dumps((await team.save_state()), ensure_ascii=False, default=str).encode("utf-8")
    assert b"report-" in dumped


async def test_user_proxy_input_with_a_lone_surrogate_is_repaired() -> None:
    proxy = UserProxyAgent("human", input_func=lambda prompt: "yes \udcff")
    result = await proxy.run(task=TextMessage(content="Go \ud800?", source="user"))
    assert [m.to_text() for m in result.messages] == ["Go \ufffd?", "yes \\xff"]
    out = io.StringIO()
    json.dump(result.model_dump(mode="json"), out, ensure_ascii=False)
    out.getvalue().encode("utf-8")
