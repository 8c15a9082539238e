"""Model contexts as components (AutoGen's configs)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from flowgen.core.component_config import (
    ComponentModel,
    ComponentSpec,
    dump_component,
    load_child,
    register_component,
)
from flowgen.model_context import (
    BufferedChatCompletionContext,
    HeadAndTailChatCompletionContext,
    TokenLimitedChatCompletionContext,
    UnboundedChatCompletionContext,
)
from flowgen.models import ChatCompletionClient
from flowgen.models.types import LLMMessage


class UnboundedChatCompletionContextConfig(BaseModel):
    initial_messages: list[LLMMessage] | None = None


class BufferedChatCompletionContextConfig(BaseModel):
    buffer_size: int
    initial_messages: list[LLMMessage] | None = None


class HeadAndTailChatCompletionContextConfig(BaseModel):
    head_size: int
    tail_size: int
    initial_messages: list[LLMMessage] | None = None


class TokenLimitedChatCompletionContextConfig(BaseModel):
    model_client: ComponentModel
    token_limit: int | None = None
    tool_schema: list[dict[str, Any]] | None = None
    initial_messages: list[LLMMessage] | None = None


def _initial(context: Any) -> list[LLMMessage] | None:
    return list(context._initial_messages) or None


def _spec(cls: type[Any], schema: type[BaseModel], to: Any, build: Any) -> None:
    provider = f"flowgen.model_context.{cls.__name__}"
    register_component(ComponentSpec(provider, cls, "chat_completion_context", schema, to, build))


def _register() -> None:
    _spec(
        UnboundedChatCompletionContext,
        UnboundedChatCompletionContextConfig,
        lambda c: UnboundedChatCompletionContextConfig(initial_messages=_initial(c)),
        lambda f: UnboundedChatCompletionContext(f.initial_messages),
    )
    _spec(
        BufferedChatCompletionContext,
        BufferedChatCompletionContextConfig,
        lambda c: BufferedChatCompletionContextConfig(
            buffer_size=c._buffer_size, initial_messages=_initial(c)
        ),
        lambda f: BufferedChatCompletionContext(f.buffer_size, f.initial_messages),
    )
    _spec(
        HeadAndTailChatCompletionContext,
        HeadAndTailChatCompletionContextConfig,
        lambda c: HeadAndTailChatCompletionContextConfig(
            head_size=c._head_size, tail_size=c._tail_size, initial_messages=_initial(c)
        ),
        lambda f: HeadAndTailChatCompletionContext(f.head_size, f.tail_size, f.initial_messages),
    )
    _spec(
        TokenLimitedChatCompletionContext,
        TokenLimitedChatCompletionContextConfig,
        lambda c: TokenLimitedChatCompletionContextConfig(
            model_client=dump_component(c._model_client),
            token_limit=c._token_limit,
            tool_schema=list(c._tool_schema) or None,
            initial_messages=_initial(c),
        ),
        lambda f: TokenLimitedChatCompletionContext(
            load_child(f.model_client, "model_client", ChatCompletionClient),
            f.token_limit,
            f.tool_schema,
            f.initial_messages,
        ),
    )


_register()
