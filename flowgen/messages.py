"""Chat messages and agent events (AutoGen AgentChat's ``messages`` module).

Chat messages (``BaseChatMessage``) are what agents say to each other; agent events
(``BaseAgentEvent``) report what happened inside an agent (tool calls, streamed chunks, thoughts) and are
seen by observers, never by other agents. Every built-in type carries a ``type`` discriminator, and
``dump()`` / ``load()`` round-trip through JSON without loss. Custom message types register with a
:class:`MessageFactory`.

Example:
    >>> msg = TextMessage(content="Hello", source="writer")
    >>> TextMessage.load(msg.dump()) == msg
    True
    >>> msg.to_model_message().content
    'Hello'
"""

from __future__ import annotations

import functools
import itertools
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, computed_field

from flowgen.code_executors.types import CodeBlock, CodeResult
from flowgen.core import FunctionCall, Image, MemoryContent
from flowgen.models.types import (
    FunctionExecutionResult,
    LLMMessage,
    RequestUsage,
    UserMessage,
    no_llm_messages,
)
from flowgen.shared_fields_set import SharesFieldsSet, share_fields_set

#: Where a text message keeps its converted model message (see BaseTextChatMessage.to_model_message).
_MODEL_MESSAGE = "_flowgen_model_message"


# Message ids must be unique, not secret. Each process draws the first 74 random bits of a version-4
# UUID's text once (and again in every forked child, so no two processes share them) and counts the
# last 48 bits up from a random start: one short format per message, where 128 fresh random bits cost
# five slices and a join, and os.urandom a system call.
_UUID4_CLEAR = ~((0xF << 76) | (0x3 << 62))  # the version nibble and the variant bits
_UUID4_SET = (0x4 << 76) | (0x2 << 62)  # version 4, RFC 4122 variant
_id_prefix = ""
_id_count: Callable[[], int] = itertools.count().__next__


def _draw_id_prefix() -> None:
    global _id_prefix, _id_count
    h = f"{int.from_bytes(os.urandom(16), 'big') & _UUID4_CLEAR | _UUID4_SET:032x}"
    _id_prefix = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-"
    # Half the counter's range is left above the start: 2**47 ids before it would need a 13th digit.
    _id_count = itertools.count(int(h[20:], 16) >> 1).__next__


_draw_id_prefix()
os.register_at_fork(after_in_child=_draw_id_prefix)


def _new_id() -> str:
    """A version-4 UUID's text, unique within and across processes."""
    return f"{_id_prefix}{_id_count():012x}"


def _now() -> datetime:
    return datetime.now(UTC)


#: For the message types nearly every run creates: their schemas are built on import, not in the middle
#: of the first run, which would otherwise pay for them.
_BUILT_AT_IMPORT = ConfigDict(defer_build=False)


class BaseMessage(SharesFieldsSet, ABC):
    """Anything an agent or team emits."""

    # Schemas are built on first use: a program uses few of the many message types.
    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    @abstractmethod
    def to_text(self) -> str:
        """A plain-text rendering for consoles and logs."""

    def dump(self) -> dict[str, Any]:
        """A JSON-compatible dict that :meth:`load` turns back into an equal message."""
        return self.model_dump(mode="json")

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> Self:
        return cls.model_validate(dict(data))


class BaseChatMessage(BaseMessage, ABC):
    """A message agents exchange: it has a sender (``source``) and can be shown to a model."""

    id: str = Field(default_factory=_new_id)
    source: str
    models_usage: RequestUsage | None = None
    metadata: dict[str, str] = Field(default_factory=dict)  # a factory: no deepcopy per message
    created_at: datetime = Field(default_factory=_now)

    @abstractmethod
    def to_model_text(self) -> str:
        """The text a model reads for this message."""

    @abstractmethod
    def to_model_message(self) -> UserMessage:
        """This message as a model input, attributed to its source."""


class BaseTextChatMessage(BaseChatMessage, ABC):
    """A chat message whose content is text."""

    content: str

    def to_text(self) -> str:
        return self.content

    def to_model_text(self) -> str:
        return self.content

    def to_model_message(self) -> UserMessage:
        # Every agent that hears a message converts it; build the model's view once and share it. It
        # is kept outside the fields (so equality and dumps ignore it) and rebuilt if content or source
        # was reassigned since.
        cached = self.__dict__.get(_MODEL_MESSAGE)
        if cached is not None and cached.content is self.content and cached.source is self.source:
            return cached  # type: ignore[no-any-return]
        message = share_fields_set(UserMessage(content=self.content, source=self.source))
        self.__dict__[_MODEL_MESSAGE] = message
        return message


class BaseAgentEvent(BaseMessage, ABC):
    """Something that happened inside an agent; observers see it, other agents do not."""

    id: str = Field(default_factory=_new_id)
    source: str
    models_usage: RequestUsage | None = None
    metadata: dict[str, str] = Field(default_factory=dict)  # a factory: no deepcopy per message
    created_at: datetime = Field(default_factory=_now)


StructuredContentType = TypeVar("StructuredContentType", bound=BaseModel, covariant=True)


