"""Fixtures for tests that drive the real SDKs over HTTP against the local scripted server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from provider_kits import FAST_RETRIES
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


@pytest.fixture
async def openai_client(server: ProviderServer) -> AsyncIterator[OpenAIChatCompletionClient]:
    client = OpenAIChatCompletionClient(
        model="gpt-4o-mini", api_key="test", base_url=f"{server.base_url}/v1", retry_policy=FAST_RETRIES
    )
    yield client
    await client.close()


@pytest.fixture
async def anthropic_client(server: ProviderServer) -> AsyncIterator[AnthropicChatCompletionClient]:
    client = AnthropicChatCompletionClient(
        model="claude-sonnet-4-6", api_key="test", base_url=server.base_url, retry_policy=FAST_RETRIES
    )
    yield client
    await client.close()
