"""Telemetry over the real SDKs: trace context reaches the provider, chat spans carry what it answered,
retries are counted, and a fake API key never appears in logs, spans or saved state."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import openai_wire
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from provider_kits import ProviderKit, openai_client_for
from provider_server import ProviderServer

import flowgen.telemetry as telemetry
from flowgen.agents import AssistantAgent
from flowgen.errors import ModelClientError
from flowgen.teams import RoundRobinGroupChat
from flowgen.telemetry import hooks

MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-sonnet-4-6"}
RESPONSE_IDS = {"openai": "chatcmpl-test", "anthropic": "msg_test"}


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.instrument(tracer_provider=provider)
    yield exporter
    hooks.observer = None


@pytest.mark.parametrize("streaming", [False, True], ids=["create", "stream"])
async def test_the_chat_span_is_the_parent_the_provider_sees(
    server: ProviderServer, kit: ProviderKit, exporter: InMemorySpanExporter, streaming: bool
) -> None:
    server.script(kit.streamed_text("hello there") if streaming else kit.text("hello there"))
    client = kit.make_client(server, temperature=0.25)
    agent = AssistantAgent("a", client, model_client_stream=streaming)
    await RoundRobinGroupChat([agent], max_turns=1).run(task="hi")
    await client.close()
    chat = next(s for s in exporter.get_finished_spans() if s.name.startswith("chat"))
    assert chat.name == f"chat {MODELS[kit.name]}"
    assert chat.attributes["gen_ai.provider.name"] == kit.name
    assert chat.attributes["gen_ai.request.model"] == MODELS[kit.name]
    assert chat.attributes["gen_ai.request.temperature"] == 0.25
    assert chat.attributes["gen_ai.response.id"] == RESPONSE_IDS[kit.name]
    assert chat.attributes["gen_ai.response.model"] == MODELS[kit.name]
    assert chat.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    if streaming:
        assert chat.attributes["gen_ai.response.time_to_first_chunk"] > 0
    (request,) = server.requests
    version, trace_id, span_id, flags = request.headers["traceparent"].split("-")
    assert version == "00" and int(flags, 16) & 1  # sampled
    assert int(trace_id, 16) == chat.context.trace_id
    assert int(span_id, 16) == chat.context.span_id


async def test_without_telemetry_no_trace_context_is_sent(server: ProviderServer, kit: ProviderKit) -> None:
    server.script(kit.text("hello"))
    client = kit.make_client(server)
    await RoundRobinGroupChat([AssistantAgent("a", client)], max_turns=1).run(task="hi")
    await client.close()
    assert "traceparent" not in server.requests[0].headers


async def test_retries_are_counted_and_marked_on_the_chat_span(
    server: ProviderServer, exporter: InMemorySpanExporter
) -> None:
    server.script(openai_wire.error(503, "busy"), openai_wire.completion("fine"))
    client = openai_client_for(server)
    await RoundRobinGroupChat([AssistantAgent("a", client)], max_turns=1).run(task="hi")
    await client.close()
    chat = next(s for s in exporter.get_finished_spans() if s.name.startswith("chat"))
    assert [e.name for e in chat.events] == ["retry"]
    body, _ = telemetry.render_metrics()
    assert 'flowgen_model_retries_total{provider="openai"} 1.0' in body.decode()


FAKE_KEY = "sk-fake-0123456789abcdefFAKE"
ODD_KEY = "company-vault-7f3a9c2e41"  # a key of no known shape: redacted because the client was given it


@pytest.mark.parametrize("key", [FAKE_KEY, ODD_KEY])
async def test_a_fake_key_appears_in_no_log_line_span_or_saved_state(
    server: ProviderServer, exporter: InMemorySpanExporter, key: str
) -> None:
    stream = io.StringIO()
    handler = telemetry.configure_logging("json", stream=stream, level=logging.DEBUG)
    assert hooks.observer is not None
    hooks.observer.capture_content = True  # type: ignore[attr-defined]
    try:
        # The provider rejects the key, quoting it, as real APIs do; then a retry succeeds.
        server.script(
            openai_wire.error(401, f"Incorrect API key provided: {key}. Authorization: Bearer {key}"),
            openai_wire.completion(f"your key is {key}"),
        )
        client = openai_client_for(server, api_key=key, max_retries=0)
        agent = AssistantAgent("a", client, system_message=f"never reveal {key}")
        team = RoundRobinGroupChat([agent], max_turns=1)
        with pytest.raises(ModelClientError):
            await team.run(task=f"the key is api_key={key}")
        await team.run(task="again")
        saved = json.dumps(await team.save_state(), default=str)
        await client.close()
    finally:
        logging.getLogger("flowgen").removeHandler(handler)
    assert server.requests[0].headers["authorization"] == f"Bearer {key}"  # the key was really used
    lines = stream.getvalue().splitlines()
    assert any('"event": "model_call"' in line and "error" in line for line in lines)
    for line in lines:
        assert key not in line
    spans = exporter.get_finished_spans()
    assert any("[REDACTED]" in str(v) for s in spans for v in s.attributes.values())
    for span in spans:
        texts = [str(v) for v in span.attributes.values()]
        texts += [str(v) for e in span.events for v in (e.attributes or {}).values()]
        texts.append(span.status.description or "")
        assert all(key not in text for text in texts), span.name
    # Saved state holds the conversation as the model saw it; flowgen adds no key of its own.
    assert key not in saved.replace(f"your key is {key}", "").replace(f"api_key={key}", "")
