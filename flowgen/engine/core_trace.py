"""A Core application as a graph and a run trace, in the format teams use, so ``visualize`` draws it.

The graph (its topology): one agent node per registered agent type, one router node per topic type
(``topic:<type>``, policy ``subscriptions``), an ``outside`` node for messages sent from outside any
agent; edges for each subscription (topic → agent type), and for each sender → recipient pair and
sender → topic pair seen in the runtime's delivery log. The trace: per delivery, the edges taken
(reason ``send Ping`` / ``publish Note``) and the recipient's NodeStarted / NodeFinished (duration,
error). Types, not keys, are the nodes: a session application with a million keys stays readable.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flowgen.engine.trace import EdgeTaken, NodeFinished, NodeStarted, RunEvent, RunStopped, RunTrace
from flowgen.graph.spec import AgentNode, GraphSpec, NextEdge, RouterNode

if TYPE_CHECKING:
    from flowgen.core.delivery import Delivery
    from flowgen.core.single_threaded_runtime import SingleThreadedAgentRuntime

OUTSIDE = "outside"


def _topic_node(topic_type: str) -> str:
    return f"topic:{topic_type}"


def _sender_node(delivery: Delivery) -> str:
    return OUTSIDE if delivery.sender is None else delivery.sender.type


def core_graph(runtime: SingleThreadedAgentRuntime) -> GraphSpec:
    """The runtime's topology: agent types, topics, subscriptions and the deliveries recorded so far."""
    deliveries = list(runtime.deliveries or ())
    nodes: dict[str, AgentNode | RouterNode] = {}
    for name, cls in sorted(runtime.agent_classes().items()):
        nodes[name] = AgentNode(name=name, agent_type=cls.__name__ if cls is not None else "")
    edges: dict[tuple[str, str, str], NextEdge] = {}

    def edge(source: str, target: str, label: str) -> None:
        for end in (source, target):
            if end not in nodes:
                if end.startswith("topic:"):
                    nodes[end] = RouterNode(name=end, policy="subscriptions")
                else:
                    nodes[end] = AgentNode(name=end, description="not a registered agent type")
        edges.setdefault((source, target, label), NextEdge(source=source, target=target, label=label))

    for subscription in runtime.subscriptions:
        agent_type = getattr(subscription, "agent_type", None)
        topic = getattr(subscription, "topic_type", None)
        prefix = getattr(subscription, "topic_type_prefix", None)
        if agent_type is None or (topic is None and prefix is None):
            continue
        if prefix is not None and prefix == f"{agent_type}:":
            continue  # the direct-message subscription every registered type has: drawn as sends
        edge(_topic_node(topic if topic is not None else f"{prefix}*"), agent_type, "subscribed")
    for delivery in deliveries:
        if delivery.kind == "send" and delivery.recipient is not None:
            edge(_sender_node(delivery), delivery.recipient.type, "send")
        elif delivery.kind == "publish" and delivery.topic_id is not None:
            edge(_sender_node(delivery), _topic_node(delivery.topic_id.type), "publish")
            if delivery.recipient is not None:
                edge(_topic_node(delivery.topic_id.type), delivery.recipient.type, "subscribed")
    entry = (OUTSIDE,) if OUTSIDE in nodes else tuple(nodes)[:1]
    return GraphSpec(
        name="core",
        nodes=tuple(nodes.values()),
        edges=tuple(edges.values()),
        entry=entry,
        metadata={"kind": "core runtime"},
    )


def core_run_trace(runtime: SingleThreadedAgentRuntime, started_at: datetime | None = None) -> RunTrace:
    """The runtime's recorded deliveries as a RunTrace on :func:`core_graph`."""
    graph = core_graph(runtime)
    index = {(e.source, e.target, e.label): i for i, e in enumerate(graph.edges)}
    turns: Counter[str] = Counter()
    events: list[RunEvent] = []
    ordered = sorted(runtime.deliveries or (), key=lambda d: d.t)  # the log is in order of finishing
    for step, delivery in enumerate(ordered, start=1):
        if delivery.kind == "dropped" or delivery.recipient is None:
            continue
        sender = _sender_node(delivery)
        target = delivery.recipient.type
        reason = f"{delivery.kind} {delivery.message_type}"
        if delivery.kind == "publish" and delivery.topic_id is not None:
            topic = _topic_node(delivery.topic_id.type)
            events.append(
                EdgeTaken(delivery.t, step, sender, topic, index.get((sender, topic, "publish")), reason)
            )
            events.append(
                EdgeTaken(delivery.t, step, topic, target, index.get((topic, target, "subscribed")), reason)
            )
        else:
            events.append(
                EdgeTaken(delivery.t, step, sender, target, index.get((sender, target, "send")), reason)
            )
        turns[target] += 1
        events.append(NodeStarted(delivery.t, step, target, turns[target]))
        events.append(
            NodeFinished(
                delivery.t + delivery.duration,
                step,
                target,
                turns[target],
                delivery.duration,
                error=delivery.error,
            )
        )
    if ordered:
        last = max(d.t + d.duration for d in ordered)
        events.append(RunStopped(last, len(ordered), f"{len(ordered)} deliveries recorded", "completed"))
    return RunTrace(graph=graph, started_at=started_at or datetime.now(UTC), events=events)
