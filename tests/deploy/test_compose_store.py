"""The compose file's store setting works: ``flowgen serve`` on a real PostgreSQL with FLOWGEN_STORE as
compose writes it (host and port pointed at a private server here), threads kept across a restart."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_files import ROOT, compose

from flowgen.client import AsyncClient
from flowgen.testing.postgres_server import PostgresServer, pg_bin
from flowgen.testing.served_process import served_process

KEY = "compose-key-41c2"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    if pg_bin() is None:
        if os.geteuid() == 0 or os.environ.get("CI"):
            pytest.fail("PostgreSQL is missing; `make test` installs it (scripts/system-deps.sh)")
        pytest.skip("PostgreSQL is not installed and cannot be installed without root")
    with PostgresServer() as server:
        import psycopg

        with psycopg.connect(server.url, autocommit=True) as db:
            db.execute("CREATE DATABASE flowgen")  # compose's POSTGRES_DB
        yield server


def compose_store(postgres: PostgresServer) -> str:
    """FLOWGEN_STORE as compose gives it, its host and port those of the private server."""
    template: str = compose()["services"]["server"]["environment"]["FLOWGEN_STORE"]
    address = postgres.url.split("@", 1)[1].split("/", 1)[0]  # 127.0.0.1:PORT
    return template.replace("${POSTGRES_PASSWORD}", "unused-with-trust").replace("postgres:5432", address)


async def test_the_compose_store_keeps_threads_across_a_restart(postgres: PostgresServer) -> None:
    env = {"FLOWGEN_STORE": compose_store(postgres), "FLOWGEN_API_KEYS": KEY}
    files = [str(ROOT / "graphs/write_review.py")]
    with served_process(files, None, env=env) as server:
        async with AsyncClient(server.url, api_key=KEY) as client:
            assert (await client.ready())["checks"]["store"] == "ok"
            thread = (await client.create_thread())["thread_id"]
            ran = await client.wait_run(thread, "write_review", input="Write a haiku about autumn.")
        assert "unused-with-trust" not in "".join(server.log)
    with served_process(files, None, env=env) as server:
        async with AsyncClient(server.url, api_key=KEY) as client:
            kept = await client.get_thread(thread)
    assert kept["checkpoint_id"] == ran["checkpoint_id"] and len(kept["messages"]) == len(ran["messages"])


def test_the_compose_store_names_the_compose_database(tmp_path: Path) -> None:
    store = compose()["services"]["server"]["environment"]["FLOWGEN_STORE"]
    postgres = compose()["services"]["postgres"]["environment"]
    assert store == (
        f"postgresql://{postgres['POSTGRES_USER']}:${{POSTGRES_PASSWORD}}@postgres:5432/{postgres['POSTGRES_DB']}"
    )
