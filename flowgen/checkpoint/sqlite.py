"""SqliteCheckpointer: every thread in one SQLite file (WAL), safe with several processes at once.

The default store of the command line and the server. Each step is one short write transaction
that appends one row; the file is in WAL mode with ``synchronous=NORMAL``, so a committed step
survives the process being killed at any moment, and a step killed before its commit leaves no
trace. Leases live in the same file: a run holds its thread's lease from start to finish, renews it
with every write, and a lease whose process has died (same machine) or whose time ran out can be
taken over.

SQLite calls run on the event loop's thread: each is a single indexed insert or read, shorter than
handing it to a worker thread would be.

Example:
    >>> import asyncio, tempfile, os
    >>> from flowgen.checkpoint.records import Checkpoint, new_checkpoint_id
    >>> async def main(path: str) -> int:
    ...     store = SqliteCheckpointer(path)
    ...     lease = await store.acquire("t")
    ...     cp = Checkpoint(thread_id="t", checkpoint_id=new_checkpoint_id(), step=0, fingerprint="f")
    ...     await store.put(lease, [cp])
    ...     await lease.release()
    ...     n = len([c async for c in store.history("t")])
    ...     await store.aclose()
    ...     return n
    >>> with tempfile.TemporaryDirectory() as d:
    ...     asyncio.run(main(os.path.join(d, "runs.db")))
    1
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from flowgen.checkpoint.chain import Row, fold, parse
from flowgen.checkpoint.records import Checkpoint, ThreadInfo, ThreadSnapshot
from flowgen.errors import CheckpointError, ThreadBusyError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoints (
    thread_id TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    parent_id TEXT,
    step INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (thread_id, checkpoint_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS graphs (fingerprint TEXT PRIMARY KEY, summary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (
    thread_id TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
    expires REAL NOT NULL
);
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A killed process nobody has reaped yet (its parent died too): it runs nothing any more."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc here: trust the signal check
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


class SqliteLease:
    """A lease on a thread of a :class:`SqliteCheckpointer`."""

    __slots__ = ("_store", "owner", "thread_id")

    def __init__(self, store: SqliteCheckpointer, thread_id: str, owner: str) -> None:
        self._store = store
        self.thread_id = thread_id
        self.owner = owner

    async def release(self) -> None:
        self._store._release(self)


class SqliteCheckpointer:
    """A checkpointer storing every thread in one SQLite file.

    Args:
        path: the database file (created with its tables if missing).
        lease_seconds: how long a lease lasts without a write before another process may take it;
            a lease of a dead process on this machine can be taken at once.
        busy_timeout: seconds to wait for another process's write transaction.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, lease_seconds: float = 600.0, busy_timeout: float = 10.0
    ):
        self.path = Path(path)
        self.lease_seconds = lease_seconds
        self._busy_timeout = busy_timeout
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
            except sqlite3.DatabaseError as error:
                raise CheckpointError(
                    f"cannot open the checkpoint store {str(self.path)!r}: {error}; check the path is a "
                    "writable SQLite file"
                ) from error
            self._db = db
        return self._db

    # ----------------------------------------------------------------- leases

    async def acquire(self, thread_id: str) -> SqliteLease:
        db = self._conn()
        owner, host, pid, now = uuid.uuid4().hex, socket.gethostname(), os.getpid(), time.time()
        db.execute("BEGIN IMMEDIATE")
        try:
            held = db.execute(
                "SELECT owner, host, pid, expires FROM leases WHERE thread_id = ?", (thread_id,)
            ).fetchone()
            if held is not None and held[3] > now and not (held[1] == host and not _alive(held[2])):
                raise ThreadBusyError(
                    f"thread {thread_id!r} is being run by process {held[2]} on {held[1]!r} (lease in "
                    f"{str(self.path)!r}); wait for that run to finish, or use another thread id"
                )
            db.execute(
                "INSERT OR REPLACE INTO leases VALUES (?, ?, ?, ?, ?)",
                (thread_id, owner, host, pid, now + self.lease_seconds),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return SqliteLease(self, thread_id, owner)

    def _release(self, lease: SqliteLease) -> None:
        if self._db is not None:
            self._db.execute(
                "DELETE FROM leases WHERE thread_id = ? AND owner = ?", (lease.thread_id, lease.owner)
            )

    # ----------------------------------------------------------------- writing

    async def put(
        self, lease: object, checkpoints: Sequence[Checkpoint], graph: Mapping[str, Any] | None = None
    ) -> None:
        if not isinstance(lease, SqliteLease) or lease._store is not self:
            raise ThreadBusyError("put() needs a lease taken from this store with acquire()")
        rows = [
            (
                cp.thread_id,
                cp.checkpoint_id,
                cp.parent_id,
                cp.step,
                cp.created_at.isoformat(),
                cp.model_dump_json(),
            )
            for cp in checkpoints
        ]
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            renewed = db.execute(
                "UPDATE leases SET expires = ? WHERE thread_id = ? AND owner = ?",
                (time.time() + self.lease_seconds, lease.thread_id, lease.owner),
            ).rowcount
            if renewed != 1:
                raise ThreadBusyError(
                    f"the lease on thread {lease.thread_id!r} was taken over by another run; this run stops "
                    "without writing so that no two runs interleave their steps"
                )
            if graph is not None and checkpoints:
                db.execute(
                    "INSERT OR IGNORE INTO graphs VALUES (?, ?)",
                    (checkpoints[0].fingerprint, json.dumps(graph, sort_keys=True)),
                )
            self._insert(db, rows)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _insert(self, db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
        """The rows' insert, inside put's transaction (tests interrupt the process here)."""
        db.executemany("INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?)", rows)

    # ----------------------------------------------------------------- reading

    def _rows(self, thread_id: str) -> dict[str, Row]:
        cursor = self._conn().execute(
            "SELECT checkpoint_id, parent_id, payload FROM checkpoints WHERE thread_id = ?", (thread_id,)
        )
        return {r[0]: Row(r[0], r[1], r[2]) for r in cursor}

    async def get(self, thread_id: str, checkpoint_id: str | None = None) -> ThreadSnapshot | None:
        rows = self._rows(thread_id)
        if not rows:
            return None
        return fold(thread_id, rows, checkpoint_id or max(rows))

    async def head(self, thread_id: str) -> str | None:
        row = (
            self._conn()
            .execute("SELECT max(checkpoint_id) FROM checkpoints WHERE thread_id = ?", (thread_id,))
            .fetchone()
        )
        return None if row is None else row[0]

    async def history(
        self, thread_id: str, *, limit: int | None = None, before: str | None = None
    ) -> AsyncIterator[Checkpoint]:
        cursor = self._conn().execute(
            "SELECT checkpoint_id, parent_id, payload FROM checkpoints WHERE thread_id = ? "
            "AND checkpoint_id < ? ORDER BY checkpoint_id DESC LIMIT ?",
            (thread_id, before if before is not None else "\uffff", -1 if limit is None else limit),
        )
        for r in cursor.fetchall():
            yield parse(thread_id, Row(r[0], r[1], r[2]))

    async def graph(self, fingerprint: str) -> dict[str, Any] | None:
        row = (
            self._conn()
            .execute("SELECT summary FROM graphs WHERE fingerprint = ?", (fingerprint,))
            .fetchone()
        )
        return None if row is None else dict(json.loads(row[0]))

    async def threads(self) -> list[ThreadInfo]:
        cursor = self._conn().execute(
            "SELECT thread_id, count(*), max(checkpoint_id) FROM checkpoints GROUP BY thread_id"
        )
        infos = []
        for thread_id, count, head in cursor.fetchall():
            row = (
                self._conn()
                .execute(
                    "SELECT step, created_at FROM checkpoints WHERE thread_id = ? AND checkpoint_id = ?",
                    (thread_id, head),
                )
                .fetchone()
            )
            infos.append(ThreadInfo(thread_id=thread_id, checkpoints=count, head=head, step=row[0],
                                    updated_at=row[1]))  # fmt: skip
        return sorted(infos, key=lambda i: i.head, reverse=True)

    async def delete_thread(self, thread_id: str) -> None:
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM checkpoints WHERE thread_id = ?", (thread_id,))
            db.execute("DELETE FROM leases WHERE thread_id = ?", (thread_id,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    async def aclose(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
