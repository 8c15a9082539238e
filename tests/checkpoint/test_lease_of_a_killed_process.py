"""A lease held by a killed process is free at once, even before anyone reaps the process (a zombie).

A Ray node killed whole leaves its worker processes unreaped when their parent (the raylet) died
with them and the reaper of last resort does not reap: the SQLite store must not wait for the
lease to time out.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from flowgen.checkpoint import SqliteCheckpointer
from flowgen.errors import ThreadBusyError


async def test_a_lease_of_a_live_process_is_refused_and_of_a_killed_one_taken(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    holder = subprocess.Popen(["sleep", "600"])
    try:
        first = SqliteCheckpointer(path)
        await first.acquire("t")
        with sqlite3.connect(path) as db:  # the lease now names the other process as its holder
            db.execute("UPDATE leases SET pid = ? WHERE thread_id = 't'", (holder.pid,))
        second = SqliteCheckpointer(path)
        with pytest.raises(ThreadBusyError, match="thread 't' is being run by process"):
            await second.acquire("t")
        holder.send_signal(signal.SIGKILL)
        # Wait for it to die without reaping it: it stays a zombie until holder.wait() below.
        os.waitid(os.P_PID, holder.pid, os.WEXITED | os.WNOWAIT)
        lease = await second.acquire("t")
        assert lease.thread_id == "t"
        await first.aclose()
        await second.aclose()
    finally:
        holder.kill()
        holder.wait()
