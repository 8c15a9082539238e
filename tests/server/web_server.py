"""A real ``flowgen serve`` for the browser tests: a subprocess on 127.0.0.1, stopped by its owner.

The port is the one uvicorn reports on start (``--port 0`` lets the system choose), read from the
server's log as it is written: no polling, no sleeping.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEAM_FILE = Path(__file__).with_name("web_team.py")
READY = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")
START_SECONDS = 60


@contextmanager
def flowgen_serve(store: Path, *extra: str) -> Iterator[str]:
    """Serve ``web_team`` (agent ``web_team``) with its threads in ``store``; yields the base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWGEN_")}
    env["PYTHONPATH"] = str(ROOT)
    command = [
        sys.executable,
        "-m",
        "flowgen.cli",
        "serve",
        str(TEAM_FILE),
        "--port",
        "0",
        "--store",
        str(store),
    ]
    server = subprocess.Popen(
        [*command, *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str | None] = queue.Queue()
    log: list[str] = []

    def read() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            log.append(line)
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield _base_url(lines, log)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        reader.join(timeout=10)


def _base_url(lines: queue.Queue[str | None], log: list[str]) -> str:
    while True:
        try:
            line = lines.get(timeout=START_SECONDS)
        except queue.Empty:
            raise AssertionError(f"the server did not start in {START_SECONDS} s:\n{''.join(log)}") from None
        if line is None:
            raise AssertionError(f"the server exited before serving:\n{''.join(log)}")
        found = READY.search(line)
        if found:
            return found[1]