class StructuredMessage(BaseChatMessage, Generic[StructuredContentType]):
    """A message whose content is a pydantic model; ``format_string`` renders it as text.

    Example:
        >>> from pydantic import BaseModel
        >>> class Verdict(BaseModel):
        ...     approved: bool
        >>> StructuredMessage[Verdict](content=Verdict(approved=True), source="critic").to_text()
        '{"approved":true}'
    """

    content: StructuredContentType
    format_string: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def type(self) -> str:
        return self.__class__.__name__

    def to_text(self) -> str:
        if self.format_string is not None:
            return self.format_string.format(**self.content.model_dump())
        return self.content.model_dump_json()

    def to_model_text(self) -> str:
        return self.to_text()

    def to_model_message(self) -> UserMessage:
        return UserMessage(content=self.to_text(), source=self.source)


class TextMessage(BaseTextChatMessage):
    """Plain text from an agent or the user."""

    model_config = _BUILT_AT_IMPORT

    type: Literal["TextMessage"] = "TextMessage"


class MultiModalMessage(BaseChatMessage):
    """Text and images."""

    content: list[str | Image]
    type: Literal["MultiModalMessage"] = "MultiModalMessage"

    def to_model_text(self, image_placeholder: str | None = "[image]") -> str:
        parts = [c if isinstance(c, str) else (image_placeholder or "") for c in self.content]
        return "\n".join(parts)

    def to_text(self, iterm: bool = False) -> str:
        return self.to_model_text("<image>")

    def to_model_message(self) -> UserMessage:
        return UserMessage(content=list(self.content), source=self.source)


class StopMessage(BaseTextChatMessage):
    """A request to stop the conversation."""

    model_config = _BUILT_AT_IMPORT

    type: Literal["StopMessage"] = "StopMessage"


class HandoffMessage(BaseTextChatMessage):
    """Hands the conversation to ``target``, optionally with model context to carry over."""

    # Built with the agent that can emit it (build_tool_message_schemas), not at import.
    target: str
    context: list[LLMMessage] = Field(default_factory=no_llm_messages)
    type: Literal["HandoffMessage"] = "HandoffMessage"


class ToolCallSummaryMessage(BaseTextChatMessage):
    """The results of an agent's tool calls, summarised as text."""

    # Built with the agent that can emit it (build_tool_message_schemas), not at import.
    tool_calls: list[FunctionCall]
    results: list[FunctionExecutionResult]
    type: Literal["ToolCallSummaryMessage"] = "ToolCallSummaryMessage"


class ToolCallRequestEvent(BaseAgentEvent):
    """The model asked for these tool calls."""

    # Built with the agent that can emit it (build_tool_message_schemas), not at import.
    content: list[FunctionCall]
    type: Literal["ToolCallRequestEvent"] = "ToolCallRequestEvent"

    def to_text(self) -> str:
        return str(self.content)


class ToolCallExecutionEvent(BaseAgentEvent):
    """The tool calls ran, with these results."""

    # Built with the agent that can emit it (build_tool_message_schemas), not at import.
    content: list[FunctionExecutionResult]
    type: Literal["ToolCallExecutionEvent"] = "ToolCallExecutionEvent"

    def to_text(self) -> str:
        return str(self.content)


class CodeGenerationEvent(BaseAgentEvent):
    """An agent's model wrote code blocks to run (``retry_attempt`` 0 is the first try)."""

    retry_attempt: int
    content: str
    code_blocks: list[CodeBlock]
    type: Literal["CodeGenerationEvent"] = "CodeGenerationEvent"

    def to_text(self) -> str:
        return self.content


class CodeExecutionEvent(BaseAgentEvent):
    """Code blocks ran; ``result`` holds the exit code and the output."""

    retry_attempt: int
    result: CodeResult
    type: Literal["CodeExecutionEvent"] = "CodeExecutionEvent"

    def to_text(self) -> str:
        return self.result.output


class UserInputRequestedEvent(BaseAgentEvent):
    """A user proxy is waiting for input for request ``request_id``."""

    request_id: str
    content: Literal[""] = ""
    type: Literal["UserInputRequestedEvent"] = "UserInputRequestedEvent"

    def to_text(self) -> str:
        return str(self.content)


class MemoryQueryEvent(BaseAgentEvent):
    """An agent's memory returned these items for the current context."""

    content: list[MemoryContent]
    type: Literal["MemoryQueryEvent"] = "MemoryQueryEvent"

    def to_text(self) -> str:
        return str(self.content)


class ModelClientStreamingChunkEvent(BaseAgentEvent):
    """A piece of a reply the model is still streaming."""

    content: str
    full_message_id: str | None = None
    type: Literal["ModelClientStreamingChunkEvent"] = "ModelClientStreamingChunkEvent"

    def to_text(self) -> str:
        return self.content


class ThoughtEvent(BaseAgentEvent):
    """The model's reasoning, shown to observers but not to other agents."""

    content: str
    type: Literal["ThoughtEvent"] = "ThoughtEvent"

    def to_text(self) -> str:
        return self.content


