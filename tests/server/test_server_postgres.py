"""PostgreSQL as the server's store: checkpoints and the thread directory in one real database.

The server (started by these tests, stopped after them) is the test kit's throwaway PostgreSQL;
each test gets a database of its own. The directory contract is checked on SQLite and PostgreSQL
alike, so both stores answer every call the same way.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_support import KEY_A, KEY_B, TASK
from thread_support import refused, serving_with, stored

from flowgen.checkpoint import PostgresCheckpointer
from flowgen.server.api_keys import digest
from flowgen.server.store_url import open_store
from flowgen.server.thread_directory import SqliteThreadDirectory, ThreadDirectory, open_directory
from flowgen.server.thread_directory_postgres import PostgresThreadDirectory
from flowgen.testing.postgres_server import PostgresServer, pg_bin


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    if pg_bin() is None:
        if os.geteuid() == 0 or os.environ.get("CI"):
            pytest.fail("PostgreSQL is missing; `make test` installs it (scripts/system-deps.sh)")
        pytest.skip(
            "PostgreSQL is not installed and cannot be installed without root (apt-get install postgresql)"
        )
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def database(postgres_server: str) -> str:
    """A fresh, empty database on the session's server: its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_server.rsplit("/", 1)[0] + f"/{name}"


async def rows(url: str, query: str, *args: object) -> list[tuple[Any, ...]]:
    import psycopg

    async with await psycopg.AsyncConnection.connect(url) as conn:
        cur = await conn.execute(query, args)
        return list(await cur.fetchall())


@pytest.fixture(params=["sqlite", "postgres"])
async def directory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ThreadDirectory]:
    url = str(tmp_path / "runs.db") if request.param == "sqlite" else request.getfixturevalue("database")
    found = open_directory(url)
    assert isinstance(found, SqliteThreadDirectory if request.param == "sqlite" else PostgresThreadDirectory)
    yield found
    await found.aclose()


async def test_both_directories_answer_alike(directory: ThreadDirectory) -> None:
    assert await directory.add("a", "o1", {"team": "red", "n": 1}) is not None
    assert await directory.add("b", "o1", {"team": "red", "n": True, "deep": {"x": [1, 2]}}) is not None
    assert await directory.add("c", "o2", {"team": "red", "n": 1.0}) is not None
    assert await directory.add("a", "o2", {}) is None  # taken: nothing changes
    got = await directory.get("a")
    assert got is not None and (got.owner, got.metadata) == ("o1", {"team": "red", "n": 1})

    async def ids(owner: str | None, metadata: dict[str, Any] | None = None, **page: int) -> list[str]:
        return [r.thread_id for r in await directory.listing(owner, metadata, **page)]

    assert await ids("o1") == ["b", "a"]
    assert await ids(None) == ["c", "b", "a"]
    assert await ids(None, limit=1, offset=1) == ["b"]
    assert await ids("o1", {"team": "red"}) == ["b", "a"]
    assert await ids(None, {"n": 1}) == ["a"]  # neither true nor 1.0
    assert await ids(None, {"deep": {"x": [1, 2]}}) == ["b"]
    assert await ids(None, {"team": "red"}, limit=1, offset=2) == ["a"]
    assert await directory.remove("a") is True
    assert await directory.remove("a") is False
    assert await directory.get("a") is None and await ids("o1") == ["b"]


