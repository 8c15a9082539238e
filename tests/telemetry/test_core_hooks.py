"""The hooks a Core runtime calls: trace context carried across a send, delivery spans when asked for."""

from __future__ import annotations

import asyncio

from opentelemetry.trace import SpanKind
from telemetry_kit import Traced, make_traced, parent_of

from flowgen.telemetry import hooks


async def _send_and_deliver(traced: Traced) -> None:
    """What a runtime does: the sender's task carries the context; another task delivers the message."""
    observer = hooks.observer
    assert observer is not None
    queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    with traced.observer.tracer.start_as_current_span("sender"):  # type: ignore[union-attr]
        await queue.put(observer.carry())

    async def deliver() -> None:
        carried = await queue.get()
        tracer = traced.observer.tracer
        assert tracer is not None
        with (
            observer.delivery("process", "worker/1", "Ping", carried),
            tracer.start_as_current_span("handler"),
        ):
            pass

    async with asyncio.TaskGroup() as group:
        group.create_task(deliver())


async def test_a_delivered_message_handler_joins_the_senders_trace() -> None:
    traced = make_traced()
    await _send_and_deliver(traced)
    spans = traced.spans()
    sender, handler = traced.one("sender"), traced.one("handler")
    assert parent_of(handler, spans) is sender  # no span of its own: deliveries are off by default
    assert [s.name for s in spans] == ["sender", "handler"]


async def test_delivery_spans_when_asked_for() -> None:
    traced = make_traced(core_deliveries=True)
    await _send_and_deliver(traced)
    spans = traced.spans()
    delivery = traced.one("process worker/1")
    assert delivery.kind is SpanKind.CONSUMER
    assert delivery.attributes["flowgen.message.type"] == "Ping"
    assert parent_of(delivery, spans) is traced.one("sender")
    assert parent_of(traced.one("handler"), spans) is delivery


def test_without_tracing_carry_is_empty() -> None:
    traced = make_traced(tracing=False)
    assert traced.observer.carry() == {}


async def test_a_runtime_given_a_tracer_provider_traces_its_deliveries_without_instrument() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import flowgen.telemetry as telemetry

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    runtime_tracing = telemetry.runtime_observer(provider)
    assert hooks.observer is None  # the application instrumented nothing
    with runtime_tracing.delivery("publish", "default", "Ping", None):
        carried = runtime_tracing.carry()
    with runtime_tracing.delivery("process", "worker/1", "Ping", carried):
        pass
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert spans["publish default"].kind is SpanKind.PRODUCER
    assert spans["process worker/1"].parent.span_id == spans["publish default"].context.span_id  # type: ignore[union-attr]
