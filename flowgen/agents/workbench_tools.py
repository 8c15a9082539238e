"""An agent's workbenches as tools: listed once per turn, each call routed to the workbench offering it.

The agent's tool machinery (concurrent calls, error results, streamed events) works on BaseTools; a
:class:`WorkbenchTool` is one listed tool of one workbench in that shape. A workbench's error result
becomes a ToolError, which the tool runner turns back into an ``is_error`` result with the same text.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError, ToolError
from flowgen.models.types import ToolSchema
from flowgen.tools import BaseTool
from flowgen.tools.workbench import StreamWorkbench, ToolResult, Workbench


class _AnyArguments(BaseModel):
    model_config = ConfigDict(extra="allow")


class WorkbenchToolError(ToolError):
    """A workbench answered a call with an error result; the message is the result's text."""


def _value(result: ToolResult) -> str:
    if result.is_error:
        raise WorkbenchToolError(result.to_text())
    return result.to_text()


class WorkbenchTool(BaseTool[_AnyArguments, str]):
    """One tool a workbench listed; the workbench checks the arguments itself."""

    def __init__(self, workbench: Workbench, schema: ToolSchema) -> None:
        self._workbench = workbench
        self._args_type = _AnyArguments
        self._return_type = str
        self._name = schema["name"]
        self._description = schema.get("description", "")
        self._strict = bool(schema.get("strict", False))
        self._schema = schema

    async def run(self, args: _AnyArguments, cancellation_token: CancellationToken) -> str:
        return await self.run_json(args.model_dump(), cancellation_token)

    async def run_json(
        self, args: Mapping[str, Any], cancellation_token: CancellationToken, call_id: str | None = None
    ) -> str:
        return _value(await self._workbench.call_tool(self._name, args, cancellation_token, call_id))


class StreamWorkbenchTool(WorkbenchTool):
    """A tool of a StreamWorkbench: its events pass out while it runs, its text comes last."""

    async def run_json_stream(
        self, args: Mapping[str, Any], cancellation_token: CancellationToken, call_id: str | None = None
    ) -> AsyncGenerator[Any, None]:
        assert isinstance(self._workbench, StreamWorkbench)
        result: ToolResult | None = None
        async for item in self._workbench.call_tool_stream(self._name, args, cancellation_token, call_id):
            if isinstance(item, ToolResult):
                result = item
            else:
                yield item
        if result is None:
            raise WorkbenchToolError(f"workbench tool {self._name!r} ended without a result")
        yield _value(result)


def as_workbenches(workbench: Workbench | Sequence[Workbench]) -> list[Workbench]:
    """One workbench or several, as a list; anything else is a clear error."""
    benches = [workbench] if isinstance(workbench, Workbench) else list(workbench)
    for bench in benches:
        if not isinstance(bench, Workbench):
            raise ConfigurationError(
                f"workbench must be a Workbench or a list of them, got {type(bench).__name__}; wrap "
                "plain tools in StaticWorkbench([...]) or pass them with tools=[...]"
            )
    return benches


async def list_workbench_tools(workbenches: Sequence[Workbench]) -> list[BaseTool[Any, Any]]:
    """Every workbench's tools now; a name offered twice goes to the first workbench offering it."""
    tools: dict[str, BaseTool[Any, Any]] = {}
    for bench in workbenches:
        kind = StreamWorkbenchTool if isinstance(bench, StreamWorkbench) else WorkbenchTool
        for schema in await bench.list_tools():
            tools.setdefault(schema["name"], kind(bench, schema))
    return list(tools.values())
