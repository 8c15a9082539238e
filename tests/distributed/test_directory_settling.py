"""Sends wait for the directory updates sent before them, however many senders there are."""

from __future__ import annotations

import asyncio

from flowgen.distributed import RayAgentRuntime


async def test_every_concurrent_sender_waits_for_the_unsettled_directory_updates() -> None:
    # A serializer registered just before a burst of sends reaches the host actors by an update sent
    # without waiting; a send that went ahead of it would arrive as an unknown payload. The first
    # sender used to take the whole list, so the others found it empty and went ahead at once.
    runtime = RayAgentRuntime()
    update: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    runtime._unsettled.append(update)
    senders = [asyncio.ensure_future(runtime._settle_directory()) for _ in range(3)]
    await asyncio.sleep(0)  # let every sender start waiting
    assert not any(sender.done() for sender in senders)
    update.set_result(None)
    await asyncio.gather(*senders)
    assert runtime._unsettled == []
