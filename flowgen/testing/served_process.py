"""``flowgen serve`` as a child process on 127.0.0.1, owned by a context manager; its memory and CPU readable.

The server picks a free port (``--port 0``) and the owner reads it from uvicorn's start-up line;
then a thread keeps draining the server's log so it never blocks on a full pipe. Leaving the
context sends SIGTERM and waits for the exit.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ANNOUNCE = "Uvicorn running on http://127.0.0.1:"


@dataclass
class ServedProcess:
    process: subprocess.Popen[str]
    url: str
    log: list[str] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        """The CPU time the server has used so far, user and system (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        """The server's resident memory now (Linux /proc)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line in /proc status")


@contextlib.contextmanager
def served_process(
    files: Sequence[str | Path],
    store: Path | None,
    *flags: str,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
) -> Iterator[ServedProcess]:
    """``flowgen serve FILES --store STORE FLAGS`` on a free port of 127.0.0.1, until the context ends.

    ``store`` None leaves the store to ``env``. The caller's own ``FLOWGEN_*`` variables are not
    passed on, so the flags and ``env`` are the whole configuration. ``cwd`` (default: the current
    directory) is also put first on the server's PYTHONPATH, so the served files import their
    neighbours as the caller's tree has them. Leaving sends SIGTERM, then SIGKILL after 30 s.
    """
    folder = Path(cwd or Path.cwd()).resolve()
    given = ["--store", str(store)] if store is not None else []
    command = [sys.executable, "-m", "flowgen.cli", "serve", *map(str, files), "--port", "0", *given, *flags]
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("FLOWGEN_")}
    env = {**inherited, "FLOWGEN_LOG_LEVEL": "info", "PYTHONUNBUFFERED": "1", **(env or {})}
    env["PYTHONPATH"] = os.pathsep.join([str(folder), *filter(None, [os.environ.get("PYTHONPATH")])])
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=folder
    )
    assert process.stderr is not None
    log: list[str] = []
    drain = threading.Thread(target=lambda: log.extend(process.stderr or ()), name="served-log")
    try:
        for line in process.stderr:  # uvicorn announces its address once it listens
            log.append(line)
            if ANNOUNCE in line:
                port = int(line.split(ANNOUNCE, 1)[1].split()[0])
                break
        else:
            raise AssertionError(f"the server exited ({process.wait()}) without listening:\n{''.join(log)}")
        drain.start()  # the log keeps flowing, so the server never blocks on a full pipe
        yield ServedProcess(process, f"http://127.0.0.1:{port}", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if drain.is_alive():
            drain.join()  # the pipe closed with the process
