"""Every shipped checkpoint store passes the published conformance suite, corrupt rows included."""

from __future__ import annotations

from pathlib import Path

from flowgen.checkpoint import MemoryCheckpointer, PostgresCheckpointer, SqliteCheckpointer
from flowgen.checkpoint.chain import Row
from flowgen.checkpoint.protocol import Checkpointer
from flowgen.testing import check_checkpointer


async def _corrupt_memory(store: Checkpointer, thread: str, checkpoint_id: str) -> None:
    assert isinstance(store, MemoryCheckpointer)
    row = store._rows[thread][checkpoint_id]
    store._rows[thread][checkpoint_id] = Row(row.checkpoint_id, row.parent_id, '{"thread_id": 7')


async def _corrupt_sqlite(store: Checkpointer, thread: str, checkpoint_id: str) -> None:
    assert isinstance(store, SqliteCheckpointer)
    store._conn().execute(
        'UPDATE checkpoints SET payload = \'{"step": "not a number"}\' WHERE thread_id = ? AND checkpoint_id = ?',
        (thread, checkpoint_id),
    )


async def _corrupt_postgres(store: Checkpointer, thread: str, checkpoint_id: str) -> None:
    assert isinstance(store, PostgresCheckpointer)
    pool = await store._open()
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE flowgen_checkpoints SET payload = '[1, 2' WHERE thread_id = %s AND checkpoint_id = %s",
            (thread, checkpoint_id),
        )


async def test_memory_store_conforms() -> None:
    await check_checkpointer(MemoryCheckpointer, _corrupt_memory)


async def test_sqlite_store_conforms(tmp_path: Path) -> None:
    await check_checkpointer(lambda: SqliteCheckpointer(tmp_path / "runs.db"), _corrupt_sqlite)


async def test_postgres_store_conforms(postgres_url: str) -> None:
    await check_checkpointer(lambda: PostgresCheckpointer(postgres_url), _corrupt_postgres)


async def test_the_suite_finds_a_broken_store() -> None:
    class ForgetfulStore(MemoryCheckpointer):
        async def head(self, thread_id: str) -> str | None:
            return None

    try:
        await check_checkpointer(ForgetfulStore)
    except AssertionError as error:
        assert "head() is not the newest checkpoint's id" in str(error)
    else:
        raise AssertionError("the suite passed a store whose head() is wrong")


async def test_the_suite_finds_a_delete_that_removes_too_much() -> None:
    class GreedyStore(MemoryCheckpointer):
        async def delete_thread(self, thread_id: str) -> None:
            self._rows.clear()

    try:
        await check_checkpointer(GreedyStore)
    except AssertionError as error:
        assert "delete_thread() must leave every other thread as it was" in str(error)
    else:
        raise AssertionError("the suite passed a store whose delete_thread() removes every thread")
