"""McpWorkbench over stdio, against flowgen.testing.mcp_server spawned as a real process."""

from __future__ import annotations

import asyncio

import pytest

from flowgen.core import CancellationToken
from flowgen.errors import McpServerError
from flowgen.tools import ToolOverride
from flowgen.tools.mcp import McpWorkbench, StdioServerParams


async def test_lists_the_server_tools_with_their_nested_schemas_whole(
    stdio_params: StdioServerParams,
) -> None:
    async with McpWorkbench(stdio_params) as workbench:
        tools = {t["name"]: t for t in await workbench.list_tools()}
    assert {"add", "slow_echo", "fail", "crash", "plan_trip"} <= set(tools)
    plan = tools["plan_trip"]["parameters"]
    assert plan["properties"]["trip"] == {"$ref": "#/$defs/Trip"}
    assert plan["$defs"]["Trip"]["properties"]["stops"]["items"] == {"$ref": "#/$defs/Stop"}
    assert plan["$defs"]["Stop"]["required"] == ["city", "nights"]


async def test_a_call_returns_text_and_keeps_structured_content(stdio_params: StdioServerParams) -> None:
    trip = {"traveller": "Ada", "stops": [{"city": "Oslo", "nights": 2}, {"city": "Bergen", "nights": 1}]}
    async with McpWorkbench(stdio_params) as workbench:
        added = await workbench.call_tool("add", {"a": 2, "b": 40})
        planned = await workbench.call_tool("plan_trip", {"trip": trip})
    assert (added.to_text(), added.is_error) == ("42", False)
    assert planned.structured_content == {"traveller": "Ada", "cities": ["Oslo", "Bergen"], "nights": 3}


async def test_a_raising_tool_is_an_error_result_with_its_message(stdio_params: StdioServerParams) -> None:
    async with McpWorkbench(stdio_params) as workbench:
        result = await workbench.call_tool("fail", {"reason": "no milk"})
        after = await workbench.call_tool("add", {"a": 1, "b": 1})
    assert result.is_error and "refused: no milk" in result.to_text()
    assert after.to_text() == "2"


async def test_arguments_failing_the_schema_are_an_error_result(stdio_params: StdioServerParams) -> None:
    async with McpWorkbench(stdio_params) as workbench:
        result = await workbench.call_tool(
            "plan_trip", {"trip": {"traveller": "Ada", "stops": [{"city": 1}]}}
        )
    assert result.is_error


async def test_a_slow_tool_within_the_timeout_answers(stdio_params: StdioServerParams) -> None:
    async with McpWorkbench(stdio_params, call_timeout=30) as workbench:
        result = await workbench.call_tool("slow_echo", {"text": "late", "seconds": 0.5})
    assert (result.to_text(), result.is_error) == ("late", False)


async def test_a_tool_slower_than_the_timeout_is_an_error_result_and_the_server_goes_on(
    stdio_params: StdioServerParams,
) -> None:
    async with McpWorkbench(stdio_params, call_timeout=0.3) as workbench:
        result = await workbench.call_tool("slow_echo", {"text": "late", "seconds": 30})
        after = await workbench.call_tool("add", {"a": 1, "b": 2})
    assert result.is_error and "did not answer within 0.3 s" in result.to_text()
    assert after.to_text() == "3"


async def test_cancellation_stops_the_call_here_and_on_the_server(stdio_params: StdioServerParams) -> None:
    async with McpWorkbench(stdio_params) as workbench:
        token = CancellationToken()
        call = asyncio.ensure_future(workbench.call_tool("block", {}, token))
        assert (await workbench.call_tool("blocked")).to_text() == "blocking"
        token.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert (await workbench.call_tool("block_cancelled")).to_text() == "cancelled"


async def test_a_server_exiting_mid_call_is_an_error_result_and_is_restarted_once(
    stdio_params: StdioServerParams,
) -> None:
    async with McpWorkbench(stdio_params) as workbench:
        crashed = await workbench.call_tool("crash")
        after = await workbench.call_tool("add", {"a": 1, "b": 2})
    assert crashed.is_error
    assert "closed the connection during the call to 'crash'; it was restarted" in crashed.to_text()
    assert after.to_text() == "3"


