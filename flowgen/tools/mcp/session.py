"""One connection to an MCP server, held open by a task of its own.

The ``mcp`` client is an async context manager whose cancel scopes must be entered and left by the
same task, while an agent calls tools from whichever task runs it. So one owner task enters the
client and waits to be told to close; every other task sends requests through the open client.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from flowgen.errors import McpServerError
from flowgen.tools.mcp.params import SseServerParams, StdioServerParams, StreamableHttpServerParams

if TYPE_CHECKING:
    from mcp import Client

ServerParams = StdioServerParams | SseServerParams | StreamableHttpServerParams


def _describe(params: ServerParams) -> str:
    """Where the server is, without anything secret (no env, no headers, no URL user info)."""
    if isinstance(params, StdioServerParams):
        return f"stdio server {' '.join([params.command, *params.args])!r}"
    from urllib.parse import urlsplit

    parts = urlsplit(params.url)
    return f"server at {parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _client(params: ServerParams) -> Client:
    from mcp import Client

    if isinstance(params, StdioServerParams):
        from mcp import StdioServerParameters
        from mcp.client.stdio import stdio_client

        spawn = StdioServerParameters(
            command=params.command,
            args=params.args,
            env=params.env,
            cwd=params.cwd,
            encoding=params.encoding,
            encoding_error_handler=params.encoding_error_handler,
        )
        return Client(stdio_client(spawn), read_timeout_seconds=params.read_timeout_seconds, cache=None)
    import httpx2
    from mcp.shared._httpx_utils import create_mcp_http_client

    headers = {k: str(v) for k, v in (params.headers or {}).items()}
    timeout = httpx2.Timeout(params.timeout, read=params.sse_read_timeout)
    if isinstance(params, SseServerParams):
        from mcp.client.sse import sse_client

        transport: Any = sse_client(
            params.url, headers=headers, timeout=params.timeout, sse_read_timeout=params.sse_read_timeout
        )
    else:
        from mcp.client.streamable_http import streamable_http_client

        transport = streamable_http_client(
            params.url,
            http_client=create_mcp_http_client(headers=headers, timeout=timeout),
            terminate_on_close=params.terminate_on_close,
        )
    return Client(transport, read_timeout_seconds=params.timeout, cache=None)


class McpSession:
    """An open client; :meth:`open` and :meth:`close` are called by the one who owns it."""

    def __init__(self, params: ServerParams) -> None:
        self.params = params
        self.where = _describe(params)
        self._client: Client | None = None
        self._ready = asyncio.Event()
        self._closing = asyncio.Event()
        self._failure: BaseException | None = None
        self._owner: asyncio.Task[None] | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            raise McpServerError(f"the MCP {self.where} is not connected")
        return self._client

    @property
    def alive(self) -> bool:
        return self._client is not None and self._owner is not None and not self._owner.done()

    async def open(self) -> None:
        """Connect (spawning the process for stdio); raise McpServerError naming the server if it fails."""
        # A task of its own holds the client open (see the module docstring); close() ends it.
        self._owner = asyncio.get_running_loop().create_task(self._hold(), name=f"mcp {self.where}")
        try:
            await self._ready.wait()
        except BaseException:  # cancelled while connecting: the owner task must not outlive us
            self._owner.cancel()
            await asyncio.gather(self._owner, return_exceptions=True)
            raise
        if self._client is None:
            await self._owner
            cause = self._failure
            raise McpServerError(f"could not connect to the MCP {self.where}: {_reason(cause)}") from cause

    async def _hold(self) -> None:
        try:
            async with _client(self.params) as client:
                self._client = client
                self._ready.set()
                await self._closing.wait()
        except Exception as e:  # reported by open(), or lost with the connection it belonged to
            self._failure = e
        finally:
            self._client = None
            self._ready.set()

    async def close(self) -> None:
        """Disconnect and, for stdio, end the server process; waits until it is done."""
        self._closing.set()
        if self._owner is not None:
            # gather: the owner's own failure (or cancellation) was reported already, or is moot now.
            await asyncio.gather(self._owner, return_exceptions=True)


def _reason(error: BaseException | None) -> str:
    if error is None:
        return "the connection closed"
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(_reason(e) for e in error.exceptions)
    return str(error) or type(error).__name__
