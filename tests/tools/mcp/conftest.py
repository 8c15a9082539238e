"""Real MCP servers for the tests: flowgen.testing.mcp_server over stdio, and over HTTP on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from mcp_server_support import server_env, start_http_server, stop_http_server

from flowgen.tools.mcp import StdioServerParams, StreamableHttpServerParams


@pytest.fixture
def stdio_params() -> StdioServerParams:
    return StdioServerParams(
        command=sys.executable, args=["-m", "flowgen.testing.mcp_server"], env=server_env()
    )


@pytest.fixture(scope="session")
def http_server() -> Iterator[str]:
    """The URL of a streamable HTTP MCP server, for the whole session."""
    process, port = start_http_server()
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop_http_server(process)


@pytest.fixture
def http_params(http_server: str) -> StreamableHttpServerParams:
    return StreamableHttpServerParams(url=http_server, headers={"Authorization": "Bearer s3cret-token"})
