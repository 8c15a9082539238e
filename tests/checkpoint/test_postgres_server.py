"""The test kit's PostgreSQL server never outlives its owner, even one that is killed."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from flowgen.testing.postgres_server import PostgresServer, pg_bin

pytestmark = pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL is not installed (see conftest)")

OWNER = """
from flowgen.testing.postgres_server import PostgresServer
server = PostgresServer()
server.start()
print(server._server.pid, flush=True)
input()  # held until the test kills this process
"""


def _exited_within(pid: int, seconds: float) -> bool:
    """Wait for ``pid`` to exit (a pidfd becomes readable when it does), up to ``seconds``."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


def test_a_killed_owner_takes_its_server_with_it() -> None:
    # The killed owner cannot remove its server's directory: it goes in one this test removes (not
    # pytest's own, which the unprivileged server account cannot enter).
    folder = Path(tempfile.mkdtemp(prefix="flowgen-pg-owner-"))
    folder.chmod(0o755)
    try:
        owner = subprocess.Popen(
            [sys.executable, "-c", OWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "TMPDIR": str(folder)},
        )  # fmt: skip
        assert owner.stdout is not None
        server_pid = int(owner.stdout.readline())
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        assert _exited_within(server_pid, 60), f"postgres {server_pid} outlived its killed owner"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_stop_shuts_the_server_down_and_removes_its_files() -> None:
    server = PostgresServer()
    server.start()
    assert server._server is not None and server._root is not None
    pid, root = server._server.pid, server._root
    server.stop()
    assert _exited_within(pid, 1)
    assert not root.exists()
