"""Model clients as production code uses them, over HTTP with the real SDKs.

The first two tests are the manual's examples, as written apart from the imports: an agent factory
sharing one pooled HTTP client, and a resilient agent that falls back to a backup model. The
environment points the SDKs at the local server, as OPENAI_BASE_URL would at a proxy.
"""

from __future__ import annotations

import asyncio
import re
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai_wire
import pytest
from provider_kits import FAST_RETRIES, ProviderKit
from provider_server import ProviderServer, Recorded, Stall, Step

from flowgen.errors import ConfigurationError
from flowgen.models import UserMessage
from flowgen.models.anthropic import AnthropicChatCompletionClient
from flowgen.models.openai import AzureOpenAIChatCompletionClient, OpenAIChatCompletionClient
from flowgen.models.request_limits import RequestLimits

ASK = [UserMessage(content="hello", source="user")]


def by_model(replies: dict[str, Step]) -> Any:
    """Answer each request by the model it names (the primary and the backup share the server)."""

    def answer(request: Recorded) -> Step:
        return replies[request.body["model"]]

    return answer


@pytest.fixture
def openai_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderServer]:
    server = ProviderServer(answer=by_model({"gpt-4o": openai_wire.completion("pooled answer")})).start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.base_url}/v1")
    try:
        yield server
    finally:
        server.stop()


async def test_manual_agent_factory_shares_one_pooled_client(openai_env: ProviderServer) -> None:
    # --- the manual's example ---
    import httpx

    from flowgen.agents import AssistantAgent
    from flowgen.models.openai import OpenAIChatCompletionClient

    # One client, one connection pool, shared by every agent the factory makes.
    shared_client = OpenAIChatCompletionClient(
        model="gpt-4o",
        http_client=httpx.AsyncClient(limits=httpx.Limits(max_connections=20, max_keepalive_connections=10)),
    )

    def create_agent(name: str, system_message: str) -> AssistantAgent:
        return AssistantAgent(name=name, model_client=shared_client, system_message=system_message)

    agents = [create_agent(f"agent_{i}", "You are a helpful assistant.") for i in range(20)]
    # --- end of the example ---

    for _ in range(5):
        results = await asyncio.gather(*(agent.run(task="hello") for agent in agents))
        assert all(r.messages[-1].to_text() == "pooled answer" for r in results)
    assert len(openai_env.requests) == 100
    # The pool's limit holds, and kept-alive connections are reused: each round after the first
    # opens at most the 10 beyond the keep-alive limit, far fewer than its 20 requests.
    assert openai_env.peak_connections <= 20
    assert openai_env.connections_opened <= 20 + 4 * 10
    # Closing a client leaves the shared pool open for the others.
    await shared_client.close()
    assert await agents[0].run(task="again") is not None
    await shared_client._sdk._client.aclose()  # the pool's owner closes it


async def test_manual_resilient_agent_falls_back_when_the_primary_answers_500(
    openai_env: ProviderServer,
) -> None:
    openai_env.answer = by_model(
        {
            "gpt-4o": openai_wire.error(500, "internal error"),
            "gpt-4o-mini": openai_wire.completion("from the backup"),
        }
    )
    # --- the manual's example ---
    from flowgen.agents import AssistantAgent
    from flowgen.models import FallbackChatCompletionClient
    from flowgen.models.openai import OpenAIChatCompletionClient

    primary = OpenAIChatCompletionClient(model="gpt-4o", max_retries=0)
    backup = OpenAIChatCompletionClient(model="gpt-4o-mini", max_retries=0)
    resilient_agent = AssistantAgent(
        name="resilient_agent",
        model_client=FallbackChatCompletionClient([primary, backup]),
        system_message="You are a helpful assistant.",
    )
    result = await resilient_agent.run(task="What is the capital of France?")
    # --- end of the example ---
    assert result.messages[-1].to_text() == "from the backup"
    assert [r.body["model"] for r in openai_env.requests] == ["gpt-4o", "gpt-4o-mini"]


