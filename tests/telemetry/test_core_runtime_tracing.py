"""A real Core runtime under telemetry: its deliveries form one trace tree, and dropped messages count."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families
from telemetry_kit import make_traced, parent_of

import flowgen.telemetry as telemetry
from flowgen.core import (
    AgentId,
    DefaultInterventionHandler,
    DropMessage,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    message_handler,
)
from flowgen.errors import MessageDroppedException


@dataclass
class Job:
    text: str


@dataclass
class Done:
    text: str


@dataclass
class Spam:
    text: str


class Coordinator(RoutedAgent):
    @message_handler
    async def on_job(self, message: Job, ctx: MessageContext) -> str:
        await self.publish_message(Done(message.text), TopicId("done", "default"))
        return "ok"

    @message_handler
    async def on_spam(self, message: Spam, ctx: MessageContext) -> str:
        return "never"


class Listener(RoutedAgent):
    def __init__(self, received: list[str]) -> None:
        super().__init__("listens")
        self.received = received

    @message_handler
    async def on_done(self, message: Done, ctx: MessageContext) -> None:
        self.received.append(message.text)


class NoSpam(DefaultInterventionHandler):
    async def on_send(
        self, message: object, *, message_context: MessageContext, recipient: AgentId
    ) -> object:
        return DropMessage if isinstance(message, Spam) else message


async def _application(runtime: SingleThreadedAgentRuntime, received: list[str]) -> None:
    await Coordinator.register(runtime, "coordinator", lambda: Coordinator("coordinates"))
    await Listener.register(runtime, "listener", lambda: Listener(received))
    await runtime.add_subscription(TypeSubscription("done", "listener"))


async def test_a_send_and_the_publish_it_causes_are_one_trace_tree() -> None:
    traced = make_traced(core_deliveries=True)
    received: list[str] = []
    runtime = SingleThreadedAgentRuntime()
    await _application(runtime, received)
    runtime.start()
    tracer = traced.observer.tracer
    assert tracer is not None
    with tracer.start_as_current_span("app"):
        assert await runtime.send_message(Job("x"), AgentId("coordinator", "default")) == "ok"
    await runtime.stop_when_idle()
    assert received == ["x"]
    spans = traced.spans()
    send = traced.one("send coordinator/default")
    process = traced.one("process listener/default")
    assert parent_of(send, spans) is traced.one("app")
    assert parent_of(process, spans) is send  # published inside the send's handler


async def test_messages_dropped_by_an_intervention_are_counted() -> None:
    make_traced()
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[NoSpam()])
    await _application(runtime, [])
    with pytest.raises(MessageDroppedException):
        await runtime.send_message(Spam("no"), AgentId("coordinator", "default"))
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(telemetry.render_metrics()[0].decode())
        for s in family.samples
    }
    assert samples[("flowgen_messages_dropped_total", (("intervention", "NoSpam"),))] == 1


async def test_a_runtime_given_a_tracer_provider_traces_without_instrument() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    runtime = SingleThreadedAgentRuntime(tracer_provider=provider)
    await _application(runtime, [])
    runtime.start()
    await runtime.send_message(Job("y"), AgentId("coordinator", "default"))
    await runtime.stop_when_idle()
    names = sorted(s.name for s in exporter.get_finished_spans())
    assert names == ["process listener/default", "send coordinator/default"]
