"""Component configs for AutoGen: a flowgen component as the JSON AutoGen 0.7 loads.

flowgen writes its own provider names, function references and secret references; AutoGen needs its
names, a FunctionTool's source code, and reads a model's key from its environment variable itself.
:func:`to_autogen` converts, and refuses what AutoGen's configs cannot say (a mention condition
restricted to sources, an API key kept in an unconventional variable, flowgen's graph conditions).
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Mapping
from typing import Any

from flowgen.core.component_config import ComponentModel, dump_component, join_path
from flowgen.errors import ComponentConfigError

_AUTOGEN_NAMES = {
    "flowgen.agents.": "autogen_agentchat.agents.",
    "flowgen.teams.": "autogen_agentchat.teams.",
    "flowgen.conditions.": "autogen_agentchat.conditions.",
    "flowgen.base.": "autogen_agentchat.base.",
    "flowgen.model_context.": "autogen_core.model_context.",
    "flowgen.models.openai.": "autogen_ext.models.openai.",
    "flowgen.models.anthropic.": "autogen_ext.models.anthropic.",
    "flowgen.models.": "autogen_ext.models.replay.",
    "flowgen.tools.mcp.": "autogen_ext.tools.mcp.",
}
_AGENTCHAT_TOOLS = {"flowgen.tools.AgentTool", "flowgen.tools.TeamTool"}
_KEY_VARIABLES = {
    "OpenAIChatCompletionClient": "OPENAI_API_KEY",
    "AnthropicChatCompletionClient": "ANTHROPIC_API_KEY",
}


def autogen_provider(provider: str) -> str:
    """AutoGen's name for a flowgen provider (other names are kept)."""
    if provider in _AGENTCHAT_TOOLS:
        return provider.replace("flowgen.tools.", "autogen_agentchat.tools.")
    if provider.startswith("flowgen.tools.") and provider.count(".") == 2:
        return provider.replace("flowgen.tools.", "autogen_core.tools.")
    for prefix, replacement in _AUTOGEN_NAMES.items():
        if provider.startswith(prefix):
            return replacement + provider[len(prefix) :]
    return provider


def to_autogen(component: Any) -> dict[str, Any]:
    """``component`` (or its ComponentModel) as a config AutoGen 0.7's ``load_component`` accepts."""
    model = component if isinstance(component, ComponentModel) else dump_component(component)
    return _component(model.model_dump(), "")


def _convert(node: Any, path: str) -> Any:
    if isinstance(node, Mapping):
        if isinstance(node.get("provider"), str) and isinstance(node.get("config"), Mapping):
            return _component(node, path)
        return {k: _convert(v, join_path(path, str(k))) for k, v in node.items()}
    if isinstance(node, list):
        return [_convert(v, join_path(path, f"[{i}]")) for i, v in enumerate(node)]
    return node


def _component(node: Mapping[str, Any], path: str) -> dict[str, Any]:
    provider: str = node["provider"]
    config = {k: _convert(v, join_path(path, f"config.{k}")) for k, v in node["config"].items()}
    name = provider.rsplit(".", 1)[-1]
    where = join_path(path, "config")
    if provider == "flowgen.tools.FunctionTool":
        config = _function_tool(config, where)
    elif name == "TextMentionTermination" and config.pop("sources", None):
        raise ComponentConfigError(
            join_path(where, "sources"), "AutoGen's TextMentionTermination has no sources"
        )
    elif name in _KEY_VARIABLES:
        _check_key(config.pop("api_key", None), _KEY_VARIABLES[name], join_path(where, "api_key"))
        config = {k: v for k, v in config.items() if v is not None}
    elif name == "McpWorkbench":
        config.pop("call_timeout", None)
    elif name == "GraphFlow":
        _check_graph(config.get("graph", {}), join_path(where, "graph"))
    return {**node, "provider": autogen_provider(provider), "config": config}


def _function_tool(config: dict[str, Any], path: str) -> dict[str, Any]:
    if config.get("source_code"):
        source = config["source_code"]
    else:
        from flowgen.core.component_config import resolve_function

        try:
            func = resolve_function(config["function"], "function")
        except ComponentConfigError:
            func = _import(config["function"])
        source = textwrap.dedent(inspect.getsource(func))
    return {
        "source_code": source,
        "name": config["name"],
        "description": config["description"],
        "global_imports": config.get("global_imports") or [],
        "has_cancellation_support": False,
    }


def _import(reference: str) -> Any:
    import importlib

    module, _, qualname = reference.partition(":")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _check_key(value: Any, variable: str, path: str) -> None:
    """AutoGen reads the key from its conventional variable itself; any other place cannot be said."""
    if value is None or value == {"$env": variable}:
        return
    raise ComponentConfigError(
        path,
        f"AutoGen reads the key only from {variable}; put the key there (it is never written into the config)",
    )


def _check_graph(graph: Mapping[str, Any], path: str) -> None:
    for name, node in graph.get("nodes", {}).items():
        for index, edge in enumerate(node.get("edges", [])):
            condition = edge.get("condition")
            if condition is not None and not isinstance(condition, str):
                raise ComponentConfigError(
                    join_path(path, f"nodes.{name}.edges[{index}].condition"),
                    "AutoGen's edge conditions are strings; this one is a flowgen condition",
                )
