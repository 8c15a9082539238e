"""Starting and stopping the MCP test server over HTTP (shared by the MCP tests and their fixtures)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[3])


def server_env() -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH", "")) if p)}


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