async def test_the_server_keeps_everything_in_postgres(database: str, tmp_path: Path) -> None:
    async with serving_with(tmp_path, store=database) as served:
        assert isinstance(served.store, PostgresCheckpointer)
        assert (await served.client.get("/ready")).json()["checks"]["store"] == "ok"
        made = await served.client.post(
            "/threads", headers=served.headers(), json={"thread_id": "pg-1", "metadata": {"user": "ana"}}
        )
        assert made.status_code == 201, made.text
        run = await served.client.post(
            "/threads/pg-1/runs/wait", headers=served.headers(), json={"agent": "write_review", "input": TASK}
        )
        assert run.status_code == 200 and run.json()["messages"]
        found = await served.client.post(
            "/threads/search", headers=served.headers(), json={"metadata": {"user": "ana"}}
        )
        assert [t["thread_id"] for t in found.json()["threads"]] == ["pg-1"]
        copied = await served.client.post(
            "/threads/pg-1/copy", headers=served.headers(), json={"thread_id": "pg-2"}
        )
        assert (
            copied.status_code == 201
            and copied.json()["messages"]
            == (await served.client.get("/threads/pg-1", headers=served.headers())).json()["messages"]
        )
        before = await stored(served)
        refused(await served.client.post("/threads/pg-1/copy", headers=served.headers(), json={"thread_id": "pg-2"}),
                409, "thread_exists")  # fmt: skip
        refused(
            await served.client.get("/threads/pg-1", headers=served.headers(KEY_B)), 404, "unknown_thread"
        )
        assert await stored(served) == before

    owners = await rows(database, "SELECT thread_id, owner, metadata FROM flowgen_server_threads ORDER BY 1")
    assert owners == [("pg-1", digest(KEY_A), {"user": "ana"}), ("pg-2", digest(KEY_A), {"user": "ana"})]
    counts = dict(await rows(database, "SELECT thread_id, count(*) FROM flowgen_checkpoints GROUP BY 1"))
    assert counts["pg-1"] == counts["pg-2"] > 0
    assert not [r for r in await rows(database, "SELECT owner FROM flowgen_server_threads") if KEY_A in r[0]]

    async with serving_with(tmp_path, store=database) as again:  # a restarted server: same owners
        mine = (await again.client.get("/threads", headers=again.headers())).json()["threads"]
        assert [t["thread_id"] for t in mine] == ["pg-2", "pg-1"]
        assert (await again.client.get("/threads", headers=again.headers(KEY_B))).json() == {"threads": []}
        assert (await again.client.delete("/threads/pg-1", headers=again.headers())).status_code == 204

    assert await rows(database, "SELECT thread_id FROM flowgen_server_threads") == [("pg-2",)]
    assert await rows(database, "SELECT count(*) FROM flowgen_checkpoints WHERE thread_id = 'pg-1'") == [(0,)]


async def test_a_postgres_url_picks_postgres_for_both(database: str) -> None:
    store = open_store(database)
    found = open_directory(database.replace("postgresql://", "postgres://", 1))
    assert isinstance(store, PostgresCheckpointer) and isinstance(found, PostgresThreadDirectory)
    await store.aclose()
    await found.aclose()


async def test_flowgen_serve_on_a_postgres_url(database: str, tmp_path: Path) -> None:
    """The command line's server keeps threads and owners in PostgreSQL and closes both on SIGTERM."""
    repo = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWGEN_")}
    env |= {"PYTHONPATH": str(repo), "FLOWGEN_API_KEYS": KEY_A, "FLOWGEN_ADMIN_API_KEYS": "admin-9c1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "flowgen.cli", "serve", str(repo / "graphs" / "write_review.py"),
        "--port", "0", "--store", database, "--rate-limit-per-minute", "600",
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None and proc.stdout is not None
    try:
        async with asyncio.timeout(60):
            port = None
            while port is None:
                line = (await proc.stderr.readline()).decode()
                assert line, "the server exited before listening"
                found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
                port = int(found.group(1)) if found else None
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                headers = {"X-API-Key": KEY_A}
                made = await client.post("/threads", headers=headers, json={"metadata": {"via": "cli"}})
                thread = made.json()["thread_id"]
                body = {"agent": "write_review", "input": TASK}
                assert (
                    await client.post(f"/threads/{thread}/runs/wait", headers=headers, json=body)
                ).status_code == 200
                admin = await client.post(
                    "/threads/search", headers={"X-API-Key": "admin-9c1"}, json={"metadata": {"via": "cli"}}
                )
                assert [t["thread_id"] for t in admin.json()["threads"]] == [thread]
            proc.send_signal(signal.SIGTERM)
            rest = (await proc.stderr.read()).decode() + (await proc.stdout.read()).decode()
            status = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert status in (0, -signal.SIGTERM) and "Application shutdown complete" in rest
    assert KEY_A not in rest and "admin-9c1" not in rest
    assert await rows(database, "SELECT thread_id, metadata FROM flowgen_server_threads") == [
        (thread, {"via": "cli"})
    ]
    assert (await rows(database, "SELECT count(*) FROM flowgen_checkpoints WHERE thread_id = %s", thread))[0][
        0
    ] > 0