class SelectSpeakerEvent(BaseAgentEvent):
    """The team chose these speakers for the next turn."""

    content: list[str]
    type: Literal["SelectSpeakerEvent"] = "SelectSpeakerEvent"

    def to_text(self) -> str:
        return str(self.content)


class SelectorEvent(BaseAgentEvent):
    """A selector's model streamed part of its choice."""

    content: str
    type: Literal["SelectorEvent"] = "SelectorEvent"

    def to_text(self) -> str:
        return self.content


BUILTIN_CHAT_MESSAGES: tuple[type[BaseChatMessage], ...] = (
    TextMessage,
    MultiModalMessage,
    StopMessage,
    HandoffMessage,
    ToolCallSummaryMessage,
)
BUILTIN_AGENT_EVENTS: tuple[type[BaseAgentEvent], ...] = (
    ToolCallRequestEvent,
    ToolCallExecutionEvent,
    CodeGenerationEvent,
    CodeExecutionEvent,
    UserInputRequestedEvent,
    MemoryQueryEvent,
    ModelClientStreamingChunkEvent,
    ThoughtEvent,
    SelectSpeakerEvent,
    SelectorEvent,
)


#: What an agent with tools or handoffs emits.
TOOL_MESSAGE_TYPES: tuple[type[BaseMessage], ...] = (
    ToolCallRequestEvent,
    ToolCallExecutionEvent,
    ToolCallSummaryMessage,
    HandoffMessage,
)


def build_tool_message_schemas() -> None:
    """Build the schemas of :data:`TOOL_MESSAGE_TYPES` now, if not yet built.

    Agents with tools or handoffs call this when they are made: a program without tools does not pay
    for these schemas at import, and a program with them does not pay in the middle of its first run.
    """
    for message_type in TOOL_MESSAGE_TYPES:
        if not message_type.__pydantic_complete__:
            message_type.model_rebuild()


@functools.cache
def _builtin_types() -> dict[str, type[BaseChatMessage | BaseAgentEvent]]:
    types: dict[str, type[BaseChatMessage | BaseAgentEvent]] = {}
    for t in BUILTIN_CHAT_MESSAGES:
        types[t.__name__] = t
    for e in BUILTIN_AGENT_EVENTS:
        types[e.__name__] = e
    return types


class MessageFactory:
    """Turns dumped messages back into objects; custom message types register here.

    Example:
        >>> factory = MessageFactory()
        >>> factory.create(TextMessage(content="hi", source="a").dump()).content
        'hi'
    """

    def __init__(self) -> None:
        # A copy of one table made once: every team makes a factory, and a loop per team costs more.
        self._message_types: dict[str, type[BaseChatMessage | BaseAgentEvent]] = dict(_builtin_types())

    def is_registered(self, message_type: type[BaseChatMessage | BaseAgentEvent]) -> bool:
        return message_type.__name__ in self._message_types

    def register(self, message_type: type[BaseChatMessage | BaseAgentEvent]) -> None:
        if not (
            isinstance(message_type, type) and issubclass(message_type, BaseChatMessage | BaseAgentEvent)
        ):
            raise ValueError(
                f"{message_type!r} is not a message type: subclass BaseChatMessage or BaseAgentEvent"
            )
        name = message_type.__name__
        existing = self._message_types.get(name)
        if existing is not None and existing is not message_type:
            raise ValueError(f"a different message type named {name!r} is already registered")
        self._message_types[name] = message_type

    def create(self, data: Mapping[str, Any]) -> BaseChatMessage | BaseAgentEvent:
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a dumped message (a mapping), got {type(data).__name__}")
        type_name = data.get("type")
        if not isinstance(type_name, str):
            raise ValueError("the dumped message has no 'type' field naming its message type")
        message_type = self._message_types.get(type_name)
        if message_type is None:
            hint = (
                " (a StructuredMessage[T] is registered automatically by the agent producing it, or "
                "register it with MessageFactory.register)"
                if type_name.startswith("StructuredMessage")
                else "; register custom types with MessageFactory.register"
            )
            raise ValueError(f"unknown message type {type_name!r}{hint}")
        payload = dict(data)
        if type_name.startswith("StructuredMessage"):
            payload.pop("type", None)
        return message_type.load(payload)


# Deprecated aliases AutoGen code still imports.
ChatMessage = BaseChatMessage
AgentEvent = BaseAgentEvent

__all__ = [
    "AgentEvent",
    "BaseAgentEvent",
    "BaseChatMessage",
    "BaseMessage",
    "BaseTextChatMessage",
    "ChatMessage",
    "CodeExecutionEvent",
    "CodeGenerationEvent",
    "HandoffMessage",
    "MemoryQueryEvent",
    "MessageFactory",
    "ModelClientStreamingChunkEvent",
    "MultiModalMessage",
    "SelectSpeakerEvent",
    "SelectorEvent",
    "StopMessage",
    "StructuredContentType",
    "StructuredMessage",
    "TextMessage",
    "ThoughtEvent",
    "ToolCallExecutionEvent",
    "ToolCallRequestEvent",
    "ToolCallSummaryMessage",
    "UserInputRequestedEvent",
]
