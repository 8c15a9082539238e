"""Teams dumped by AutoGen 0.7.5 (kept as JSON next to this file) load and run in flowgen as in AutoGen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flowgen.core import load_component
from flowgen.errors import UntrustedSourceCodeError
from flowgen.teams import RoundRobinGroupChat, SelectorGroupChat
from flowgen.tools import StaticStreamWorkbench

HERE = Path(__file__).parent


def fixture(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text())  # type: ignore[no-any-return]


async def run_like_autogen(team: Any, recorded: dict[str, Any]) -> None:
    result = await team.run(task=recorded["task"])
    messages = [{"type": m.type, "source": m.source, "text": m.to_text()} for m in result.messages]
    assert messages == recorded["messages"]
    assert result.stop_reason == recorded["stop_reason"]


def test_a_config_carrying_source_code_is_refused_with_its_path() -> None:
    with pytest.raises(UntrustedSourceCodeError) as caught:
        load_component(fixture("autogen_round_robin.json"))
    assert str(caught.value).startswith(
        "config.participants[1].config.workbench[0].config.tools[0].config.source_code: "
    )
    assert "trust_source_code=True" in str(caught.value)


async def test_the_autogen_round_robin_team_loads_when_trusted_and_runs_as_in_autogen() -> None:
    team = load_component(fixture("autogen_round_robin.json"), trust_source_code=True)
    assert isinstance(team, RoundRobinGroupChat)
    checker = team.participants[1]
    assert isinstance(checker._workbenches[0], StaticStreamWorkbench)  # type: ignore[union-attr]
    await run_like_autogen(team, fixture("autogen_round_robin.run.json"))


async def test_the_autogen_selector_team_loads_and_runs_as_in_autogen() -> None:
    team = RoundRobinGroupChat.load_component  # the class-level loader checks the type ...
    with pytest.raises(
        ValueError, match="expected a RoundRobinGroupChat, but the config describes a SelectorGroupChat"
    ):
        team(fixture("autogen_selector.json"))
    selector = SelectorGroupChat.load_component(fixture("autogen_selector.json"))
    await run_like_autogen(selector, fixture("autogen_selector.run.json"))


def test_a_trusted_autogen_tool_dumps_back_with_its_source() -> None:
    team = load_component(fixture("autogen_round_robin.json"), trust_source_code=True)
    tool = team.dump_component().config["participants"][1]["config"]["workbench"][0]["config"]["tools"][0]
    assert tool["provider"] == "flowgen.tools.FunctionTool"
    assert tool["config"]["source_code"].startswith("def add(a: int, b: int) -> int:")


async def test_the_autogen_graph_flow_loads_and_runs_as_in_autogen() -> None:
    from flowgen.teams import GraphFlow

    flow = GraphFlow.load_component(fixture("autogen_graph_flow.json"))
    await run_like_autogen(flow, fixture("autogen_graph_flow.run.json"))
