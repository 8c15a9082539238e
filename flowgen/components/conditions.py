"""Termination conditions as components (AutoGen's configs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from flowgen.base import AndTerminationCondition, OrTerminationCondition, TerminationCondition
from flowgen.conditions import (
    ExternalTermination,
    FunctionalTermination,
    FunctionCallTermination,
    HandoffTermination,
    MaxMessageTermination,
    SourceMatchTermination,
    StopMessageTermination,
    TextMentionTermination,
    TextMessageTermination,
    TimeoutTermination,
    TokenUsageTermination,
)
from flowgen.core.component_config import (
    ComponentModel,
    ComponentSpec,
    dump_component,
    function_reference,
    load_child,
    register_component,
    resolve_function,
)


class EmptyConfig(BaseModel):
    pass


class MaxMessageTerminationConfig(BaseModel):
    max_messages: int
    include_agent_event: bool = False


class TextMentionTerminationConfig(BaseModel):
    text: str
    sources: list[str] | None = None


class TextMessageTerminationConfig(BaseModel):
    source: str | None = None


class SourceMatchTerminationConfig(BaseModel):
    sources: list[str]


class HandoffTerminationConfig(BaseModel):
    target: str


class FunctionCallTerminationConfig(BaseModel):
    function_name: str


class TokenUsageTerminationConfig(BaseModel):
    max_total_token: int | None = None
    max_prompt_token: int | None = None
    max_completion_token: int | None = None


class TimeoutTerminationConfig(BaseModel):
    timeout_seconds: float


class FunctionalTerminationConfig(BaseModel):
    """flowgen stores the function as an import reference (``module:function``)."""

    function: str


class CombinedTerminationConfig(BaseModel):
    conditions: list[ComponentModel]


def _conditions(config: CombinedTerminationConfig) -> list[TerminationCondition]:
    return [load_child(c, f"conditions[{i}]", TerminationCondition) for i, c in enumerate(config.conditions)]


def _spec(
    cls: type[Any], schema: type[BaseModel], to: Any, build: Any, module: str = "flowgen.conditions"
) -> None:
    register_component(ComponentSpec(f"{module}.{cls.__name__}", cls, "termination", schema, to, build))


def _combined_loader(
    kind: type[AndTerminationCondition | OrTerminationCondition],
) -> Callable[[CombinedTerminationConfig], TerminationCondition]:
    return lambda config: kind(*_conditions(config))


def _register() -> None:
    _spec(
        MaxMessageTermination,
        MaxMessageTerminationConfig,
        lambda c: MaxMessageTerminationConfig(
            max_messages=c._max_messages, include_agent_event=c._include_agent_event
        ),
        lambda f: MaxMessageTermination(f.max_messages, f.include_agent_event),
    )
    _spec(
        TextMentionTermination,
        TextMentionTerminationConfig,
        lambda c: TextMentionTerminationConfig(text=c._text, sources=c._sources),
        lambda f: TextMentionTermination(f.text, f.sources),
    )
    _spec(
        TextMessageTermination,
        TextMessageTerminationConfig,
        lambda c: TextMessageTerminationConfig(source=c._source),
        lambda f: TextMessageTermination(f.source),
    )
    _spec(
        SourceMatchTermination,
        SourceMatchTerminationConfig,
        lambda c: SourceMatchTerminationConfig(sources=c._sources),
        lambda f: SourceMatchTermination(f.sources),
    )
    _spec(
        HandoffTermination,
        HandoffTerminationConfig,
        lambda c: HandoffTerminationConfig(target=c._target),
        lambda f: HandoffTermination(f.target),
    )
    _spec(
        FunctionCallTermination,
        FunctionCallTerminationConfig,
        lambda c: FunctionCallTerminationConfig(function_name=c._function_name),
        lambda f: FunctionCallTermination(f.function_name),
    )
    _spec(
        TokenUsageTermination,
        TokenUsageTerminationConfig,
        lambda c: TokenUsageTerminationConfig(
            max_total_token=c._limits[0], max_prompt_token=c._limits[1], max_completion_token=c._limits[2]
        ),
        lambda f: TokenUsageTermination(f.max_total_token, f.max_prompt_token, f.max_completion_token),
    )
    _spec(
        TimeoutTermination,
        TimeoutTerminationConfig,
        lambda c: TimeoutTerminationConfig(timeout_seconds=c._timeout_seconds),
        lambda f: TimeoutTermination(f.timeout_seconds),
    )
    _spec(StopMessageTermination, EmptyConfig, lambda c: EmptyConfig(), lambda f: StopMessageTermination())
    _spec(ExternalTermination, EmptyConfig, lambda c: EmptyConfig(), lambda f: ExternalTermination())
    _spec(
        FunctionalTermination,
        FunctionalTerminationConfig,
        lambda c: FunctionalTerminationConfig(function=function_reference(c._func)),
        lambda f: FunctionalTermination(resolve_function(f.function, "function")),
    )
    for combined in (AndTerminationCondition, OrTerminationCondition):
        _spec(
            combined,
            CombinedTerminationConfig,
            lambda c: CombinedTerminationConfig(conditions=[dump_component(x) for x in c._conditions]),
            _combined_loader(combined),
            module="flowgen.base",
        )


_register()
