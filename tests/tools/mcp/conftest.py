"""Real MCP servers for the tests: flowgen.testing.mcp_server over stdio, and over HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowgen.tools.mcp import StdioServerParams, StreamableHttpServerParams

ROOT = str(Path(__file__).resolve().parents[3])


def server_env() -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH", "")) if p)}


@pytest.fixture
def stdio_params() -> StdioServerParams:
    return StdioServerParams(
        command=sys.executable, args=["-m", "flowgen.testing.mcp_server"], env=server_env()
    )


def start_http_server(transport: str = "http") -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "flowgen.testing.mcp_server", transport],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **server_env()},
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # the server prints READY <port> once it accepts connections
    if not line.startswith("READY "):
        process.kill()
        process.wait()
        raise RuntimeError(f"the MCP test server did not start (said {line!r})")
    return process, int(line.split()[1])


def stop_http_server(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


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
