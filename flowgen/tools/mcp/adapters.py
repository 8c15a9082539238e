"""MCP tools as single BaseTools (AutoGen's ``mcp_server_tools`` and tool adapters).

An adapter's call opens a connection to the server for that call and closes it afterwards, unless
it shares an open McpWorkbench; an agent that uses a server for more than a call or two is better
served by ``workbench=McpWorkbench(...)``, which keeps one connection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from flowgen.core import CancellationToken
from flowgen.errors import ToolError
from flowgen.models.types import ToolSchema
from flowgen.tools.base import BaseTool
from flowgen.tools.mcp.params import McpServerParams, SseServerParams, StdioServerParams
from flowgen.tools.mcp.workbench import McpWorkbench
from flowgen.tools.workbench import ToolResult


class _McpArguments(BaseModel):
    model_config = ConfigDict(extra="allow")


class McpToolError(ToolError):
    """An MCP tool answered with an error result; the message is its text."""


class McpToolAdapter(BaseTool[_McpArguments, ToolResult]):
    """One tool of an MCP server; the server checks the arguments against its schema."""

    def __init__(
        self, server_params: McpServerParams, schema: ToolSchema, workbench: McpWorkbench | None = None
    ):
        self._server_params = server_params
        self._workbench = workbench
        self._args_type = _McpArguments
        self._return_type = ToolResult
        self._name = schema["name"]
        self._description = schema.get("description", "")
        self._strict = False
        self._schema = schema

    @property
    def server_params(self) -> McpServerParams:
        return self._server_params

    async def run(self, args: _McpArguments, cancellation_token: CancellationToken) -> ToolResult:
        return await self.run_json(args.model_dump(), cancellation_token)

    async def run_json(
        self, args: Mapping[str, Any], cancellation_token: CancellationToken, call_id: str | None = None
    ) -> ToolResult:
        if self._workbench is not None:
            result = await self._workbench.call_tool(self._name, args, cancellation_token, call_id)
        else:
            async with McpWorkbench(self._server_params) as workbench:
                result = await workbench.call_tool(self._name, args, cancellation_token, call_id)
        if result.is_error:
            raise McpToolError(result.to_text())
        return result

    def return_value_as_string(self, value: Any) -> str:
        return value.to_text() if isinstance(value, ToolResult) else super().return_value_as_string(value)


class StdioMcpToolAdapter(McpToolAdapter):
    """An MCP tool of a server run over stdio."""


class SseMcpToolAdapter(McpToolAdapter):
    """An MCP tool of a server reached over SSE."""


class StreamableHttpMcpToolAdapter(McpToolAdapter):
    """An MCP tool of a server reached over streamable HTTP."""


def _adapter_type(params: McpServerParams) -> type[McpToolAdapter]:
    if isinstance(params, StdioServerParams):
        return StdioMcpToolAdapter
    if isinstance(params, SseServerParams):
        return SseMcpToolAdapter
    return StreamableHttpMcpToolAdapter


async def mcp_server_tools(
    server_params: McpServerParams, workbench: McpWorkbench | None = None
) -> list[McpToolAdapter]:
    """Every tool of the server, each as a BaseTool for ``tools=[...]``.

    With ``workbench`` (an McpWorkbench for the same server, which its caller starts and stops), the
    tools share its connection; without, each call connects anew.
    """
    if workbench is not None:
        schemas = await workbench.list_tools()
    else:
        async with McpWorkbench(server_params) as listing:
            schemas = await listing.list_tools()
    kind = _adapter_type(server_params)
    return [kind(server_params, schema, workbench) for schema in schemas]
