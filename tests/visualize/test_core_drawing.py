"""Drawing a Core application: the topology with its deliveries, and the sequence of deliveries."""

from __future__ import annotations

import contextlib

from flowgen.core import AgentId, DefaultTopicId, SingleThreadedAgentRuntime
from flowgen.engine.core_trace import core_graph, core_run_trace
from flowgen.engine.trace import EdgeTaken, NodeFinished, RunStopped
from tests.core.core_app import Echo, Failing, Listener, Note, Ping
from visualize.core import core_dot, core_sequence, core_sequence_svg


async def _recorded() -> SingleThreadedAgentRuntime:
    runtime = SingleThreadedAgentRuntime(record_deliveries=True)
    await Echo.register(runtime, "echo", Echo)
    await Failing.register(runtime, "failing", Failing)
    await Listener.register(runtime, "listener", Listener)
    runtime.start()
    await runtime.send_message(Ping("a"), AgentId("echo", "k"), sender=AgentId("listener", "default"))
    await runtime.publish_message(Note("n"), DefaultTopicId())
    await runtime.publish_message(Note("m"), DefaultTopicId(source="other"))
    with contextlib.suppress(ValueError):  # the failure is recorded, and drawn
        await runtime.send_message(Ping("b"), AgentId("failing", "k"))
    await runtime.stop_when_idle()
    return runtime


async def test_the_topology_has_types_topics_and_subscriptions_before_any_run() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Listener.register(runtime, "listener", Listener)
    graph = core_graph(runtime)
    assert {n.name for n in graph.nodes} == {"listener", "topic:default"}
    assert [(e.source, e.target, e.label) for e in graph.edges] == [
        ("topic:default", "listener", "subscribed")
    ]


async def test_the_run_trace_counts_deliveries_by_type_and_keeps_failures() -> None:
    trace = core_run_trace(await _recorded())
    finished = [e for e in trace.events if isinstance(e, NodeFinished)]
    assert [(e.node, e.turn, e.error) for e in finished] == [
        ("echo", 1, None),
        ("listener", 1, None),
        ("listener", 2, None),
        ("failing", 1, "Boom"),
    ]
    reasons = [(e.source, e.target, e.reason) for e in trace.events if isinstance(e, EdgeTaken)]
    assert reasons[:3] == [
        ("listener", "echo", "send Ping"),
        ("outside", "topic:default", "publish Note"),
        ("topic:default", "listener", "publish Note"),
    ]
    assert isinstance(trace.events[-1], RunStopped)
    assert trace.model_validate_json(trace.model_dump_json()) == trace  # the JSON run trace teams use


async def test_drawings_show_counts_and_every_delivery_in_order() -> None:
    runtime = await _recorded()
    dot = core_dot(runtime)
    assert "listener\\n\u00d7 2" in dot and "failing" in dot  # the visit count
    diagram = core_sequence(runtime)
    assert [(a.source, a.target, a.error) for a in diagram.arrows] == [
        ("listener/default", "echo/k", False),
        ("outside", "listener/default", False),
        ("outside", "listener/other", False),
        ("outside", "failing/k", True),
    ]
    svg = core_sequence_svg(runtime)
    assert svg.startswith("<svg") and svg.count('<g id="msg-') == 4
    assert core_sequence_svg(runtime) == svg  # deterministic
