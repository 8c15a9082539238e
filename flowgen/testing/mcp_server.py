"""A small MCP server for tests and examples, written with the ``mcp`` package (the ``mcp`` extra).

Run it over stdio (``python -m flowgen.testing.mcp_server``), or on 127.0.0.1 over streamable HTTP
(``... http``, at ``/mcp``) or SSE (``... sse``, at ``/sse``); over HTTP it prints ``READY <port>``
once it accepts connections. Its tools cover what a client must cope with: a slow tool, a raising tool, a tool that
kills the server mid-call, a call that blocks until cancelled, nested argument schemas with ``$defs``
and structured results; it also offers a resource, a resource template and a prompt.
"""

from __future__ import annotations

import asyncio
import os
import sys

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field


class Stop(BaseModel):
    city: str
    nights: int = Field(ge=1)


class Trip(BaseModel):
    traveller: str
    stops: list[Stop]


class TripSummary(BaseModel):
    traveller: str
    cities: list[str]
    nights: int


class _Blocker:
    """Calls to ``block`` wait here; tests wait on ``blocked`` and ``block_cancelled``, never on a clock."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()


def build_server() -> MCPServer:
    """The server with every tool, resource and prompt registered."""
    server = MCPServer("flowgen-test-server", log_level="CRITICAL")
    blocker = _Blocker()

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()
    async def slow_echo(text: str, seconds: float) -> str:
        """Echo the text after waiting the given number of seconds."""
        await asyncio.sleep(seconds)
        return text

    @server.tool()
    def fail(reason: str) -> str:
        """Always fails, telling the client why (an anticipated failure)."""
        raise ToolError(f"refused: {reason}")

    @server.tool()
    def explode() -> str:
        """Always raises an unexpected error (the server hides its message from clients)."""
        raise RuntimeError("internal detail")

    @server.tool()
    def crash() -> str:
        """Ends the server process at once, in the middle of the call."""
        os._exit(3)

    @server.tool()
    def pid() -> int:
        """The server's process id."""
        return os.getpid()

    @server.tool()
    async def block() -> str:
        """Waits until the call is cancelled."""
        blocker.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            blocker.cancelled.set()
            raise
        return "unreachable"

    @server.tool()
    async def blocked() -> str:
        """Returns once a call to ``block`` is running."""
        await blocker.started.wait()
        return "blocking"

    @server.tool()
    async def block_cancelled() -> str:
        """Returns once a call to ``block`` was cancelled by its client."""
        await blocker.cancelled.wait()
        return "cancelled"

    @server.tool()
    def plan_trip(trip: Trip) -> TripSummary:
        """Summarise a trip (nested arguments; a structured result)."""
        cities = [s.city for s in trip.stops]
        return TripSummary(traveller=trip.traveller, cities=cities, nights=sum(s.nights for s in trip.stops))

    @server.tool()
    def header(name: str, ctx: Context) -> str:  # type: ignore[type-arg]
        """The value of an HTTP request header, or '-' (over HTTP only)."""
        return (ctx.headers or {}).get(name.lower(), "-")

    @server.tool()
    def env(name: str) -> str:
        """The value of an environment variable of the server process, or '-'."""
        return os.environ.get(name, "-")

    @server.resource("notes://today", mime_type="text/plain")
    def today() -> str:
        """Today's notes."""
        return "Buy milk."

    @server.resource("notes://{day}")
    def notes(day: str) -> str:
        """The notes of a day."""
        return f"Notes for {day}."

    @server.prompt()
    def review(code: str) -> str:
        """Ask for a code review."""
        return f"Please review:\n{code}"

    return server


async def _serve_http(server: MCPServer, transport: str) -> None:
    import uvicorn

    app = server.sse_app() if transport == "sse" else server.streamable_http_app()
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    web = uvicorn.Server(config)
    serving = asyncio.ensure_future(web.serve())
    while not web.started:  # uvicorn offers no event for this; it flips the flag once bound
        await asyncio.sleep(0.01)
        if serving.done():
            serving.result()
    port = web.servers[0].sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    await serving


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    server = build_server()
    if args[:1] in (["http"], ["sse"]):
        asyncio.run(_serve_http(server, args[0]))
    else:
        server.run("stdio")


if __name__ == "__main__":
    main()
