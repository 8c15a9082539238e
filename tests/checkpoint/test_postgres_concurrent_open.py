"""Runs that start together on a fresh PostgresCheckpointer share one connection pool.

Each lease holds a pooled connection and gives it back to the pool; two pools opened by two runs
starting at once made the second run's release fail ("it comes from pool ..."), as a RunPool
worker starting several runs at once did.
"""

from __future__ import annotations

import asyncio

from flowgen.checkpoint import PostgresCheckpointer


async def test_leases_taken_at_once_on_a_fresh_store_come_from_one_pool(postgres_url: str) -> None:
    store = PostgresCheckpointer(postgres_url)
    leases = await asyncio.gather(*(store.acquire(f"together-{i}") for i in range(4)))
    for lease in leases:
        await lease.release()  # each connection goes back to the pool it came from
    assert sorted(lease.thread_id for lease in leases) == [f"together-{i}" for i in range(4)]
    await store.aclose()
