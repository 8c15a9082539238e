"""Drawing a Core application: its topology (agent types, topics, subscriptions, deliveries with
counts) as DOT / SVG, and its deliveries as a sequence diagram.

The topology and the run are :mod:`flowgen.engine.core_trace`'s graph and trace — the format teams
use — so the drawing is the teams' drawing: visit counts on agent types, counts on edges, failures
in red.

Example:
    >>> import asyncio
    >>> from flowgen.core import SingleThreadedAgentRuntime, TypeSubscription
    >>> async def topology() -> str:
    ...     runtime = SingleThreadedAgentRuntime()
    ...     await runtime.add_subscription(TypeSubscription("work", "worker"))
    ...     return core_dot(runtime)
    >>> "topic:work" in asyncio.run(topology())
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.engine.core_trace import OUTSIDE, core_graph, core_run_trace
from visualize.dot import to_dot
from visualize.render import render_svg
from visualize.sequence import Arrow, ArrowKind, SequenceDiagram
from visualize.sequence_svg import diagram_svg

if TYPE_CHECKING:
    from flowgen.core.single_threaded_runtime import SingleThreadedAgentRuntime


def core_dot(runtime: SingleThreadedAgentRuntime) -> str:
    """DOT of the runtime's topology, with its recorded deliveries drawn on it."""
    if runtime.deliveries is not None and len(runtime.deliveries):
        trace = core_run_trace(runtime)
        return to_dot(trace.graph, trace)
    return to_dot(core_graph(runtime))


def core_svg(runtime: SingleThreadedAgentRuntime) -> str:
    """SVG of :func:`core_dot` (needs Graphviz's ``dot``)."""
    if runtime.deliveries is not None and len(runtime.deliveries):
        trace = core_run_trace(runtime)
        return render_svg(trace.graph, trace)
    return render_svg(core_graph(runtime))


def core_sequence(runtime: SingleThreadedAgentRuntime) -> SequenceDiagram:
    """One arrow per recorded delivery, in the order they began: sender to recipient (agent ids)."""
    arrows = []
    for index, delivery in enumerate(sorted(runtime.deliveries or (), key=lambda d: d.t)):
        source = OUTSIDE if delivery.sender is None else str(delivery.sender)
        if delivery.kind == "dropped":
            target = str(delivery.recipient or delivery.topic_id)
            note = "dropped by an intervention"
        else:
            target = str(delivery.recipient)
            note = f"{delivery.kind}" + (f" on {delivery.topic_id}" if delivery.topic_id is not None else "")
        outcome = f", raised {delivery.error}" if delivery.error else ""
        full = f"{delivery.message_type} ({note}, {delivery.duration * 1e6:.0f} µs{outcome})"
        kind: ArrowKind = (
            "text" if delivery.kind == "send" else "event" if delivery.kind == "publish" else "stop"
        )
        arrows.append(
            Arrow(index, source, target, kind, delivery.message_type, full, delivery.error is not None)
        )
    participants: dict[str, None] = {}
    for arrow in arrows:
        participants.setdefault(arrow.source)
        participants.setdefault(arrow.target)
    return SequenceDiagram(tuple(participants), tuple(arrows))


def core_sequence_svg(runtime: SingleThreadedAgentRuntime) -> str:
    """The deliveries' sequence diagram as SVG (no Graphviz needed)."""
    return diagram_svg(core_sequence(runtime))
