"""McpWorkbench: the tools, resources and prompts of one MCP server.

Beyond AutoGen's: every call has a timeout (``call_timeout``, a minute by default, instead of
failing any tool slower than 5 s) and honours its cancellation token, also on the server (the
request is cancelled there); a server that dies during a call is restarted once and that call
answered with an error result, so a run never hangs on it (a listing or a read, which may be
repeated, is simply repeated after the restart); ``env`` and ``headers`` never reach saved
state, ``repr`` or logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel

from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError, McpServerError
from flowgen.models.types import ToolSchema
from flowgen.tools.mcp.params import McpServerParams
from flowgen.tools.mcp.results import tool_result, tool_schema
from flowgen.tools.mcp.session import McpSession
from flowgen.tools.static_workbench import ToolOverride, describe_error
from flowgen.tools.workbench import ToolResult, Workbench, text_result

if TYPE_CHECKING:
    from mcp import Client
    from mcp.types import (
        CallToolResult,
        GetPromptResult,
        ListPromptsResult,
        ListResourcesResult,
        ListResourceTemplatesResult,
        ReadResourceResult,
    )


T = TypeVar("T")


class McpWorkbenchState(BaseModel):
    type: Literal["McpWorkBenchState"] = "McpWorkBenchState"


def _override_names(overrides: Mapping[str, ToolOverride]) -> dict[str, str]:
    originals: dict[str, str] = {}
    for original, override in overrides.items():
        if override.name is None or override.name == original:
            continue
        if override.name in originals:
            raise ConfigurationError(
                f"tools {originals[override.name]!r} and {original!r} are both renamed to "
                f"{override.name!r}; give each a unique name"
            )
        originals[override.name] = original
    return originals


def _connection_lost(error: BaseException) -> bool:
    from mcp.shared.exceptions import MCPError
    from mcp.types import CONNECTION_CLOSED

    return isinstance(error, MCPError) and error.code == CONNECTION_CLOSED


class McpWorkbench(Workbench):
    """A workbench over one MCP server, reached through ``server_params``.

    It connects on :meth:`start` (or on first use) and disconnects on :meth:`stop`; use it as an
    async context manager so the server process never outlives it. ``call_timeout`` bounds each tool
    call in seconds (``None``: no bound).

    Example:
        >>> from flowgen.tools.mcp import StdioServerParams
        >>> params = StdioServerParams(command="python", args=["-m", "flowgen.testing.mcp_server"])
        >>> McpWorkbench(params).server_params.command
        'python'
    """

    def __init__(
        self,
        server_params: McpServerParams,
        tool_overrides: Mapping[str, ToolOverride] | None = None,
        model_client: Any = None,
        *,
        call_timeout: float | None = 60.0,
    ) -> None:
        if model_client is not None:
            raise ConfigurationError(
                "McpWorkbench does not answer servers' sampling requests yet; leave model_client unset"
            )
        if call_timeout is not None and call_timeout <= 0:
            raise ConfigurationError(f"call_timeout must be positive seconds or None, got {call_timeout}")
        self._server_params = server_params
        self._tool_overrides = dict(tool_overrides or {})
        self._original_names = _override_names(self._tool_overrides)
        self._call_timeout = call_timeout
        self._session: McpSession | None = None
        self._starting = asyncio.Lock()

    @property
    def server_params(self) -> McpServerParams:
        return self._server_params

    @property
    def tool_overrides(self) -> Mapping[str, ToolOverride]:
        return dict(self._tool_overrides)

    @property
    def call_timeout(self) -> float | None:
        return self._call_timeout

    async def start(self) -> None:
        """Connect to the server (spawn it, for stdio); does nothing when already connected."""
        async with self._starting:
            if self._session is not None and self._session.alive:
                return
            session = McpSession(self._server_params)
            await session.open()
            self._session = session

    async def stop(self) -> None:
        """Disconnect (and end a stdio server's process)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def reset(self) -> None:
        return None

    async def save_state(self) -> Mapping[str, Any]:
        return McpWorkbenchState().model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        McpWorkbenchState.model_validate(state)

    async def _connected(self) -> McpSession:
        if self._session is None or not self._session.alive:
            await self.start()
        assert self._session is not None
        return self._session

    async def _request(self, ask: Callable[[Client], Awaitable[T]]) -> T:
        """A request that may be repeated (a listing, a read): once more after restarting a lost server."""
        session = await self._connected()
        try:
            return await ask(session.client)
        except Exception as e:
            if not (_connection_lost(e) or not session.alive):
                raise
        await self._restart(session)
        return await ask((await self._connected()).client)

    async def list_tools(self) -> list[ToolSchema]:
        return await self._request(self._list_tools)

    async def _list_tools(self, client: Client) -> list[ToolSchema]:
        listed = await client.list_tools()
        tools = list(listed.tools)
        while listed.next_cursor is not None:
            listed = await client.list_tools(cursor=listed.next_cursor)
            tools.extend(listed.tools)
        return [tool_schema(t, self._tool_overrides.get(t.name)) for t in tools]

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        try:
            session = await self._connected()
        except McpServerError as e:
            return text_result(name, str(e), is_error=True)
        original = self._original_names.get(name, name)
        work = asyncio.ensure_future(self._call(session, original, dict(arguments or {})))
        if cancellation_token is not None:
            cancellation_token.link_future(work)
        try:
            return tool_result(name, await work)
        except TimeoutError:
            return text_result(
                name,
                f"tool {name!r} did not answer within {self._call_timeout} s and was cancelled; "
                "a slow tool needs a larger McpWorkbench(call_timeout=...)",
                is_error=True,
            )
        except Exception as e:
            if _connection_lost(e) or not session.alive:
                return text_result(name, await self._after_loss(session, name), is_error=True)
            return text_result(name, describe_error(e), is_error=True)

    async def _call(self, session: McpSession, name: str, arguments: dict[str, Any]) -> CallToolResult:
        # The client's own read timeout would fire first and leave the request running; this one
        # cancels the request, which the client passes on to the server.
        async with asyncio.timeout(self._call_timeout):
            return await session.client.call_tool(name, arguments, read_timeout_seconds=1e9)

    async def _after_loss(self, lost: McpSession, name: str) -> str:
        """Restart the server once; the text of the error result for the call that was lost."""
        problem = f"the MCP {lost.where} closed the connection during the call to {name!r}"
        try:
            await self._restart(lost)
        except McpServerError as e:
            return f"{problem}, and restarting it failed: {e}"
        return f"{problem}; it was restarted, and the call can be made again"

    async def _restart(self, lost: McpSession) -> None:
        """Replace the lost session (once, however many calls lost it); McpServerError if that fails."""
        async with self._starting:
            if self._session is lost:
                self._session = None
                await lost.close()
        await self.start()

    async def list_resources(self) -> ListResourcesResult:
        return await self._request(lambda client: client.list_resources())

    async def list_resource_templates(self) -> ListResourceTemplatesResult:
        return await self._request(lambda client: client.list_resource_templates())

    async def read_resource(self, uri: str) -> ReadResourceResult:
        return await self._request(lambda client: client.read_resource(uri))

    async def list_prompts(self) -> ListPromptsResult:
        return await self._request(lambda client: client.list_prompts())

    async def get_prompt(self, name: str, arguments: dict[str, str] | None = None) -> GetPromptResult:
        return await self._request(lambda client: client.get_prompt(name, arguments))