async def test_a_primary_that_stops_answering_is_abandoned_for_the_backup(openai_env: ProviderServer) -> None:
    from flowgen.models import FallbackChatCompletionClient

    openai_env.answer = by_model({"gpt-4o": Stall(), "gpt-4o-mini": openai_wire.completion("backup in time")})
    primary = OpenAIChatCompletionClient(model="gpt-4o", max_retries=0)
    backup = OpenAIChatCompletionClient(model="gpt-4o-mini", max_retries=0)
    client = FallbackChatCompletionClient([primary, backup], attempt_timeout=0.2)
    result = await client.create(ASK)
    assert result.content == "backup in time"
    # The stalled request was dropped, not left running.
    assert await asyncio.to_thread(openai_env.client_left.wait, 5.0)
    assert "attempt_timeout" in client.last_route.skipped[0].reason
    await client.close()


async def test_a_client_per_agent_opens_a_connection_per_client(openai_env: ProviderServer) -> None:
    clients = [OpenAIChatCompletionClient(model="gpt-4o") for _ in range(10)]
    await asyncio.gather(*(c.create(ASK) for c in clients))
    assert openai_env.connections_opened == 10
    for c in clients:
        await c.close()


async def test_the_request_limit_holds_on_a_real_client(server: ProviderServer) -> None:
    in_flight = 0
    peak = 0
    server.answer = lambda request: openai_wire.completion("ok")
    client = OpenAIChatCompletionClient(
        "gpt-4o",
        api_key="k",
        base_url=f"{server.base_url}/v1",
        retry_policy=FAST_RETRIES,
        limits=RequestLimits(max_concurrent_requests=3),
    )
    original = client._send

    async def watched(body: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await original(body)
        finally:
            in_flight -= 1

    client._send = watched  # type: ignore[method-assign]
    await asyncio.gather(*(client.create(ASK) for _ in range(12)))
    assert peak == 3 and len(server.requests) == 12
    await client.close()


def test_an_unknown_parameter_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown parameter 'temprature'.*did you mean temperature"):
        OpenAIChatCompletionClient("gpt-4o", api_key="k", temprature=0.2)
    with pytest.raises(ConfigurationError, match="'max_token'"):
        AnthropicChatCompletionClient("claude-sonnet-4-5", api_key="k", max_token=10)


def test_a_field_the_client_builds_itself_is_refused_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="messages= cannot be set at construction"):
        OpenAIChatCompletionClient("gpt-4o", api_key="k", messages=[])


async def test_sdk_keywords_reach_the_sdk_and_request_fields_reach_the_request(
    kit: ProviderKit, server: ProviderServer
) -> None:
    extra: dict[str, Any] = (
        {"default_query": {"tenant": "t1"}, "store": False, "service_tier": "flex"}
        if kit.name == "openai"
        else {"default_query": {"tenant": "t1"}, "service_tier": "auto"}
    )
    server.script(kit.text("hi"))
    client = kit.make_client(server, **extra)
    await client.create(ASK)
    request = server.requests[0]
    assert request.path.endswith("?tenant=t1")
    assert request.body["service_tier"] == extra["service_tier"]
    if kit.name == "openai":
        assert request.body["store"] is False
    await client.close()


async def test_azure_takes_a_shared_http_client(server: ProviderServer) -> None:
    server.script(openai_wire.completion("from azure"))
    async with httpx.AsyncClient() as pool:
        client = AzureOpenAIChatCompletionClient(
            azure_endpoint=server.base_url,
            azure_deployment="prod",
            model="gpt-4o",
            api_version="2024-06-01",
            api_key="k",
            http_client=pool,
            retry_policy=FAST_RETRIES,
        )
        result = await client.create(ASK)
        await client.close()
        assert not pool.is_closed  # the caller's pool is the caller's to close
    assert result.content == "from azure"
    assert server.requests[0].path.startswith("/openai/deployments/prod/chat/completions")


async def test_the_readme_production_example_builds_and_answers(
    openai_env: ProviderServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(import httpx\n.*?)```", readme, re.S)
    assert match is not None, "the README has no production-client example"
    monkeypatch.chdir(tmp_path)
    namespace = runpy.run_path(str(_write(tmp_path / "production.py", match.group(1))))
    result = await namespace["agents"][0].run(task="hello")
    assert result.messages[-1].to_text() == "pooled answer"
    again = await namespace["agents"][1].run(task="hello")  # same request: answered from the cache
    assert again.messages[-1].to_text() == "pooled answer"
    assert len(openai_env.requests) == 1
    await namespace["pool"].aclose()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
