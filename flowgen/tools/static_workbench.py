"""StaticWorkbench: a fixed list of tools as a workbench, optionally renamed or redescribed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel

from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError
from flowgen.models.types import ToolSchema
from flowgen.tools.base import BaseTool
from flowgen.tools.workbench import StreamWorkbench, ToolResult, Workbench, text_result


class ToolOverride(BaseModel):
    """A new name and/or description under which a workbench offers a tool."""

    name: str | None = None
    description: str | None = None


class StaticWorkbenchState(BaseModel):
    type: Literal["StaticWorkbenchState"] = "StaticWorkbenchState"
    tools: dict[str, Mapping[str, Any]] = {}


def describe_error(error: BaseException) -> str:
    """A tool's own message; each part of an exception group on its own line."""
    if isinstance(error, BaseExceptionGroup):
        return "\n".join(describe_error(e) for e in error.exceptions)
    return str(error) or type(error).__name__


def _overridden(schema: ToolSchema, override: ToolOverride) -> ToolSchema:
    renamed: ToolSchema = {
        "name": override.name if override.name is not None else schema["name"],
        "description": override.description
        if override.description is not None
        else schema.get("description", ""),
    }
    if "parameters" in schema:
        renamed["parameters"] = schema["parameters"]
    if "strict" in schema:
        renamed["strict"] = schema["strict"]
    return renamed


class StaticWorkbench(Workbench):
    """Tools that never change, offered as a workbench.

    ``tool_overrides`` maps a tool's own name to the name and/or description the model sees; calls
    use the name the model saw. Override names must not collide with each other or with any tool.

    Example:
        >>> import asyncio
        >>> from flowgen.tools import FunctionTool
        >>> def add(a: int, b: int) -> int:
        ...     return a + b
        >>> bench = StaticWorkbench([FunctionTool(add, "Add.")], {"add": ToolOverride(name="plus")})
        >>> [t["name"] for t in asyncio.run(bench.list_tools())]
        ['plus']
        >>> asyncio.run(bench.call_tool("plus", {"a": 1, "b": 2})).to_text()
        '3'
    """

    def __init__(
        self, tools: Sequence[BaseTool[Any, Any]], tool_overrides: Mapping[str, ToolOverride] | None = None
    ) -> None:
        self._tools = list(tools)
        self._tool_overrides = dict(tool_overrides or {})
        self._by_name = {tool.name: tool for tool in self._tools}
        self._original_names = self._check_overrides()
        self._schemas = [self._schema(tool) for tool in self._tools]

    def _check_overrides(self) -> dict[str, str]:
        originals: dict[str, str] = {}
        for original, override in self._tool_overrides.items():
            if override.name is None or override.name == original:
                continue
            if override.name in self._by_name:
                raise ConfigurationError(
                    f"tool override {original!r} -> {override.name!r} collides with the tool named "
                    f"{override.name!r}; pick another name"
                )
            if override.name in originals:
                raise ConfigurationError(
                    f"tools {originals[override.name]!r} and {original!r} are both renamed to "
                    f"{override.name!r}; give each a unique name"
                )
            originals[override.name] = original
        return originals

    def _schema(self, tool: BaseTool[Any, Any]) -> ToolSchema:
        override = self._tool_overrides.get(tool.name)
        return tool.schema if override is None else _overridden(tool.schema, override)

    @property
    def tools(self) -> Sequence[BaseTool[Any, Any]]:
        return tuple(self._tools)

    @property
    def tool_overrides(self) -> Mapping[str, ToolOverride]:
        return dict(self._tool_overrides)

    async def list_tools(self) -> list[ToolSchema]:
        return list(self._schemas)

    def _find(self, name: str) -> BaseTool[Any, Any] | ToolResult:
        tool = self._by_name.get(self._original_names.get(name, name))
        if tool is not None:
            return tool
        offered = ", ".join(s["name"] for s in self._schemas) or "none"
        return text_result(name, f"Tool {name} not found; available tools: {offered}", is_error=True)

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        tool = self._find(name)
        if isinstance(tool, ToolResult):
            return tool
        token = cancellation_token or CancellationToken()
        try:
            work = asyncio.ensure_future(tool.run_json(arguments or {}, token, call_id=call_id))
            token.link_future(work)
            value = await work
            return text_result(name, tool.return_value_as_string(value))
        except Exception as e:
            return text_result(name, describe_error(e), is_error=True)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def reset(self) -> None:
        return None

    async def save_state(self) -> Mapping[str, Any]:
        state = StaticWorkbenchState()
        for tool in self._tools:
            state.tools[tool.name] = await tool.save_state_json()
        return state.model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        saved = StaticWorkbenchState.model_validate(state)
        for tool in self._tools:
            if tool.name in saved.tools:
                await tool.load_state_json(saved.tools[tool.name])


class StaticStreamWorkbench(StaticWorkbench, StreamWorkbench):
    """A StaticWorkbench whose streaming tools (agent and team tools) pass their events out.

    Unlike AutoGen's, a streamed call honours the tool overrides too.
    """

    async def call_tool_stream(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> AsyncGenerator[Any | ToolResult, None]:
        tool = self._find(name)
        if isinstance(tool, ToolResult):
            yield tool
            return
        if not hasattr(tool, "run_json_stream"):
            yield await self.call_tool(name, arguments, cancellation_token, call_id)
            return
        token = cancellation_token or CancellationToken()
        last: Any = None
        try:
            async for item in tool.run_json_stream(arguments or {}, token, call_id=call_id):
                if last is not None:
                    yield last
                last = item
        except Exception as e:
            if last is not None:
                yield last
            yield text_result(name, describe_error(e), is_error=True)
            return
        yield text_result(name, tool.return_value_as_string(last))
