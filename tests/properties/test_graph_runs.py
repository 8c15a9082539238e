"""Properties of graph runs on the scheduler: DAG order, exactly-once, overlap, joins, cycle rejection."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowgen.agents import BaseChatAgent
from flowgen.base import Response
from flowgen.core import CancellationToken
from flowgen.engine.scheduler import GraphRunner, RunOutcome
from flowgen.engine.trace import EdgeTaken, NodeStarted, RunTrace
from flowgen.errors import GraphValidationError
from flowgen.graph import END, GraphSpec, NextEdge
from flowgen.graph.validate import check
from flowgen.messages import BaseChatMessage, TextMessage
from flowgen.teams import DiGraphBuilder, GraphFlow
from flowgen.testing.agent import ScriptedAgent
from flowgen.testing.strategies import dags, looped_graphs


class ProbeAgent(BaseChatAgent):
    """Records when it starts and ends on a shared logical clock, yielding to the loop in between."""

    def __init__(self, name: str, clock: list[tuple[str, str]]) -> None:
        super().__init__(name, "probe")
        self.clock = clock

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return (TextMessage,)

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        self.clock.append(("start", self.name))
        for _ in range(3):
            await asyncio.sleep(0)  # a yield, not a wait: lets the other nodes of the step run
        self.clock.append(("end", self.name))
        return Response(chat_message=TextMessage(content=f"{self.name} done", source=self.name))

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        pass


async def run_graph(spec: GraphSpec) -> tuple[RunTrace, list[tuple[str, str]]]:
    clock: list[tuple[str, str]] = []
    runner = GraphRunner(spec, {n: ProbeAgent(n, clock) for n in spec.agent_names}, max_turns=100)
    outcome = [item async for item in runner.stream([TextMessage(content="go", source="user")], None)][-1]
    assert isinstance(outcome, RunOutcome)
    return outcome.trace, clock


def start_steps(trace: RunTrace) -> dict[str, list[int]]:
    steps: dict[str, list[int]] = {}
    for event in trace.events:
        if isinstance(event, NodeStarted):
            steps.setdefault(event.node, []).append(event.step)
    return steps


@given(dags())
def test_generated_graphs_are_valid(spec: GraphSpec) -> None:
    assert check(spec) == []


@given(looped_graphs())
def test_generated_loops_are_valid(spec: GraphSpec) -> None:
    assert check(spec) == []


@given(dags())
async def test_every_dag_node_runs_exactly_once_after_its_predecessors(spec: GraphSpec) -> None:
    trace, _ = await run_graph(spec)
    steps = start_steps(trace)
    assert {n: len(s) for n, s in steps.items()} == dict.fromkeys(spec.agent_names, 1)
    for edge in spec.edges:
        if edge.target != END:
            assert steps[edge.source][0] < steps[edge.target][0], f"{edge.target} ran before {edge.source}"


@given(dags())
async def test_all_joins_wait_for_every_input(spec: GraphSpec) -> None:
    trace, _ = await run_graph(spec)
    steps = start_steps(trace)
    for node in spec.agent_names:
        inputs = [e.source for e in spec.in_edges(node)]
        if inputs:
            assert steps[node][0] == max(steps[p][0] for p in inputs) + 1, (
                f"{node} did not fire once all inputs had"
            )


@given(dags())
async def test_nodes_of_one_step_overlap_in_time(spec: GraphSpec) -> None:
    trace, clock = await run_graph(spec)
    by_step: dict[int, list[str]] = {}
    for node, node_steps in start_steps(trace).items():
        by_step.setdefault(node_steps[0], []).append(node)
    position = {event: i for i, event in enumerate(clock)}
    for nodes in by_step.values():
        for a in nodes:
            for b in nodes:
                assert position[("start", a)] < position[("end", b)], f"{a} and {b} did not overlap"


@given(dags(any_joins=True))
async def test_any_joins_fire_once_per_activation(spec: GraphSpec) -> None:
    trace, _ = await run_graph(spec)
    steps = start_steps(trace)
    for node in spec.agent_names:
        edges_in = spec.in_edges(node)
        if len(edges_in) > 1 and all(e.activation_condition == "any" for e in edges_in):
            fired_at = {e.step + 1 for e in trace.events if isinstance(e, EdgeTaken) and e.target == node}
            assert sorted(steps[node]) == sorted(fired_at), (
                f"{node} ran at {steps[node]}, activated at {fired_at}"
            )


@st.composite
def dags_with_a_back_edge(draw: st.DrawFn) -> tuple[GraphSpec, set[str]]:
    """A DAG plus one unconditional edge from a node back to one of its ancestors (or itself)."""
    spec = draw(dags(min_nodes=1))
    graph = nx.DiGraph([(e.source, e.target) for e in spec.edges])
    graph.add_nodes_from(spec.agent_names)
    source = draw(st.sampled_from(spec.agent_names))
    target = draw(st.sampled_from(sorted(nx.ancestors(graph, source) | {source})))
    cycle = ({target} | nx.descendants(graph, target)) & ({source} | nx.ancestors(graph, source))
    back = NextEdge(source=source, target=target, activation_group="back", activation_condition="any")
    return spec.model_copy(update={"edges": (*spec.edges, back)}), cycle


@given(dags_with_a_back_edge())
def test_a_cycle_without_exit_is_rejected_naming_exactly_that_cycle(case: tuple[GraphSpec, set[str]]) -> None:
    spec, cycle = case
    cycles = [f for f in check(spec) if f.code == "unbounded_cycle"]
    assert [set(f.nodes) for f in cycles] == [cycle]
    with pytest.raises(GraphValidationError):
        GraphRunner(spec, {}).validate()


@given(looped_graphs(), st.integers(0, 3), st.sampled_from(["APPROVED", "REVISED", "xREVISE", "revise"]))
async def test_a_loop_runs_once_per_request_and_exits_otherwise(
    spec: GraphSpec, loops: int, exit_text: str
) -> None:
    last = spec.agent_names[-1]
    back_to = next(e.target for e in spec.edges if e.source == last and e.target != END)
    body = spec.agent_names[spec.agent_names.index(back_to) :]
    agents = {
        n: ScriptedAgent(n, ["REVISE"] * loops + [exit_text] if n == last else [f"{n} works"] * (loops + 1))
        for n in spec.agent_names
    }
    runner = GraphRunner(spec, agents, max_turns=100)
    outcome = [item async for item in runner.stream([TextMessage(content="go", source="user")], None)][-1]
    assert isinstance(outcome, RunOutcome) and outcome.stop == "completed"
    visits = outcome.trace.visits()
    assert {n: visits[n] for n in spec.agent_names} == {
        n: loops + 1 if n in body else 1 for n in spec.agent_names
    }


@given(dags())
async def test_graph_flow_runs_every_dag_node_once_in_edge_order(spec: GraphSpec) -> None:
    builder = DiGraphBuilder()
    for name in spec.agent_names:
        builder.add_node(ScriptedAgent(name, [f"{name} done"]))
    for edge in spec.edges:
        if edge.target != END:
            builder.add_edge(edge.source, edge.target)
    flow = GraphFlow(builder.get_participants(), graph=builder.build())
    result = await flow.run(task="go")
    order = [m.source for m in result.messages if isinstance(m, BaseChatMessage) and m.source != "user"]
    assert sorted(order) == sorted(spec.agent_names)
    for edge in spec.edges:
        if edge.target != END:
            assert order.index(edge.source) < order.index(edge.target)
