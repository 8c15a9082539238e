"""McpWorkbench and mcp_server_tools over streamable HTTP, against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest
from mcp_server_support import start_http_server, stop_http_server

from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination
from flowgen.core import CancellationToken, FunctionCall
from flowgen.messages import ToolCallExecutionEvent
from flowgen.models import CreateResult, ModelInfo, ReplayChatCompletionClient, RequestUsage
from flowgen.teams import RoundRobinGroupChat
from flowgen.tools.mcp import (
    McpWorkbench,
    StreamableHttpMcpToolAdapter,
    StreamableHttpServerParams,
    mcp_server_tools,
)

CAPABLE = ModelInfo(
    vision=False, function_calling=True, json_output=True, family="unknown", structured_output=True
)


def tool_call(name: str, arguments: str) -> CreateResult:
    return CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id=f"call_{name}", name=name, arguments=arguments)],
        usage=RequestUsage(prompt_tokens=1, completion_tokens=1),
    )


async def test_a_call_over_http_sends_the_headers(http_params: StreamableHttpServerParams) -> None:
    async with McpWorkbench(http_params) as workbench:
        added = await workbench.call_tool("add", {"a": 5, "b": 6})
        auth = await workbench.call_tool("header", {"name": "Authorization"})
    assert added.to_text() == "11"
    assert auth.to_text() == "Bearer s3cret-token"


def test_headers_never_show_in_repr(http_params: StreamableHttpServerParams) -> None:
    shown = repr(http_params) + str(http_params) + repr(McpWorkbench(http_params).server_params)
    assert "s3cret" not in shown and "Authorization" in shown


async def test_a_slow_tool_and_cancellation_over_http(http_params: StreamableHttpServerParams) -> None:
    async with McpWorkbench(http_params, call_timeout=0.3) as workbench:
        timed_out = await workbench.call_tool("slow_echo", {"text": "x", "seconds": 30})
    assert timed_out.is_error and "did not answer within 0.3 s" in timed_out.to_text()
    async with McpWorkbench(http_params) as workbench:
        token = CancellationToken()
        call = asyncio.ensure_future(workbench.call_tool("block", {}, token))
        assert (await workbench.call_tool("blocked")).to_text() == "blocking"
        token.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert (await workbench.call_tool("block_cancelled")).to_text() == "cancelled"


async def test_an_http_server_exiting_mid_call_is_an_error_result_not_a_hang() -> None:
    process, port = start_http_server()
    try:
        params = StreamableHttpServerParams(url=f"http://127.0.0.1:{port}/mcp")
        async with McpWorkbench(params) as workbench:
            crashed = await workbench.call_tool("crash")
            after = await workbench.call_tool("add", {"a": 1, "b": 1})
    finally:
        stop_http_server(process)
    assert crashed.is_error and "during the call to 'crash'" in crashed.to_text()
    assert "restarting it failed" in crashed.to_text()
    assert after.is_error and "could not connect" in after.to_text()


async def test_mcp_server_tools_are_tools_for_an_agent(http_params: StreamableHttpServerParams) -> None:
    tools = await mcp_server_tools(http_params)
    add = next(t for t in tools if t.name == "add")
    assert isinstance(add, StreamableHttpMcpToolAdapter)
    model = ReplayChatCompletionClient([tool_call("add", '{"a": 20, "b": 22}')], model_info=CAPABLE)
    result = await AssistantAgent("calc", model, tools=[add]).run(task="20+22?")
    assert result.messages[-1].to_text() == "42"


async def test_an_mcp_tool_used_by_a_team(http_params: StreamableHttpServerParams) -> None:
    trip = '{"trip": {"traveller": "Ada", "stops": [{"city": "Oslo", "nights": 2}]}}'
    async with McpWorkbench(http_params) as workbench:
        planner = AssistantAgent(
            "planner",
            ReplayChatCompletionClient([tool_call("plan_trip", trip)], model_info=CAPABLE),
            workbench=workbench,
        )
        writer = AssistantAgent("writer", ReplayChatCompletionClient(["Enjoy Oslo, Ada."]))
        team = RoundRobinGroupChat([planner, writer], termination_condition=MaxMessageTermination(3))
        result = await team.run(task="Plan my trip.")
    executed = next(m for m in result.messages if isinstance(m, ToolCallExecutionEvent))
    assert not executed.content[0].is_error
    assert '"cities": [\n    "Oslo"\n  ]' in executed.content[0].content
    assert [
        m.source
        for m in result.messages
        if m.type != "ToolCallRequestEvent" and m.type != "ToolCallExecutionEvent"
    ] == [
        "user",
        "planner",
        "writer",
    ]


async def test_a_server_over_sse() -> None:
    from flowgen.tools.mcp import SseServerParams

    process, port = start_http_server("sse")
    try:
        params = SseServerParams(url=f"http://127.0.0.1:{port}/sse", headers={"X-Api-Key": "k-123"})
        async with McpWorkbench(params) as workbench:
            names = [t["name"] for t in await workbench.list_tools()]
            added = await workbench.call_tool("add", {"a": 1, "b": 2})
            key = await workbench.call_tool("header", {"name": "X-Api-Key"})
    finally:
        stop_http_server(process)
    assert "plan_trip" in names
    assert (added.to_text(), key.to_text()) == ("3", "k-123")


async def test_mcp_server_tools_dump_and_load_as_components(
    http_params: StreamableHttpServerParams, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowgen.core import CancellationToken, dump_component, load_component
    from flowgen.errors import ComponentConfigError

    tools = {t.name: t for t in await mcp_server_tools(http_params)}
    with pytest.raises(ComponentConfigError, match="held by no environment variable"):
        dump_component(tools["header"])
    monkeypatch.setenv("MCP_TEST_TOKEN", "s3cret-token")
    dumped = dump_component(tools["header"])
    assert dumped.provider == "flowgen.tools.mcp.StreamableHttpMcpToolAdapter"
    assert dumped.config["server_params"]["headers"] == {
        "Authorization": {"$env": "MCP_TEST_TOKEN", "prefix": "Bearer "}
    }
    assert "s3cret" not in dumped.model_dump_json()
    loaded = load_component(dumped)
    assert dump_component(loaded) == dumped
    result = await loaded.run_json({"name": "Authorization"}, CancellationToken())
    assert loaded.return_value_as_string(result) == "Bearer s3cret-token"
