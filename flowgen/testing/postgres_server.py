"""A throwaway PostgreSQL server for tests and benchmarks, from the system's packages.

It runs ``initdb`` in a fresh temporary directory and starts the server on 127.0.0.1 at a free port,
as an unprivileged user when started by root (the server refuses to run as root), and stops it with a
fast shutdown. Nothing is left behind: the owner calls :meth:`PostgresServer.stop` (or uses it as a
context manager), which also removes the directory. The server is the owner's child and is told to
shut down when the owner dies (a parent-death signal), so a test run that is killed leaves no server
running either.

Example (needs the ``postgresql`` package)::

    with PostgresServer() as server:
        store = PostgresCheckpointer(server.url)
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
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
        self._server: subprocess.Popen[bytes] | None = None
        self._log_copier: threading.Thread | None = None

    def _command(self, *args: str) -> list[str]:
        # SIGINT is PostgreSQL's fast shutdown. setpriv sets the parent-death signal after changing the
        # user, which would otherwise clear it.
        demote = [f"--reuid={UNPRIVILEGED}", f"--regid={UNPRIVILEGED}", "--clear-groups"]
        return ["setpriv", "--pdeathsig", "INT", *(demote if os.geteuid() == 0 else []), *args]

    def _run(self, *args: str) -> None:
        done = subprocess.run(self._command(*args), capture_output=True, text=True, check=False, timeout=120)
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
        self._server = subprocess.Popen(
            self._command(str(self._bin / "postgres"), "-D", str(data), *options.split()),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        self._await_ready(root / "log")
        self.url = f"postgresql://flowgen@127.0.0.1:{port}/postgres"
        return self.url

    def _await_ready(self, log: Path) -> None:
        """Read the server's log until it accepts connections; then copy the rest to ``log``."""
        assert self._server is not None and self._server.stderr is not None
        stderr, seen = self._server.stderr, []
        for line in stderr:  # ends when the server exits, so a failed start cannot hang here
            seen.append(line)
            if b"ready to accept connections" in line:
                break
        else:
            self._server.wait()
            said = b"".join(seen).decode(errors="replace").strip()[-500:]
            raise ConfigurationError(
                f"postgres exited ({self._server.returncode}) before it was ready: {said}"
            )

        def copy() -> None:  # the server blocks if nobody drains its log
            with log.open("ab") as out:
                out.writelines(seen)
                for line in stderr:
                    out.write(line)

        self._log_copier = threading.Thread(target=copy, name="postgres-log", daemon=True)
        self._log_copier.start()

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory."""
        root, self._root = self._root, None
        server, self._server = self._server, None
        try:
            if server is not None and server.poll() is None:
                server.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
                try:
                    server.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
            if self._log_copier is not None:
                self._log_copier.join(timeout=10)
        finally:
            if root is not None:
                shutil.rmtree(root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
