"""Teams as components: RoundRobinGroupChat, SelectorGroupChat and Swarm (AutoGen's configs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from flowgen.base import TaskRunner, TerminationCondition
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
from flowgen.teams import RoundRobinGroupChat, SelectorGroupChat, Swarm
from flowgen.teams.selector import DEFAULT_SELECTOR_PROMPT


class GroupChatConfig(BaseModel):
    """RoundRobinGroupChat's and Swarm's config."""

    name: str | None = None
    description: str | None = None
    participants: list[ComponentModel]
    termination_condition: ComponentModel | None = None
    max_turns: int | None = None
    emit_team_events: bool = False


class SelectorGroupChatConfig(GroupChatConfig):
    model_client: ComponentModel
    selector_prompt: str = DEFAULT_SELECTOR_PROMPT
    allow_repeated_speaker: bool = False
    max_selector_attempts: int = 3
    model_client_streaming: bool = False
    model_context: ComponentModel | None = None


def _common(team: Any) -> dict[str, Any]:
    stop = team._termination_condition
    return {
        "name": team._name,
        "description": team._description,
        "participants": [dump_component(p) for p in team._participants],
        "termination_condition": None if stop is None else dump_component(stop),
        "max_turns": team._max_turns,
        "emit_team_events": team._emit_team_events,
    }


def _loaded_common(config: GroupChatConfig | GraphFlowConfig) -> dict[str, Any]:
    stop = config.termination_condition
    return {
        "participants": [
            load_child(p, f"participants[{i}]", TaskRunner) for i, p in enumerate(config.participants)
        ],
        "termination_condition": None
        if stop is None
        else load_child(stop, "termination_condition", TerminationCondition),
        "max_turns": config.max_turns,
        "name": config.name,
        "description": config.description,
        "emit_team_events": getattr(config, "emit_team_events", False),
    }


def _selector_config(team: SelectorGroupChat) -> SelectorGroupChatConfig:
    settings = team._selector_settings
    for func in ("selector_func", "candidate_func"):
        if settings[func] is not None:
            raise ComponentConfigError(f"config.{func}", f"team {team._name!r}: a {func} cannot be described")
    context = settings["model_context"]
    return SelectorGroupChatConfig(
        **_common(team),
        model_client=dump_component(team._model_client),
        selector_prompt=settings["selector_prompt"],
        allow_repeated_speaker=settings["allow_repeated_speaker"],
        max_selector_attempts=settings["max_selector_attempts"],
        model_client_streaming=settings["model_client_streaming"],
        model_context=None if context is None else dump_component(context),
    )


def _selector(config: SelectorGroupChatConfig) -> SelectorGroupChat:
    context = config.model_context
    return SelectorGroupChat(
        model_client=load_child(config.model_client, "model_client", ChatCompletionClient),
        selector_prompt=config.selector_prompt,
        allow_repeated_speaker=config.allow_repeated_speaker,
        max_selector_attempts=config.max_selector_attempts,
        model_client_streaming=config.model_client_streaming,
        model_context=None
        if context is None
        else load_child(context, "model_context", ChatCompletionContext),
        **_loaded_common(config),
    )


def _group_chat_loader(kind: type[RoundRobinGroupChat | Swarm]) -> Callable[[GroupChatConfig], Any]:
    return lambda config: kind(**_loaded_common(config))


def _register() -> None:
    for kind in (RoundRobinGroupChat, Swarm):
        register_component(
            ComponentSpec(
                f"flowgen.teams.{kind.__name__}",
                kind,
                "team",
                GroupChatConfig,
                lambda t: GroupChatConfig(**_common(t)),
                _group_chat_loader(kind),
            )
        )
    register_component(
        ComponentSpec(
            "flowgen.teams.SelectorGroupChat",
            SelectorGroupChat,
            "team",
            SelectorGroupChatConfig,
            _selector_config,
            _selector,
        )
    )


_register()


class GraphFlowConfig(BaseModel):
    name: str | None = None
    description: str | None = None
    participants: list[ComponentModel]
    termination_condition: ComponentModel | None = None
    max_turns: int | None = None
    graph: dict[str, Any]


def _graph_flow_config(team: Any) -> GraphFlowConfig:
    graph = team._digraph
    for node in graph.nodes.values():
        for edge in node.edges:
            if edge.condition_function is not None or type(edge.condition).__name__ == "Predicate":
                raise ComponentConfigError(
                    "config.graph",
                    f"the edge {node.name} -> {edge.target} has a Python predicate, which a config cannot "
                    "describe; use a string or one of flowgen's conditions (Mention, Regex, Source, FieldIs, Not)",
                )
    common = _common(team)
    del common["emit_team_events"]
    return GraphFlowConfig(**common, graph=graph.model_dump(mode="json"))


def _graph_flow(config: GraphFlowConfig) -> Any:
    from pydantic import ValidationError

    from flowgen.core.component_config import config_path
    from flowgen.teams import DiGraph, GraphFlow

    try:
        graph = DiGraph.model_validate(config.graph)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ComponentConfigError(config_path(f"graph.{where}"), first["msg"]) from e
    common = _loaded_common(config)
    del common["emit_team_events"]
    return GraphFlow(graph=graph, **common)


def _register_graph_flow() -> None:
    from flowgen.teams import GraphFlow

    register_component(
        ComponentSpec(
            "flowgen.teams.GraphFlow", GraphFlow, "team", GraphFlowConfig, _graph_flow_config, _graph_flow
        )
    )


_register_graph_flow()
