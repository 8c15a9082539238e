"""Checking an AssistantAgent's construction: tools, handoffs and the model's abilities, before any call."""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import BaseModel

from flowgen.base import Handoff
from flowgen.errors import ConfigurationError, UnsupportedModelFeatureError
from flowgen.models.types import ModelInfo
from flowgen.tools import BaseTool

ToolLike = BaseTool[Any, Any] | Callable[..., Any]


def as_tools(tools: Sequence[ToolLike] | None) -> list[BaseTool[Any, Any]]:
    """Tool objects as given; plain functions become FunctionTools described by their docstring."""
    built: list[BaseTool[Any, Any]] = []
    for tool in tools or ():
        if isinstance(tool, BaseTool):
            built.append(tool)
        elif callable(tool):
            from flowgen.tools.function_tool import FunctionTool  # here: agents without tools skip it

            built.append(FunctionTool(tool, description=inspect.getdoc(tool) or ""))
        else:
            raise ConfigurationError(
                f"unsupported tool {tool!r} ({type(tool).__name__}): pass a BaseTool such as FunctionTool, "
                "or a plain function"
            )
    return built


def as_handoffs(agent_name: str, handoffs: Sequence[Handoff | str] | None) -> dict[str, Handoff]:
    """Handoffs by tool name; a string names the target agent."""
    built: list[Handoff] = []
    for handoff in handoffs or ():
        if isinstance(handoff, str):
            handoff = Handoff(target=handoff)
        elif not isinstance(handoff, Handoff):
            raise ConfigurationError(
                f"unsupported handoff {handoff!r}: pass a Handoff(target=...) or the target agent's name"
            )
        if handoff.target == agent_name:
            raise ConfigurationError(
                f"agent {agent_name!r} has a handoff to itself; remove it: an agent keeps the "
                "conversation simply by replying"
            )
        built.append(handoff)
    _require_unique(agent_name, "handoffs", [h.name for h in built])
    return {h.name: h for h in built}


def _require_unique(agent_name: str, what: str, names: Sequence[str]) -> None:
    if len(names) < 2:
        return  # most agents have no tool, or one: no Counter to build on every agent made
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise ConfigurationError(
            f"agent {agent_name!r} has {what} with the same name: {', '.join(repeated)}; every tool and "
            "handoff needs a unique name: rename one (FunctionTool(..., name=...) or Handoff(..., name=...))"
        )


def check_names(agent_name: str, tools: Sequence[BaseTool[Any, Any]], handoffs: Iterable[str]) -> None:
    """Tool names are unique, and no tool shares its name with a handoff."""
    _require_unique(agent_name, "several tools", [t.name for t in tools])
    _require_unique(agent_name, "a tool and a handoff", [*{t.name for t in tools}, *handoffs])


def check_model_features(
    agent_name: str,
    info: ModelInfo,
    *,
    wants_tools: bool,
    output_content_type: type[BaseModel] | None,
) -> None:
    """Reject features the model's ``model_info`` says it lacks."""
    if wants_tools and not info.get("function_calling", False):
        raise UnsupportedModelFeatureError(
            f"agent {agent_name!r} has tools or handoffs, but its model's model_info says "
            "function_calling=False; use a model that supports function calling, or pass a model_info "
            "with function_calling=True to the model client"
        )
    if output_content_type is not None and not info.get("structured_output", False):
        raise UnsupportedModelFeatureError(
            f"agent {agent_name!r} has output_content_type={output_content_type.__name__}, but its model's "
            "model_info says structured_output=False; use a model that supports structured output, or "
            "pass a model_info with structured_output=True to the model client"
        )
