"""A throwaway PostgreSQL server for tests and benchmarks, from the system's packages.

It runs ``initdb`` in a fresh temporary directory and starts the server on 127.0.0.1 at a free port,
as an unprivileged user when started by root (the server refuses to run as root), and stops it with
``pg_ctl stop -m fast``. Nothing is left behind: the owner calls :meth:`PostgresServer.stop` (or uses
it as a context manager), which also removes the directory.

Example (needs the ``postgresql`` package)::

    with PostgresServer() as server:
        store = PostgresCheckpointer(server.url)
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from flowgen.errors import ConfigurationError

#: The account the server runs as when we are root: ``nobody``.
UNPRIVILEGED = 65534


def pg_bin() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl`` (newest version), or None if not installed."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """A private PostgreSQL server: :meth:`start` it, connect to :attr:`url`, :meth:`stop` it.

    Args:
        fsync: keep PostgreSQL's fsync on (benchmarks) or off (faster tests; a killed client still
            loses nothing, only a power cut would).
    """

    def __init__(self, *, fsync: bool = False) -> None:
        self.fsync = fsync
        self.url = ""
        self._root: Path | None = None
        self._bin = pg_bin()

    def _run(self, *args: str) -> None:
        demote = ["setpriv", f"--reuid={UNPRIVILEGED}", f"--regid={UNPRIVILEGED}", "--clear-groups"]
        command = [*(demote if os.geteuid() == 0 else []), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise ConfigurationError(
                f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()[-500:]}"
            )

    def start(self) -> str:
        """Create the cluster, start the server, and return its connection URL."""
        if self._bin is None:
            raise ConfigurationError(
                "PostgreSQL is not installed: run scripts/system-deps.sh (apt-get install postgresql)"
            )
        self._root = root = Path(tempfile.mkdtemp(prefix="flowgen-pg-"))
        data = root / "data"
        if os.geteuid() == 0:
            os.chown(root, UNPRIVILEGED, UNPRIVILEGED)
        root.chmod(0o700)
        self._run(str(self._bin / "initdb"), "-D", str(data), "-U", "flowgen", "--auth=trust", "-E", "UTF8",
                  "--no-instructions")  # fmt: skip
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync={'on' if self.fsync else 'off'}"
        )
        self._run(
            str(self._bin / "pg_ctl"), "start", "-w", "-D", str(data), "-l", str(root / "log"), "-o", options
        )
        self.url = f"postgresql://flowgen@127.0.0.1:{port}/postgres"
        return self.url

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory."""
        root, self._root = self._root, None
        if root is None or self._bin is None:
            return
        try:
            if (root / "data" / "postmaster.pid").exists():
                self._run(str(self._bin / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(root / "data"))
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
