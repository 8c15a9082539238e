"""Hand-built graphs, traces and results for the visualize tests (and the golden-file script).

Every team shape is here as the graph its team would compile to: a round-robin pair with a loop, a
selector with a router, a swarm of handoffs, a graph flow with a parallel fan-out and an ``all`` join,
and a nested team. Each comes with a run trace and a TaskResult whose messages have fixed ids and
times, so everything drawn from them is reproducible.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flowgen.base import TaskResult
from flowgen.core import FunctionCall
from flowgen.engine.trace import (
    EdgeTaken,
    NodeFinished,
    NodeStarted,
    RunEvent,
    RunStarted,
    RunStopped,
    RunTrace,
    StepStarted,
)
from flowgen.graph import (
    END,
    AgentNode,
    EndNode,
    GraphSpec,
    HandoffEdge,
    Mention,
    NextEdge,
    RouterNode,
    SelectEdge,
    WhenEdge,
)
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    StopMessage,
    TextMessage,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
)
from flowgen.models import RequestUsage
from flowgen.models.types import FunctionExecutionResult

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def round_robin_graph() -> GraphSpec:
    """writer and critic take turns until the critic approves."""
    return GraphSpec(
        name="review_loop",
        nodes=(
            AgentNode(name="writer", description="Writes short poems on request.", tools=("rhymes",)),
            AgentNode(name="critic", description="Reviews drafts; says APPROVE or REVISE."),
            EndNode(),
        ),
        edges=(
            NextEdge(source="writer", target="critic"),
            WhenEdge(source="critic", target=END, condition=Mention(text="APPROVE")),
            WhenEdge(source="critic", target="writer", condition=Mention(text="REVISE")),
        ),
        entry=("writer",),
    )


def selector_graph() -> GraphSpec:
    """A router chooses the next speaker among a planner, a coder and a reviewer."""
    agents = ("planner", "coder", "reviewer")
    return GraphSpec(
        name="selector",
        nodes=(
            RouterNode(name="select", policy="model", description="an LLM picks the next speaker"),
            *(AgentNode(name=a, description=f"The {a}.") for a in agents),
        ),
        edges=(
            *(SelectEdge(source="select", target=a) for a in agents),
            *(NextEdge(source=a, target="select") for a in agents),
        ),
        entry=("select",),
    )


def swarm_graph() -> GraphSpec:
    """Agents pass the conversation by handoff; billing can hand off to the user (leaving the team)."""
    return GraphSpec(
        name="swarm",
        nodes=(
            AgentNode(name="triage", description="Routes requests.", handoffs=("billing", "refunds")),
            AgentNode(name="billing", description="Answers billing questions.", tools=("lookup_invoice",)),
            AgentNode(name="refunds", description="Issues refunds.", tools=("refund",)),
        ),
        edges=(
            HandoffEdge(source="triage", target="billing", tool="transfer_to_billing"),
            HandoffEdge(source="triage", target="refunds", tool="transfer_to_refunds"),
            HandoffEdge(source="billing", target="triage", tool="transfer_to_triage"),
            HandoffEdge(source="refunds", target="triage", tool="transfer_to_triage"),
        ),
        entry=("triage",),
    )


def fanout_graph() -> GraphSpec:
    """A graph flow: split fans out to two researchers in parallel, merge waits for both."""
    return GraphSpec(
        name="fan_out",
        nodes=(
            AgentNode(name="split", description="Splits the question."),
            AgentNode(name="web", description="Searches the web.", tools=("search",)),
            AgentNode(name="papers", description="Searches papers.", tools=("arxiv",)),
            AgentNode(name="merge", description="Merges both answers."),
            EndNode(),
        ),
        edges=(
            NextEdge(source="split", target="web"),
            NextEdge(source="split", target="papers"),
            NextEdge(source="web", target="merge", activation_group="both"),
            NextEdge(source="papers", target="merge", activation_group="both"),
            NextEdge(source="merge", target=END),
        ),
        entry=("split",),
    )


def nested_graph() -> GraphSpec:
    """A round robin of a nested research team (searcher then summarizer) and an editor."""
    inner = GraphSpec(
        name="research_inner",
        nodes=(AgentNode(name="searcher", tools=("search",)), AgentNode(name="summarizer"), EndNode()),
        edges=(NextEdge(source="searcher", target="summarizer"), NextEdge(source="summarizer", target=END)),
        entry=("searcher",),
    )
    return GraphSpec(
        name="nested",
        nodes=(
            AgentNode(
                name="research",
                description="A nested team.",
                agent_type="RoundRobinGroupChat",
                subgraph=inner,
            ),
            AgentNode(name="editor", description="Edits the summary."),
        ),
        edges=(NextEdge(source="research", target="editor"), NextEdge(source="editor", target="research")),
        entry=("research",),
    )


class TraceBuilder:
    """Appends events with a clock that advances by fixed amounts."""

    def __init__(self, graph: GraphSpec, task: str) -> None:
        self.graph = graph
        self.events: list[RunEvent] = [RunStarted(t=0.0, step=0, task=task)]
        self.t = 0.0
        self.turn = 0

    def step(
        self, step: int, *nodes: str, tokens: int = 10, error: str | None = None, model: str = "gpt-4o"
    ) -> None:
        """Run ``nodes`` in parallel in ``step``; each takes 0.5 s (0.25 s more per position)."""
        self.events.append(StepStarted(t=self.t, step=step, nodes=nodes))
        turns = {}
        for node in nodes:
            self.turn += 1
            turns[node] = self.turn
            self.events.append(NodeStarted(t=self.t, step=step, node=node, turn=self.turn))
        for i, node in enumerate(nodes):
            duration = 0.5 + 0.25 * i
            self.events.append(
                NodeFinished(
                    t=self.t + duration,
                    step=step,
                    node=node,
                    turn=turns[node],
                    duration=duration,
                    prompt_tokens=tokens * 3,
                    completion_tokens=tokens,
                    error=error,
                    model=model,
                )
            )
        self.t += 0.5 + 0.25 * (len(nodes) - 1)

    def edge(self, step: int, source: str, target: str, edge: int | None, reason: str) -> None:
        self.events.append(
            EdgeTaken(t=self.t, step=step, source=source, target=target, edge=edge, reason=reason)
        )

    def stop(self, step: int, stop: str, reason: str, node: str | None = None) -> RunTrace:
        self.events.append(RunStopped(t=self.t, step=step, reason=reason, stop=stop, node=node))  # type: ignore[arg-type]
        return RunTrace(graph=self.graph, started_at=T0, events=self.events)


def round_robin_trace() -> RunTrace:
    b = TraceBuilder(round_robin_graph(), "Write a poem about the sea.")
    b.step(1, "writer")
    b.edge(1, "writer", "critic", 0, "always")
    b.step(2, "critic")
    b.edge(2, "critic", "writer", 2, "mentions 'REVISE'")
    b.step(3, "writer")
    b.edge(3, "writer", "critic", 0, "always")
    b.step(4, "critic")
    b.edge(4, "critic", END, 1, "mentions 'APPROVE'")
    return b.stop(4, "completed", "the graph reached its end", node="critic")


def selector_trace() -> RunTrace:
    b = TraceBuilder(selector_graph(), "Build a CLI.")
    for step, agent in ((1, "planner"), (3, "coder"), (5, "coder"), (7, "reviewer")):
        b.step(step - 1, "select", tokens=5)
        b.edge(step - 1, "select", agent, None, f"policy chose {agent}")
        b.step(step, agent)
        b.edge(step, agent, "select", None, "always")
    return b.stop(7, "max_turns", "Maximum number of turns 8 reached.", node="reviewer")


def swarm_trace() -> RunTrace:
    b = TraceBuilder(swarm_graph(), "I was charged twice.")
    b.step(1, "triage")
    b.edge(1, "triage", "billing", 0, "handoff via transfer_to_billing")
    b.step(2, "billing")
    b.edge(2, "billing", "triage", 2, "handoff via transfer_to_triage")
    b.step(3, "triage")
    b.edge(3, "triage", "refunds", 1, "handoff via transfer_to_refunds")
    b.step(4, "refunds", error="ToolError: refund service unavailable")
    return b.stop(4, "error", "refunds failed: refund service unavailable", node="refunds")


def fanout_trace() -> RunTrace:
    b = TraceBuilder(fanout_graph(), "Compare two approaches.")
    b.step(1, "split")
    b.edge(1, "split", "web", 0, "always")
    b.edge(1, "split", "papers", 1, "always")
    b.step(2, "web", "papers")
    b.edge(2, "web", "merge", 2, "always")
    b.edge(2, "papers", "merge", 3, "always")
    b.step(3, "merge")
    b.edge(3, "merge", END, 4, "always")
    return b.stop(3, "completed", "the graph reached its end", node="merge")


def nested_trace() -> RunTrace:
    b = TraceBuilder(nested_graph(), "Summarize recent work.")
    b.step(1, "research")
    b.edge(1, "research/searcher", "research/summarizer", 0, "always")
    b.edge(1, "research", "editor", 0, "always")
    b.step(2, "editor")
    b.edge(2, "editor", "research", 1, "always")
    b.step(3, "research")
    b.edge(3, "research", "editor", 0, "always")
    b.step(4, "editor")
    return b.stop(4, "termination", "Text 'DONE' mentioned", node="editor")


def _at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _text(i: int, source: str, content: str, tokens: int = 0) -> TextMessage:
    usage = RequestUsage(prompt_tokens=tokens * 3, completion_tokens=tokens) if tokens else None
    return TextMessage(id=f"m{i}", source=source, content=content, created_at=_at(i), models_usage=usage)


def round_robin_messages() -> list[BaseAgentEvent | BaseChatMessage]:
    return [
        _text(0, "user", "Write a poem about the sea."),
        ToolCallRequestEvent(
            id="m1",
            source="writer",
            created_at=_at(1),
            content=[FunctionCall(id="c1", name="rhymes", arguments='{"word": "sea"}')],
        ),
        ToolCallExecutionEvent(
            id="m2",
            source="writer",
            created_at=_at(2),
            content=[FunctionExecutionResult(content="free, key, tree", name="rhymes", call_id="c1")],
        ),
        _text(3, "writer", "The sea is wide,\nthe sea is free.", 10),
        _text(4, "critic", "REVISE: the second line is weak.", 10),
        _text(5, "writer", "The sea is wide,\nits waves hold the key.\n" + "More lines. " * 40, 10),
        _text(6, "critic", 'APPROVE <good> & "fine"; #1', 10),
    ]


def round_robin_result() -> TaskResult:
    return TaskResult(
        messages=round_robin_messages(), stop_reason="the graph reached its end", trace=round_robin_trace()
    )


def swarm_result() -> TaskResult:
    messages: list[BaseAgentEvent | BaseChatMessage] = [
        _text(0, "user", "I was charged twice."),
        HandoffMessage(
            id="m1", source="triage", target="billing", content="Transferred to billing.", created_at=_at(1)
        ),
        ToolCallRequestEvent(
            id="m2",
            source="billing",
            created_at=_at(2),
            content=[FunctionCall(id="c1", name="lookup_invoice", arguments='{"id": 7}')],
        ),
        ToolCallExecutionEvent(
            id="m3",
            source="billing",
            created_at=_at(3),
            content=[FunctionExecutionResult(content="paid twice", name="lookup_invoice", call_id="c1")],
        ),
        HandoffMessage(
            id="m4", source="billing", target="triage", content="Needs a refund.", created_at=_at(4)
        ),
        HandoffMessage(
            id="m5", source="triage", target="refunds", content="Transferred to refunds.", created_at=_at(5)
        ),
        ToolCallRequestEvent(
            id="m6",
            source="refunds",
            created_at=_at(6),
            content=[FunctionCall(id="c2", name="refund", arguments='{"id": 7}')],
        ),
        ToolCallExecutionEvent(
            id="m7",
            source="refunds",
            created_at=_at(7),
            content=[
                FunctionExecutionResult(
                    content="service unavailable", name="refund", call_id="c2", is_error=True
                )
            ],
        ),
        StopMessage(id="m8", source="refunds", content="refunds failed", created_at=_at(8)),
    ]
    return TaskResult(
        messages=messages, stop_reason="refunds failed: refund service unavailable", trace=swarm_trace()
    )


def fanout_result() -> TaskResult:
    messages: list[BaseAgentEvent | BaseChatMessage] = [
        _text(0, "user", "Compare two approaches."),
        _text(1, "split", "Web: look for blogs. Papers: look for surveys.", 5),
        _text(2, "web", "Blogs say A.", 8),
        _text(3, "papers", "Surveys say B.", 8),
        _text(4, "merge", "A and B agree on C.", 12),
    ]
    return TaskResult(messages=messages, stop_reason="the graph reached its end", trace=fanout_trace())


GRAPHS = {
    "round_robin": round_robin_graph,
    "selector": selector_graph,
    "swarm": swarm_graph,
    "fan_out": fanout_graph,
    "nested": nested_graph,
}
TRACES = {
    "round_robin": round_robin_trace,
    "selector": selector_trace,
    "swarm": swarm_trace,
    "fan_out": fanout_trace,
    "nested": nested_trace,
}
RESULTS = {"round_robin": round_robin_result, "swarm": swarm_result, "fan_out": fanout_result}
