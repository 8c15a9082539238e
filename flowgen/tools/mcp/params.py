"""How to reach an MCP server: a command over stdio, or a URL over SSE or streamable HTTP.

The field names and defaults are AutoGen's. ``env`` and ``headers`` often carry secrets (API keys,
bearer tokens): their values never appear in ``repr``/``str``, in saved state or in flowgen's logs.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

_SECRET_FIELDS = ("env", "headers")


class _ServerParams(BaseModel):
    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            if name in _SECRET_FIELDS and isinstance(value, dict):
                yield name, dict.fromkeys(value, "<hidden>")
            else:
                yield name, value


class StdioServerParams(_ServerParams):
    """Run ``command args...`` and speak MCP over its stdin/stdout.

    ``env`` is added to a minimal default environment (as the ``mcp`` package does);
    ``read_timeout_seconds`` bounds the set-up requests and listings, not tool calls (those have the
    workbench's ``call_timeout``).
    """

    type: Literal["StdioServerParams"] = "StdioServerParams"
    command: str
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] | None = None
    cwd: str | None = None
    encoding: str = "utf-8"
    encoding_error_handler: Literal["strict", "ignore", "replace"] = "strict"
    read_timeout_seconds: float = 5


class SseServerParams(_ServerParams):
    """An MCP server at an SSE endpoint (the older HTTP transport)."""

    type: Literal["SseServerParams"] = "SseServerParams"
    url: str
    headers: dict[str, Any] | None = None
    timeout: float = 5
    sse_read_timeout: float = 60 * 5


class StreamableHttpServerParams(_ServerParams):
    """An MCP server at a streamable HTTP endpoint (usually ``.../mcp``)."""

    type: Literal["StreamableHttpServerParams"] = "StreamableHttpServerParams"
    url: str
    headers: dict[str, Any] | None = None
    timeout: float = 30.0
    sse_read_timeout: float = 300.0
    terminate_on_close: bool = True


McpServerParams = Annotated[
    StdioServerParams | SseServerParams | StreamableHttpServerParams, Field(discriminator="type")
]
