"""What both SDK-backed clients share (timeouts, cancelling a request in flight), for each provider."""

from __future__ import annotations

import asyncio

import pytest
from client_inputs import ASK
from provider_kits import ProviderKit
from provider_server import ProviderServer, Stall

from flowgen.core import CancellationToken
from flowgen.errors import ModelClientError


async def test_a_request_that_outlives_the_timeout_fails_as_retryable(
    kit: ProviderKit, server: ProviderServer
) -> None:
    client = kit.make_client(server, timeout=0.3, max_retries=0)
    server.script(Stall())
    with pytest.raises(ModelClientError) as caught:
        await client.create(ASK)
    assert caught.value.retryable is True
    assert isinstance(caught.value.__cause__, kit.timeout_error)
    await client.close()


async def test_cancelling_a_pending_request_aborts_it(kit: ProviderKit, server: ProviderServer) -> None:
    client = kit.make_client(server)
    server.script(Stall())
    token = CancellationToken()

    async def cancel_once_sent() -> None:
        await asyncio.to_thread(server.request_arrived.wait, 5.0)
        token.cancel()

    async with asyncio.TaskGroup() as group:
        group.create_task(cancel_once_sent())
        with pytest.raises(asyncio.CancelledError):
            await client.create(ASK, cancellation_token=token)
    assert await asyncio.to_thread(server.client_left.wait, 5.0)
    await client.close()
