"""A real ``flowgen serve`` in a subprocess on 127.0.0.1, for browser tests and screenshots.

:func:`serve_process` starts it and stops it (SIGTERM, then SIGKILL if it will not stop). The port is
the one uvicorn reports on start (``--port 0`` lets the system choose), read from the server's log as
it is written: no polling, no sleeping. ``FLOWGEN_*`` variables of the caller are not passed on, so
the flags given are the whole configuration.

Example:
    >>> with serve_process(["graphs/write_review.py"], "runs.db", "--insecure-no-auth") as url:  # doctest: +SKIP
    ...     print(url)
    http://127.0.0.1:41233
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from flowgen.errors import ConfigurationError

READY = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")
START_SECONDS = 60


@contextmanager
def serve_process(
    files: Sequence[str | Path],
    store: str | Path,
    *flags: str,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """``flowgen serve FILES --store STORE FLAGS`` on a free port; yields its base URL, then stops it.

    ``cwd`` (default: the current directory) is also put first on the server's PYTHONPATH, so the
    served files import their neighbours as the caller's tree has them. ``env`` adds variables.
    """
    folder = Path(cwd or Path.cwd()).resolve()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("FLOWGEN_")}, **(env or {})}
    env["PYTHONPATH"] = os.pathsep.join([str(folder), *filter(None, [os.environ.get("PYTHONPATH")])])
    command = [sys.executable, "-m", "flowgen.cli", "serve", *map(str, files), "--store", str(store)]
    server = subprocess.Popen(
        [*command, "--port", "0", *flags],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
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
            raise ConfigurationError(
                f"flowgen serve did not start in {START_SECONDS} s; its output:\n{''.join(log)}"
            ) from None
        if line is None:
            raise ConfigurationError(f"flowgen serve exited before serving; its output:\n{''.join(log)}")
        found = READY.search(line)
        if found:
            return found[1]
