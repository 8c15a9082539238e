"""Fixtures for tests that drive the real SDKs over HTTP against the local scripted server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from provider_kits import KITS, ProviderKit, anthropic_client_for, openai_client_for
from provider_server import ProviderServer

from flowgen.models.anthropic import AnthropicChatCompletionClient
from flowgen.models.openai import OpenAIChatCompletionClient


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    provider = ProviderServer().start()
    try:
        yield provider
    finally:
        provider.stop()
    assert not provider.unexpected, f"requests the test did not script: {provider.unexpected}"


@pytest.fixture(params=KITS, ids=lambda kit: kit.name)
def kit(request: pytest.FixtureRequest) -> ProviderKit:
    """Each provider in turn, for tests that must hold for both."""
    kit: ProviderKit = request.param
    return kit


@pytest.fixture
async def openai_client(server: ProviderServer) -> AsyncIterator[OpenAIChatCompletionClient]:
    client = openai_client_for(server)
    yield client
    await client.close()


@pytest.fixture
async def anthropic_client(server: ProviderServer) -> AsyncIterator[AnthropicChatCompletionClient]:
    client = anthropic_client_for(server)
    yield client
    await client.close()
