"""Tools and workbenches as components.

A FunctionTool is stored as a reference to an importable function (``module:function``), which
loading imports only from an allowed module. AutoGen's configs carry the function's source code
instead; loading one runs that code, so it is refused unless the caller trusts the file
(``trust_source_code=True``).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from flowgen.core.component_config import (
    ComponentModel,
    ComponentSpec,
    config_path,
    dump_component,
    function_reference,
    load_child,
    register_component,
    resolve_function,
    trusts_source_code,
)
from flowgen.core.component_secrets import looks_secret, resolve_secret, secret_reference
from flowgen.errors import ComponentConfigError, UntrustedSourceCodeError
from flowgen.tools import (
    AgentTool,
    BaseTool,
    FunctionTool,
    StaticStreamWorkbench,
    StaticWorkbench,
    TeamTool,
    ToolOverride,
)


class FunctionToolConfig(BaseModel):
    """``function`` (flowgen's reference) or ``source_code`` (AutoGen's, trusted loads only)."""

    name: str
    description: str
    function: str | None = None
    source_code: str | None = None
    global_imports: list[Any] = Field(default_factory=list)
    has_cancellation_support: bool = False
    strict: bool = False


class StaticWorkbenchConfig(BaseModel):
    tools: list[ComponentModel] = Field(default_factory=list)
    tool_overrides: dict[str, ToolOverride] = Field(default_factory=dict)


class AgentToolConfig(BaseModel):
    agent: ComponentModel
    return_value_as_last_message: bool = False


class TeamToolConfig(BaseModel):
    name: str
    description: str
    team: ComponentModel
    return_value_as_last_message: bool = False


class McpToolAdapterConfig(BaseModel):
    """AutoGen's MCP tool adapter config: the server, and the tool as the server lists it."""

    server_params: dict[str, Any]
    tool: dict[str, Any]


def _adapter_config(adapter: Any) -> McpToolAdapterConfig:
    schema = adapter.schema
    tool = {
        "name": schema["name"],
        "description": schema.get("description", ""),
        "inputSchema": schema["parameters"],
    }
    return McpToolAdapterConfig(server_params=_server_params_config(adapter.server_params), tool=tool)


def _adapter(kind: type[Any]) -> Callable[[McpToolAdapterConfig], Any]:
    def build(config: McpToolAdapterConfig) -> Any:
        tool = config.tool
        parameters = tool.get("inputSchema", tool.get("input_schema", {"type": "object", "properties": {}}))
        schema = {
            "name": tool["name"],
            "description": tool.get("description") or "",
            "parameters": parameters,
        }
        return kind(_server_params(config.server_params), schema)

    return build


class McpWorkbenchConfig(BaseModel):
    server_params: dict[str, Any]
    tool_overrides: dict[str, ToolOverride] = Field(default_factory=dict)
    model_client: ComponentModel | None = None
    call_timeout: float | None = 60.0


def _function_tool_config(tool: FunctionTool) -> FunctionToolConfig:
    source = getattr(tool, "_source_code", None)
    common = {"name": tool.name, "description": tool.description, "strict": tool._strict}
    if source is not None:
        return FunctionToolConfig(source_code=source, global_imports=list(tool._global_imports), **common)
    try:
        reference = function_reference(tool.func)
    except ComponentConfigError as e:
        raise ComponentConfigError("config.function", f"tool {tool.name!r}: {e.problem}") from e
    return FunctionToolConfig(function=reference, **common)


def _run_source(config: FunctionToolConfig) -> Any:
    """AutoGen's way: execute the source with its imports, and take the function it defines."""
    if not trusts_source_code():
        raise UntrustedSourceCodeError(config_path("source_code"), "source code is loaded only when trusted")
    assert config.source_code is not None
    namespace: dict[str, Any] = {}
    for item in config.global_imports:
        _import_into(namespace, item)
    tree = ast.parse(config.source_code)
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if not names:
        raise ComponentConfigError(config_path("source_code"), "the source code defines no function")
    exec(compile(tree, f"<component tool {config.name}>", "exec"), namespace)  # trusted by the caller
    return namespace[names[0]]


def _import_into(namespace: dict[str, Any], item: Any) -> None:
    if isinstance(item, str):
        namespace[item.split(".")[0]] = importlib.import_module(item.split(".")[0])
        return
    module = importlib.import_module(item["module"])
    if "imports" in item:
        for name in item["imports"]:
            alias = name if isinstance(name, str) else name["alias"]
            attribute = name if isinstance(name, str) else name["name"]
            namespace[alias] = getattr(module, attribute)
    else:
        namespace[item.get("alias", item["module"])] = module


