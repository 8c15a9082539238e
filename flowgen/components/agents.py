"""Agents as components: AssistantAgent and UserProxyAgent (AutoGen's configs)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from flowgen.agents import AssistantAgent, UserProxyAgent
from flowgen.base import Handoff
from flowgen.core.component_config import (
    ComponentModel,
    ComponentSpec,
    dump_component,
    load_child,
    register_component,
)
from flowgen.errors import ComponentConfigError
from flowgen.model_context import ChatCompletionContext
from flowgen.models import ChatCompletionClient
from flowgen.tools import BaseTool
from flowgen.tools.workbench import Workbench


class AssistantAgentConfig(BaseModel):
    name: str
    model_client: ComponentModel
    tools: list[ComponentModel] | None = None
    workbench: list[ComponentModel] | None = None
    handoffs: list[Handoff | str] | None = None
    model_context: ComponentModel | None = None
    memory: list[ComponentModel] | None = None
    description: str
    system_message: str | None = None
    model_client_stream: bool = False
    reflect_on_tool_use: bool
    tool_call_summary_format: str
    max_tool_iterations: int = Field(default=1, ge=1)
    metadata: dict[str, str] | None = None
    structured_message_factory: ComponentModel | None = None


class UserProxyAgentConfig(BaseModel):
    name: str
    description: str = "A human user"
    input_func: str | None = None


def _refuse(agent: AssistantAgent, field: str, why: str) -> None:
    raise ComponentConfigError(f"config.{field}", f"agent {agent.name!r}: {why}")


def _assistant_config(agent: AssistantAgent) -> AssistantAgentConfig:
    if agent._output_content_type is not None:
        _refuse(
            agent, "structured_message_factory", "output_content_type (a Python class) cannot be described"
        )
    if agent._tool_call_summary_formatter is not None:
        _refuse(
            agent, "tool_call_summary_format", "a tool_call_summary_formatter function cannot be described"
        )
    if agent._memory:
        _refuse(agent, "memory", "memory cannot be described yet")
    system = agent._system_messages[0].content if agent._system_messages else None
    return AssistantAgentConfig(
        name=agent.name,
        model_client=dump_component(agent._model_client),
        tools=[dump_component(t) for t in agent._tools] or None,
        workbench=[dump_component(w) for w in agent._workbenches] or None,
        handoffs=list(agent._handoffs.values()) or None,
        model_context=dump_component(agent._model_context),
        description=agent.description,
        system_message=system,
        model_client_stream=agent._model_client_stream,
        reflect_on_tool_use=agent._reflect_on_tool_use,
        tool_call_summary_format=agent._tool_call_summary_format,
        max_tool_iterations=agent._max_tool_iterations,
        metadata=agent._metadata,
    )


def _assistant(config: AssistantAgentConfig) -> AssistantAgent:
    if config.memory:
        raise ComponentConfigError("config.memory", "memory components are not supported yet; remove them")
    if config.structured_message_factory is not None:
        raise ComponentConfigError(
            "config.structured_message_factory", "structured output from a config is not supported yet"
        )
    context = config.model_context
    return AssistantAgent(
        config.name,
        load_child(config.model_client, "model_client", ChatCompletionClient),
        tools=[load_child(t, f"tools[{i}]", BaseTool) for i, t in enumerate(config.tools or [])] or None,
        workbench=[load_child(w, f"workbench[{i}]", Workbench) for i, w in enumerate(config.workbench or [])]
        or None,
        handoffs=config.handoffs,
        model_context=None
        if context is None
        else load_child(context, "model_context", ChatCompletionContext),
        description=config.description,
        system_message=config.system_message,
        model_client_stream=config.model_client_stream,
        reflect_on_tool_use=config.reflect_on_tool_use,
        max_tool_iterations=config.max_tool_iterations,
        tool_call_summary_format=config.tool_call_summary_format,
        metadata=config.metadata,
    )


def _user_proxy_config(agent: UserProxyAgent) -> UserProxyAgentConfig:
    from flowgen.agents.user_proxy_agent import cancellable_input

    if agent.input_func is not cancellable_input:
        raise ComponentConfigError(
            "config.input_func", f"agent {agent.name!r}: an input_func cannot be described"
        )
    return UserProxyAgentConfig(name=agent.name, description=agent.description)


def _user_proxy(config: UserProxyAgentConfig) -> UserProxyAgent:
    if config.input_func is not None:
        raise ComponentConfigError("config.input_func", "an input function cannot be loaded from a config")
    return UserProxyAgent(config.name, description=config.description)


def _register() -> None:
    register_component(
        ComponentSpec(
            "flowgen.agents.AssistantAgent",
            AssistantAgent,
            "agent",
            AssistantAgentConfig,
            _assistant_config,
            _assistant,
            version=2,
        )
    )
    register_component(
        ComponentSpec(
            "flowgen.agents.UserProxyAgent",
            UserProxyAgent,
            "agent",
            UserProxyAgentConfig,
            _user_proxy_config,
            _user_proxy,
        )
    )


_register()