async def test_a_server_that_cannot_start_is_a_clear_error() -> None:
    params = StdioServerParams(command="/nonexistent/mcp-server", args=["--flag"])
    with pytest.raises(
        McpServerError, match="could not connect to the MCP stdio server '/nonexistent/mcp-server --flag'"
    ):
        await McpWorkbench(params).start()


async def test_a_call_to_a_server_that_cannot_start_is_an_error_result() -> None:
    result = await McpWorkbench(StdioServerParams(command="/nonexistent/mcp-server")).call_tool("add", {})
    assert result.is_error and "could not connect" in result.to_text()


async def test_tool_overrides_rename_for_the_model_and_route_back(stdio_params: StdioServerParams) -> None:
    overrides = {"add": ToolOverride(name="plus", description="Sum two numbers.")}
    async with McpWorkbench(stdio_params, tool_overrides=overrides) as workbench:
        names = [t["name"] for t in await workbench.list_tools()]
        result = await workbench.call_tool("plus", {"a": 3, "b": 4})
    assert "plus" in names and "add" not in names
    assert (result.name, result.to_text()) == ("plus", "7")


async def test_resources_templates_and_prompts(stdio_params: StdioServerParams) -> None:
    async with McpWorkbench(stdio_params) as workbench:
        resources = await workbench.list_resources()
        templates = await workbench.list_resource_templates()
        today = await workbench.read_resource("notes://today")
        monday = await workbench.read_resource("notes://monday")
        prompts = await workbench.list_prompts()
        prompt = await workbench.get_prompt("review", {"code": "x = 1"})
    assert [str(r.uri) for r in resources.resources] == ["notes://today"]
    assert [t.uri_template for t in templates.resource_templates] == ["notes://{day}"]
    assert today.contents[0].text == "Buy milk."  # type: ignore[union-attr]
    assert monday.contents[0].text == "Notes for monday."  # type: ignore[union-attr]
    assert [p.name for p in prompts.prompts] == ["review"]
    assert "x = 1" in prompt.messages[0].content.text  # type: ignore[union-attr]


async def test_env_reaches_the_server_but_never_state_or_repr(stdio_params: StdioServerParams) -> None:
    params = stdio_params.model_copy(
        update={"env": {**(stdio_params.env or {}), "API_KEY": "sk-very-secret"}}
    )
    async with McpWorkbench(params) as workbench:
        seen = await workbench.call_tool("env", {"name": "API_KEY"})
        state = await workbench.save_state()
    assert seen.to_text() == "sk-very-secret"
    assert "sk-very-secret" not in repr(state) + repr(params) + str(params) + repr(workbench.server_params)


async def test_stop_ends_the_server_process(stdio_params: StdioServerParams) -> None:
    workbench = McpWorkbench(stdio_params)
    await workbench.start()
    await workbench.stop()
    await workbench.stop()  # a second stop does nothing
    result = await workbench.call_tool("add", {"a": 1, "b": 1})  # and a later call connects again
    await workbench.stop()
    assert result.to_text() == "2"


async def test_an_unexpected_exception_in_a_tool_is_an_error_result(stdio_params: StdioServerParams) -> None:
    async with McpWorkbench(stdio_params) as workbench:
        result = await workbench.call_tool("explode")
    assert result.is_error and "explode" in result.to_text()


async def test_a_server_killed_between_turns_is_restarted_for_the_next_listing(
    stdio_params: StdioServerParams,
) -> None:
    import os
    import signal

    async with McpWorkbench(stdio_params) as workbench:
        first = int((await workbench.call_tool("pid")).to_text())
        os.kill(first, signal.SIGKILL)
        names = [t["name"] for t in await workbench.list_tools()]
        second = int((await workbench.call_tool("pid")).to_text())
    assert "add" in names
    assert second != first


async def test_cancelling_a_start_leaves_no_server_behind(stdio_params: StdioServerParams) -> None:
    workbench = McpWorkbench(stdio_params)
    starting = asyncio.ensure_future(workbench.start())
    await asyncio.sleep(0)  # let the start begin spawning (a scheduling step, not a wait for time)
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
    assert [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("mcp ")] == []
    async with workbench:  # and it can start again afterwards
        assert (await workbench.call_tool("add", {"a": 1, "b": 1})).to_text() == "2"