def _function_tool(config: FunctionToolConfig) -> FunctionTool:
    if config.function is not None:
        func = resolve_function(config.function, "function")
        return FunctionTool(func, config.description, name=config.name, strict=config.strict)
    if config.source_code is None:
        raise ComponentConfigError(config_path("function"), "a FunctionTool config needs 'function'")
    tool = FunctionTool(_run_source(config), config.description, name=config.name, strict=config.strict)
    tool._source_code = config.source_code  # type: ignore[attr-defined]  # dumped back as it came
    tool._global_imports = list(config.global_imports)
    return tool


def _tools(config: StaticWorkbenchConfig) -> list[BaseTool[Any, Any]]:
    return [load_child(t, f"tools[{i}]", BaseTool) for i, t in enumerate(config.tools)]


def _server_params_config(params: Any) -> dict[str, Any]:
    """The params as data, secret env values and headers as environment references."""
    data: dict[str, Any] = params.model_dump(mode="json")
    for field in ("env", "headers"):
        values = data.get(field)
        if values:
            data[field] = {
                name: secret_reference(str(v), f"config.server_params.{field}.{name}", [name])
                if looks_secret(name)
                else v
                for name, v in values.items()
            }
    return data


def _server_params(data: dict[str, Any]) -> Any:
    from pydantic import TypeAdapter

    from flowgen.tools.mcp import McpServerParams

    resolved = dict(data)
    for field in ("env", "headers"):
        values = resolved.get(field)
        if values:
            resolved[field] = {
                name: resolve_secret(v, config_path(f"server_params.{field}.{name}"))
                for name, v in values.items()
            }
    try:
        return TypeAdapter(McpServerParams).validate_python(resolved)
    except ValueError as e:
        raise ComponentConfigError(config_path("server_params"), str(e).splitlines()[0]) from e


def _static_workbench_loader(
    kind: type[StaticWorkbench],
) -> Callable[[StaticWorkbenchConfig], StaticWorkbench]:
    return lambda config: kind(_tools(config), config.tool_overrides)


def _register() -> None:
    register_component(
        ComponentSpec(
            "flowgen.tools.FunctionTool",
            FunctionTool,
            "tool",
            FunctionToolConfig,
            _function_tool_config,
            _function_tool,
        )
    )
    for kind in (StaticWorkbench, StaticStreamWorkbench):
        register_component(
            ComponentSpec(
                f"flowgen.tools.{kind.__name__}",
                kind,
                "workbench",
                StaticWorkbenchConfig,
                lambda w: StaticWorkbenchConfig(
                    tools=[dump_component(t) for t in w.tools], tool_overrides=dict(w.tool_overrides)
                ),
                _static_workbench_loader(kind),
            )
        )
    register_component(
        ComponentSpec(
            "flowgen.tools.AgentTool",
            AgentTool,
            "tool",
            AgentToolConfig,
            lambda t: AgentToolConfig(
                agent=dump_component(t._agent), return_value_as_last_message=t._return_value_as_last_message
            ),
            lambda f: AgentTool(load_child(f.agent, "agent", object), f.return_value_as_last_message),
        )
    )
    register_component(
        ComponentSpec(
            "flowgen.tools.TeamTool",
            TeamTool,
            "tool",
            TeamToolConfig,
            lambda t: TeamToolConfig(
                name=t.name,
                description=t.description,
                team=dump_component(t._team),
                return_value_as_last_message=t._return_value_as_last_message,
            ),
            lambda f: TeamTool(
                load_child(f.team, "team", object), f.name, f.description, f.return_value_as_last_message
            ),
        )
    )
    from flowgen.tools import mcp  # no import of the mcp package: that happens on connecting
    from flowgen.tools.mcp import McpWorkbench

    for adapter in (mcp.StdioMcpToolAdapter, mcp.SseMcpToolAdapter, mcp.StreamableHttpMcpToolAdapter):
        register_component(
            ComponentSpec(
                f"flowgen.tools.mcp.{adapter.__name__}",
                adapter,
                "tool",
                McpToolAdapterConfig,
                _adapter_config,
                _adapter(adapter),
            )
        )

    register_component(
        ComponentSpec(
            "flowgen.tools.mcp.McpWorkbench",
            McpWorkbench,
            "workbench",
            McpWorkbenchConfig,
            lambda w: McpWorkbenchConfig(
                server_params=_server_params_config(w.server_params),
                tool_overrides=dict(w.tool_overrides),
                call_timeout=w.call_timeout,
            ),
            lambda f: McpWorkbench(
                _server_params(f.server_params), f.tool_overrides, call_timeout=f.call_timeout
            ),
        )
    )


_register()
