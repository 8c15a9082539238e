"""Workbench: a set of tools behind one interface, sharing resources and state (AutoGen's protocol).

A workbench lists the tools it offers now (the list may change after any call) and runs one by name,
always answering with a :class:`ToolResult`: a failing tool is an ``is_error`` result, never an
exception, so a model reads what went wrong. Cancellation is the one thing that propagates.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping
from types import TracebackType
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, Field

from flowgen.core import CancellationToken, Image
from flowgen.core.component import Component
from flowgen.models.types import ToolSchema


class TextResultContent(BaseModel):
    """Text a tool produced."""

    type: Literal["TextResultContent"] = "TextResultContent"
    content: str


class ImageResultContent(BaseModel):
    """An image a tool produced."""

    type: Literal["ImageResultContent"] = "ImageResultContent"
    content: Image


ResultContent = Annotated[TextResultContent | ImageResultContent, Field(discriminator="type")]


class ToolResult(BaseModel):
    """What a workbench answers for one call.

    ``structured_content`` keeps a tool's machine-readable result (an MCP tool's ``structuredContent``)
    next to the text a model reads; it is ``None`` for tools that return only content.

    Example:
        >>> ToolResult(name="add", result=[TextResultContent(content="3")]).to_text()
        '3'
    """

    type: Literal["ToolResult"] = "ToolResult"
    name: str
    result: list[ResultContent]
    is_error: bool = False
    structured_content: dict[str, Any] | None = None

    def to_text(self, replace_image: str | None = None) -> str:
        """The parts as one text, one per line; an image as ``replace_image`` or as its base64 data."""
        parts: list[str] = []
        for part in self.result:
            if isinstance(part, TextResultContent):
                parts.append(part.content)
            elif replace_image is not None:
                parts.append(replace_image)
            else:
                parts.append(f"[Image: {part.content.to_base64()}]")
        return "\n".join(parts)


def text_result(name: str, text: str, *, is_error: bool = False) -> ToolResult:
    """A result holding one text part."""
    return ToolResult(name=name, result=[TextResultContent(content=text)], is_error=is_error)


class Workbench(ABC, Component[Any]):
    """Tools that share resources and state, started and stopped together.

    Use it as an async context manager (``async with workbench:``), or call :meth:`start` and
    :meth:`stop`; whoever starts a workbench stops it.
    """

    component_type: ClassVar[str] = "workbench"

    @abstractmethod
    async def list_tools(self) -> list[ToolSchema]:
        """The tools offered now, as schemas a model reads."""

    @abstractmethod
    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        """Run tool ``name``; every failure except cancellation is an ``is_error`` result."""

    @abstractmethod
    async def start(self) -> None:
        """Acquire what the tools need (processes, connections)."""

    @abstractmethod
    async def stop(self) -> None:
        """Release what :meth:`start` acquired."""

    @abstractmethod
    async def reset(self) -> None:
        """Return to the state just after :meth:`start`."""

    @abstractmethod
    async def save_state(self) -> Mapping[str, Any]:
        """The tools' state, JSON-serializable."""

    @abstractmethod
    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`save_state` returned."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.stop()


class StreamWorkbench(Workbench, ABC):
    """A workbench whose calls can pass out events while they run, the :class:`ToolResult` last."""

    @abstractmethod
    def call_tool_stream(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> AsyncGenerator[Any | ToolResult, None]:
        """Run tool ``name``, yielding its events and then its result."""
