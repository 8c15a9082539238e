"""Why each edge fired, as the trace tells it: the reason of every kind of edge, and step timing."""

from __future__ import annotations

from flowgen.engine import GraphRunner, RunOutcome
from flowgen.engine.trace import EdgeTaken, NodeFinished, NodeStarted, RunTrace
from flowgen.graph import END, GraphBuilder, Regex
from flowgen.messages import TextMessage
from flowgen.testing import ScriptedAgent


async def _trace(runner: GraphRunner) -> RunTrace:
    outcome: RunOutcome | None = None
    async for item in runner.stream([TextMessage(content="go", source="user")], None):
        if isinstance(item, RunOutcome):
            outcome = item
    assert outcome is not None
    return outcome.trace


async def test_each_edge_kind_says_why_it_fired() -> None:
    spec = (
        GraphBuilder("review")
        .add_agent("writer")
        .add_agent("critic")
        .add_edge("writer", "critic", label="to review")
        .add_edge("critic", "writer", condition=Regex(pattern="REVISE"))
        .add_edge("critic", END, otherwise=True)
        .build()
    )
    agents = {
        "writer": ScriptedAgent("writer", ["d1", "d2"]),
        "critic": ScriptedAgent("critic", ["REVISE", "ok"]),
    }
    trace = await _trace(GraphRunner(spec, agents))
    taken = [(e.source, e.target, e.reason) for e in trace.events if isinstance(e, EdgeTaken)]
    revise = f"condition matched: {Regex(pattern='REVISE').describe()}"
    assert taken == [
        ("writer", "critic", "to review"),
        ("critic", "writer", revise),
        ("writer", "critic", "to review"),
        ("critic", END, "otherwise: no other edge fired"),
    ]


async def test_a_nodes_duration_spans_its_start_to_its_finish() -> None:
    spec = (
        GraphBuilder("ring")
        .add_agent("a")
        .add_agent("b")
        .add_edge("a", "b")
        .add_edge("b", "a")
        .build(bounded=True)
    )
    runner = GraphRunner(
        spec, {"a": ScriptedAgent("a", ["1", "3"]), "b": ScriptedAgent("b", ["2"])}, max_turns=3
    )
    trace = await _trace(runner)
    started = {e.step: e.t for e in trace.events if isinstance(e, NodeStarted)}
    finished = [e for e in trace.events if isinstance(e, NodeFinished)]
    assert len(finished) == 3
    assert all(e.duration == e.t - started[e.step] for e in finished)
