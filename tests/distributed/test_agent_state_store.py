"""Agent states kept outside the cluster: the SQLite and Postgres stores, against real databases.

The Postgres server is a real one (flowgen.testing.postgres_server), started once for this module;
`make test` installs PostgreSQL, so these tests never skip for it on a machine where it can.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from flowgen.distributed import RayAgentRuntime
from flowgen.distributed.agent_state_postgres import PostgresAgentStateStore
from flowgen.distributed.agent_state_sqlite import SqliteAgentStateStore
from flowgen.distributed.agent_state_store import (
    MAX_STATE_BYTES,
    AgentStates,
    AgentStateStore,
    masked_url,
    open_agent_state_store,
    resolve_state_source,
)
from flowgen.distributed.directory import Directory
from flowgen.errors import AgentStateError, ConfigurationError
from flowgen.testing.postgres_server import PostgresServer, pg_bin

SECRET = "hunter2-not-for-logs"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if pg_bin() is None:
        if os.geteuid() == 0 or os.environ.get("CI"):
            pytest.fail("PostgreSQL is missing; `make test` installs it (scripts/system-deps.sh)")
        pytest.skip("PostgreSQL is not installed and cannot be installed without root")
    with PostgresServer() as server:
        yield server.url


def with_password(url: str, password: str = SECRET) -> str:
    """The server trusts local connections, so a URL with a password connects all the same."""
    parts = urlsplit(url)
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


@pytest.fixture(params=["sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], AgentStateStore]]:
    """Opens stores on one database, each as a separate process would (own connection or pool)."""
    if request.param == "sqlite":
        source = resolve_state_source(str(tmp_path / "states.db"), "shop")
    else:
        source = with_password(request.getfixturevalue("postgres_url"))
    assert isinstance(source, str)
    yield lambda: open_agent_state_store(source)


async def test_a_saved_state_is_read_back_by_a_store_opened_later(
    make_store: Callable[[], AgentStateStore],
) -> None:
    first = AgentStates(make_store(), "rt-reopen")
    await first.save("cart/alice", {"items": ["tea"], "total": 3.5})
    await first.save("cart/bob", {"items": []})
    await first.aclose()
    # A new store object: what a runtime started again (on a new cluster) opens.
    later = AgentStates(make_store(), "rt-reopen")
    assert await later.load("cart/alice") == {"items": ["tea"], "total": 3.5}
    assert await later.load("cart/bob") == {"items": []}
    assert await later.load("cart/nobody") is None
    assert await AgentStates(later.store, "another-runtime").load("cart/alice") is None
    await later.aclose()


async def test_the_last_write_wins_and_the_version_counts_writes(
    make_store: Callable[[], AgentStateStore],
) -> None:
    # Two writers of one agent (which one actor per agent rules out normally): the last write wins.
    one, two = AgentStates(make_store(), "rt-race"), AgentStates(make_store(), "rt-race")
    await one.save("counter/k", {"n": 1})
    await two.save("counter/k", {"n": 2})
    await one.save("counter/k", {"n": 3})
    assert await two.load("counter/k") == {"n": 3}
    assert await _version(two.store, "rt-race", "counter/k") == 3
    await one.aclose()
    await two.aclose()


async def test_forget_deletes_only_that_runtimes_states(make_store: Callable[[], AgentStateStore]) -> None:
    store = make_store()
    mine, other = AgentStates(store, "rt-forget"), AgentStates(store, "rt-keep")
    await mine.save("a/1", {"x": 1})
    await mine.save("a/2", {"x": 2})
    await other.save("a/1", {"y": 1})
    await mine.forget()
    assert (await mine.load("a/1"), await mine.load("a/2")) == (None, None)
    assert await other.load("a/1") == {"y": 1}
    await store.aclose()


@pytest.mark.parametrize(
    ("row", "said"),
    [
        ("{not json", "is not JSON"),
        ('["a", "list"]', "is not a JSON object"),
        ('{"agent": "cart/alice", "state": {}, "extra": 1}', "is not a JSON object"),
        ('{"agent": "cart/mallory", "state": {"items": 99}}', "was saved by agent 'cart/mallory'"),
        ('{"agent": "cart/alice", "state": [1, 2]}', "holds a list, not a JSON object"),
    ],
)
async def test_a_bad_row_fails_naming_the_agent_and_the_store(
    make_store: Callable[[], AgentStateStore], row: str, said: str
) -> None:
    store = make_store()
    await store.write("rt-bad", "cart/alice", row)  # what anyone with access to the table could write
    with pytest.raises(AgentStateError) as caught:
        await AgentStates(store, "rt-bad").load("cart/alice")
    text = str(caught.value)
    assert said in text
    assert "cart/alice" in text and store.description in text
    assert "delete that row" in text
    assert SECRET not in text
    await store.aclose()


async def test_an_oversized_state_is_refused_on_save_and_on_load(
    make_store: Callable[[], AgentStateStore],
) -> None:
    store = make_store()
    states = AgentStates(store, "rt-big")
    big = {"blob": "x" * MAX_STATE_BYTES}
    with pytest.raises(AgentStateError, match=r"the state of big/1 is \d+ bytes as JSON, over the"):
        await states.save("big/1", big)
    assert await states.load("big/1") is None  # nothing was written
    await store.write("rt-big", "big/1", json.dumps({"agent": "big/1", "state": big}))
    with pytest.raises(AgentStateError, match="big/1"):
        await states.load("big/1")
    await store.aclose()


async def _version(store: AgentStateStore, runtime: str, agent: str) -> int:
    if isinstance(store, SqliteAgentStateStore):
        with sqlite3.connect(store.path) as db:
            found = db.execute(
                "SELECT version FROM agent_states WHERE runtime = ? AND agent = ?", (runtime, agent)
            ).fetchone()
        return int(found[0])
    assert isinstance(store, PostgresAgentStateStore)
    async with await psycopg.AsyncConnection.connect(store.conninfo) as conn:
        cur = await conn.execute(
            "SELECT version FROM flowgen_agent_states WHERE runtime = %s AND agent = %s", (runtime, agent)
        )
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


# ---------------------------------------------------------------- Postgres specifics


async def test_actors_opening_a_fresh_database_together_create_the_table_once(postgres_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute("CREATE DATABASE fresh_states")
    fresh = postgres_url.rsplit("/", 1)[0] + "/fresh_states"
    stores = [PostgresAgentStateStore(fresh) for _ in range(6)]
    await asyncio.gather(*(AgentStates(s, "rt-fresh").save(f"a/{i}", {"i": i}) for i, s in enumerate(stores)))
    assert [await AgentStates(stores[0], "rt-fresh").load(f"a/{i}") for i in range(6)] == [
        {"i": i} for i in range(6)
    ]
    for store in stores:
        await store.aclose()


async def test_the_password_is_never_shown(postgres_url: str) -> None:
    url = with_password(postgres_url)
    store = PostgresAgentStateStore(url)
    assert SECRET not in store.description and SECRET not in repr(store)
    assert ":***@" in store.description
    directory = Directory(runtime_name="rt", state_store=url)
    assert SECRET not in repr(directory)
    # A server that is not there: the error names the store, masked, and chains nothing quoting it.
    port = urlsplit(postgres_url).port
    gone = PostgresAgentStateStore(
        url.replace(f":{port}/", ":1/") + f"?password={SECRET}", connect_timeout=2.0
    )
    with pytest.raises(AgentStateError) as caught:
        await AgentStates(gone, "rt").load("a/1")
    seen: BaseException | None = caught.value
    while seen is not None:
        assert SECRET not in str(seen)
        seen = seen.__cause__ or seen.__context__
    said = str(caught.value)
    assert said.startswith("could not load the state of a/1: cannot open the Postgres agent state store ")
    assert "'postgresql://flowgen:***@127.0.0.1:1/postgres?password=***'" in said
    await store.aclose()


# ---------------------------------------------------------------- choosing the store


def test_masked_url_hides_passwords_in_the_authority_and_the_query() -> None:
    assert masked_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert masked_url("postgresql://u@h/db?password=pw&sslmode=require") == (
        "postgresql://u@h/db?password=***&sslmode=require"
    )
    assert masked_url("postgresql://h/db") == "postgresql://h/db"


def test_an_outside_store_needs_a_runtime_name() -> None:
    with pytest.raises(ConfigurationError, match=r"give RayAgentRuntime\(name=\.\.\.\) the same name"):
        RayAgentRuntime(state_store="states.db")
    assert resolve_state_source(None, None) is None  # the cluster's key-value store needs none


def test_a_sqlite_path_is_made_absolute_and_unknown_urls_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_state_source("states.db", "rt") == str(tmp_path / "states.db")
    with pytest.raises(ConfigurationError, match=r"'mysql://u:\*\*\*@h/db' is not a store flowgen knows"):
        resolve_state_source("mysql://u:pw@h/db", "rt")


async def test_a_store_that_fails_is_named_with_the_agent(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_text("plain text, not SQLite")
    states = AgentStates(SqliteAgentStateStore(tmp_path / "not-a-db"), "rt")
    with pytest.raises(AgentStateError, match=r"could not save the state of a/1: cannot open the SQLite"):
        await states.save("a/1", {"x": 1})
    broken = AgentStates(SqliteAgentStateStore(tmp_path / "ok.db"), "rt")
    await broken.save("a/1", {"x": 1})
    with sqlite3.connect(tmp_path / "ok.db") as other:  # someone drops the table under the store
        other.execute("DROP TABLE agent_states")
    with pytest.raises(AgentStateError) as caught:
        await broken.save("a/1", {"x": 2})
    assert str(caught.value).startswith(
        f"could not save the state of a/1 in the SQLite agent state store {str(tmp_path / 'ok.db')!r}: "
        "OperationalError: no such table: agent_states"
    )
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)  # the store's own error kept
    await broken.aclose()


def test_a_function_must_make_a_store() -> None:
    def made(path: str) -> Callable[[], AgentStateStore]:
        return lambda: SqliteAgentStateStore(path)

    assert isinstance(open_agent_state_store(made("x.db")), SqliteAgentStateStore)
    with pytest.raises(ConfigurationError, match="made a dict, not an AgentStateStore"):
        open_agent_state_store(dict)  # type: ignore[arg-type,return-value]
