"""GraphFlow and DiGraphBuilder: chains, fan-out/fan-in, conditions, loops, resuming, bad graphs."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.engine.trace import RunStopped, StepStarted
from flowgen.errors import ConfigurationError, GraphValidationError
from flowgen.graph import END, GraphSpec, Mention, Regex, Source, WhenEdge
from flowgen.messages import BaseChatMessage, TextMessage
from flowgen.teams import DiGraph, DiGraphBuilder, GraphFlow
from flowgen.testing import ScriptedAgent


def _said(messages: Sequence[object]) -> list[str]:
    return [m.to_text() for m in messages if isinstance(m, BaseChatMessage)]


def _builder(*agents: ScriptedAgent) -> DiGraphBuilder:
    builder = DiGraphBuilder()
    for agent in agents:
        builder.add_node(agent)
    return builder


def _flow(builder: DiGraphBuilder, **kwargs: object) -> GraphFlow:
    return GraphFlow(builder.get_participants(), builder.build(), **kwargs)  # type: ignore[arg-type]


def _stop(result: object) -> RunStopped:
    stop = result.trace.stop  # type: ignore[attr-defined]
    assert isinstance(stop, RunStopped)
    return stop


# ----------------------------------------------------------------------------- shapes


async def test_sequential_chain_runs_in_order_and_completes() -> None:
    a, b, c = ScriptedAgent("a", ["A"]), ScriptedAgent("b", ["B"]), ScriptedAgent("c", ["C"])
    result = await _flow(_builder(a, b, c).add_edge(a, b).add_edge(b, c)).run(task="go")
    assert _said(result.messages) == ["go", "A", "B", "C"]
    assert result.stop_reason == "Digraph execution is complete"
    assert _stop(result).stop == "completed"


async def test_fan_out_branches_really_run_at_the_same_time() -> None:
    a, d = ScriptedAgent("a", ["A"]), ScriptedAgent("d", ["D"])
    c = ScriptedAgent("c", ["C"])
    b = ScriptedAgent("b", ["B"], gate=c.started)  # b finishes only once c has started...
    c.gate = b.started  # ...and c only once b has: a sequential run would wait forever.
    builder = _builder(a, b, c, d).add_edge(a, b).add_edge(a, c).add_edge(b, d).add_edge(c, d)
    async with asyncio.timeout(5):
        result = await _flow(builder).run(task="go")
    assert _said(result.messages) == ["go", "A", "B", "C", "D"]
    steps = [e.nodes for e in result.trace.events if isinstance(e, StepStarted)]  # type: ignore[union-attr]
    assert steps == [("a",), ("b", "c"), ("d",)]


async def test_fan_in_all_waits_for_every_branch_and_runs_once() -> None:
    a, b, c, d = (ScriptedAgent(n, [n.upper()]) for n in "abcd")
    builder = _builder(a, b, c, d).add_edge(a, b).add_edge(a, c).add_edge(b, d).add_edge(c, d)
    await _flow(builder).run(task="go")
    assert d.position == 1
    assert _said(d.received[0]) == ["go", "A", "B", "C"]


async def test_fan_in_any_runs_after_the_first_branch() -> None:
    a, b, d = ScriptedAgent("a", ["A"]), ScriptedAgent("b", ["B"]), ScriptedAgent("d", ["D1", "D2"])
    c1 = ScriptedAgent("c1", ["C1"])
    builder = (
        _builder(a, b, c1, d)
        .add_edge(a, b)
        .add_edge(a, c1)
        .add_edge(b, d, activation_condition="any")
        .add_edge(c1, d, activation_condition="any")
    )
    result = await _flow(builder).run(task="go")
    assert _said(result.messages) == ["go", "A", "B", "C1", "D1"]


async def test_node_activation_any_is_the_default_for_edges_into_it() -> None:
    a, b, c = ScriptedAgent("a", ["A"]), ScriptedAgent("b", ["B"]), ScriptedAgent("c", ["C"])
    d = ScriptedAgent("d", ["D"])
    builder = DiGraphBuilder().add_node(a).add_node(b).add_node(c).add_node(d, activation="any")
    builder.add_edge(a, b).add_edge(a, c).add_edge(b, d).add_edge(c, d)
    assert {e.activation_condition for e in builder.build().nodes["b"].edges} == {"any"}


async def test_several_entry_nodes_start_together() -> None:
    a, b, c = ScriptedAgent("a", ["A"]), ScriptedAgent("b", ["B"]), ScriptedAgent("c", ["C"])
    result = await _flow(_builder(a, b, c).add_edge(a, c).add_edge(b, c)).run(task="go")
    steps = [e.nodes for e in result.trace.events if isinstance(e, StepStarted)]  # type: ignore[union-attr]
    assert steps == [("a", "b"), ("c",)]


async def test_set_entry_point_overrides_the_start() -> None:
    a, b = ScriptedAgent("a", ["A"]), ScriptedAgent("b", ["B"])
    builder = _builder(a, b).add_edge(a, b, condition="x").add_edge(b, a, condition="y").set_entry_point(b)
    builder.add_node(c := ScriptedAgent("c", ["C"])).add_edge(a, c, condition="A")
    flow = _flow(builder, max_turns=5)
    assert flow.graph.entry == ("b",)


# ----------------------------------------------------------------------------- conditions


async def test_string_condition_is_a_whole_word_mention() -> None:
    critic = ScriptedAgent("critic", ["I DISAPPROVE of this"])
    yes, no = ScriptedAgent("yes", ["published"]), ScriptedAgent("no", ["rewritten"])
    builder = _builder(critic, yes, no).add_edge(critic, yes, condition="APPROVE")
    builder.add_edge(critic, no, condition="DISAPPROVE")
    result = await _flow(builder).run(task="review")
    assert _said(result.messages) == ["review", "I DISAPPROVE of this", "rewritten"]


async def test_callable_and_flowgen_conditions() -> None:
    a = ScriptedAgent("a", ["score: 42"])
    b, c, d = ScriptedAgent("b", ["B"]), ScriptedAgent("c", ["C"]), ScriptedAgent("d", ["D"])
    builder = _builder(a, b, c, d)
    builder.add_edge(a, b, condition=lambda m: "42" in m.to_text())
    builder.add_edge(a, c, condition=Regex(pattern=r"score: \d+"))
    builder.add_edge(a, d, condition=Source(sources=("nobody",)))
    result = await _flow(builder).run(task="go")
    assert _said(result.messages) == ["go", "score: 42", "B", "C"]
    kinds = {e.target: e.condition.kind for e in result.trace.graph.edges if isinstance(e, WhenEdge)}  # type: ignore[union-attr]
    assert kinds == {"b": "predicate", "c": "regex", "d": "source"}


async def test_add_conditional_edges_adds_one_mention_edge_per_word() -> None:
    a, b, c = ScriptedAgent("a", ["go left"]), ScriptedAgent("b", ["B"]), ScriptedAgent("c", ["C"])
    builder = _builder(a, b, c)
    with pytest.warns(DeprecationWarning):
        builder.add_conditional_edges(a, {"left": b, "right": "c"})
    result = await _flow(builder).run(task="go")
    assert _said(result.messages) == ["go", "go left", "B"]


async def test_a_condition_that_never_matches_stops_the_run_as_stalled() -> None:
    critic = ScriptedAgent("critic", ["not sure yet"])
    yes, no = ScriptedAgent("yes", []), ScriptedAgent("no", [])
    builder = _builder(critic, yes, no).add_edge(critic, yes, condition="APPROVE")
    builder.add_edge(critic, no, condition="REJECT")
    result = await _flow(builder).run(task="review")
    assert _said(result.messages) == ["review", "not sure yet"]  # nothing produced is lost
    stop = _stop(result)
    assert (stop.stop, stop.node) == ("stalled", "critic")
    assert "'critic' matched none of its edge conditions" in (result.stop_reason or "")


async def test_a_join_that_can_no_longer_fire_stops_as_stalled() -> None:
    a = ScriptedAgent("a", ["A"])
    b, c = ScriptedAgent("b", ["B"]), ScriptedAgent("c", ["skip"])
    d = ScriptedAgent("d", [])
    e = ScriptedAgent("e", [])
    builder = _builder(a, b, c, d, e).add_edge(a, b).add_edge(a, c).add_edge(b, d)
    builder.add_edge(c, d, condition="go").add_edge(c, e, condition="other")
    result = await _flow(builder).run(task="go")
    assert _stop(result).stop == "stalled"


# ----------------------------------------------------------------------------- loops and resuming


def _review_loop(
    writer_script: list[str], critic_script: list[str]
) -> tuple[DiGraphBuilder, list[ScriptedAgent]]:
    writer = ScriptedAgent("writer", writer_script)
    critic = ScriptedAgent("critic", critic_script)
    editor = ScriptedAgent("editor", ["final"])
    builder = _builder(writer, critic, editor).add_edge(writer, critic)
    builder.add_edge(critic, writer, condition="REVISE").add_edge(critic, editor, condition="APPROVE")
    return builder.set_entry_point(writer), [writer, critic, editor]


async def test_loop_with_a_conditional_exit() -> None:
    builder, _ = _review_loop(["v1", "v2"], ["REVISE it", "APPROVE"])
    result = await _flow(builder, max_turns=10).run(task="write")
    assert _said(result.messages) == ["write", "v1", "REVISE it", "v2", "APPROVE", "final"]
    assert result.stop_reason == "Digraph execution is complete"


async def test_loop_saved_mid_iteration_resumes_in_a_fresh_team() -> None:
    builder, _ = _review_loop(["v1", "v2", "v3"], ["REVISE", "REVISE", "APPROVE"])
    first = _flow(builder, max_turns=3)
    part = await first.run(task="write")
    assert _said(part.messages) == ["write", "v1", "REVISE", "v2"]  # stopped inside the loop
    state = await first.save_state()

    fresh_builder, (writer, critic, _) = _review_loop(["v1", "v2", "v3"], ["REVISE", "REVISE", "APPROVE"])
    fresh = _flow(fresh_builder, max_turns=10)
    await fresh.load_state(state)
    rest = await fresh.run()
    assert _said(rest.messages) == ["REVISE", "v3", "APPROVE", "final"]
    # The critic receives exactly what it had not seen: the writer's second version.
    assert _said(critic.received[0]) == ["v2"]
    assert writer.position == 3


async def test_activation_groups_let_a_loop_reenter_a_join() -> None:
    a, b = ScriptedAgent("a", ["A"]), ScriptedAgent("b", ["B1", "B2"])
    c1, c2 = ScriptedAgent("c1", ["loop", "exit"]), ScriptedAgent("c2", ["C2"])
    e = ScriptedAgent("e", ["E"])
    builder = _builder(a, b, c1, c2, e).add_edge(a, b, activation_group="first")
    builder.add_edge(b, c1).add_edge(c1, b, condition="loop", activation_group="again")
    builder.add_edge(c1, c2, condition="exit").add_edge(c2, e)
    result = await _flow(builder, max_turns=10).run(task="go")
    assert _said(result.messages) == ["go", "A", "B1", "loop", "B2", "exit", "C2", "E"]


async def test_termination_mid_graph_and_the_next_run_continues() -> None:
    a, b, c = ScriptedAgent("a", ["A"]), ScriptedAgent("b", ["B"]), ScriptedAgent("c", ["C"])
    flow = _flow(
        _builder(a, b, c).add_edge(a, b).add_edge(b, c), termination_condition=MaxMessageTermination(2)
    )
    first = await flow.run(task="go")
    assert _said(first.messages) == ["go", "A"]
    second = await flow.run()
    assert _said(second.messages) == ["B", "C"]


async def test_after_completion_the_next_run_starts_from_the_entry() -> None:
    a, b = ScriptedAgent("a", ["A1", "A2"]), ScriptedAgent("b", ["B1", "B2"])
    flow = _flow(_builder(a, b).add_edge(a, b))
    await flow.run(task="one")
    result = await flow.run(task="two")
    assert _said(result.messages) == ["two", "A2", "B2"]


# ----------------------------------------------------------------------------- the graph and bad input


def test_the_team_graph_is_a_graph_spec_that_round_trips() -> None:
    a, b = ScriptedAgent("a", []), ScriptedAgent("b", [])
    flow = _flow(_builder(a, b).add_edge(a, b, condition="ok"))
    assert isinstance(flow.graph, GraphSpec) and isinstance(flow.digraph, DiGraph)
    assert GraphSpec.model_validate_json(flow.graph.model_dump_json()) == flow.graph
    edge = flow.graph.out_edges("a")[0]
    assert isinstance(edge, WhenEdge) and edge.condition == Mention(text="ok")
    assert [(e.source, e.target) for e in flow.graph.out_edges("b")] == [("b", END)]


def test_entry_node_that_is_not_a_participant_is_refused() -> None:
    a, b = ScriptedAgent("a", []), ScriptedAgent("b", [])
    graph = _builder(a, b).add_edge(a, b).build()
    with pytest.raises(ConfigurationError, match="entry node 'a' is not a participant"):
        GraphFlow([b], graph)


def test_node_without_participant_and_participant_without_node_are_refused() -> None:
    a, b, c = ScriptedAgent("a", []), ScriptedAgent("b", []), ScriptedAgent("c", [])
    graph = _builder(a, b).add_edge(a, b).build()
    with pytest.raises(ConfigurationError, match=r"nodes \['b'\] have no participant"):
        GraphFlow([a], graph)
    with pytest.raises(ConfigurationError, match=r"participants \['c'\] are not nodes"):
        GraphFlow([a, b, c], graph)


def test_duplicate_participant_names_are_refused() -> None:
    a, b = ScriptedAgent("a", []), ScriptedAgent("a", [])
    builder = DiGraphBuilder().add_node(a)
    with pytest.raises(ConfigurationError, match="already a node"):
        builder.add_node(b)
    with pytest.raises(ConfigurationError, match="unique"):
        GraphFlow([a, b], builder.build())


def test_cyclic_graph_needs_termination_or_max_turns() -> None:
    builder, _ = _review_loop([], [])
    with pytest.raises(ConfigurationError, match="termination condition is required"):
        _flow(builder)
    _flow(builder, termination_condition=TextMentionTermination("DONE"))


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ("empty", "no nodes"),
        ("no_leaf", "at least one leaf node"),
        ("mixed", "mix of conditional and unconditional edges"),
        ("conflict", "Conflicting activation conditions"),
        ("unconditional_cycle", "Cycle detected without exit condition"),
    ],
)
def test_builder_refuses_graphs_that_cannot_run(shape: str, message: str) -> None:
    a, b, c = ScriptedAgent("a", []), ScriptedAgent("b", []), ScriptedAgent("c", [])
    builder = DiGraphBuilder() if shape == "empty" else _builder(a, b, c)
    if shape == "no_leaf":
        builder.add_edge(a, b).add_edge(b, c).add_edge(c, a, condition="x").add_edge(c, b, condition="y")
    elif shape == "mixed":
        builder.add_edge(a, b).add_edge(a, c, condition="x")
    elif shape == "conflict":
        builder.add_edge(a, c).add_edge(b, c, activation_condition="any")
    elif shape == "unconditional_cycle":
        builder.add_edge(a, b).add_edge(b, a).add_edge(a, c)
    with pytest.raises(GraphValidationError, match=message):
        builder.build()


def test_edges_need_their_nodes_first() -> None:
    a = ScriptedAgent("a", [])
    with pytest.raises(ConfigurationError, match="Target node 'zz' must be added"):
        DiGraphBuilder().add_node(a).add_edge(a, "zz")
    with pytest.raises(ConfigurationError, match="Start node 'zz' must be added"):
        DiGraphBuilder().add_node(a).set_entry_point("zz")


def test_the_validator_runs_when_the_team_is_built() -> None:
    # b and c exclude each other, so d's "all" join over them could never fire.
    a, b, c, d = (ScriptedAgent(n, []) for n in "abcd")
    builder = _builder(a, b, c, d).add_edge(a, b, condition="left").add_edge(a, c, condition="right")
    builder.add_edge(b, d).add_edge(c, d)
    with pytest.raises(GraphValidationError, match="mutually exclusive branches"):
        _flow(builder)


async def test_messages_reach_every_later_node() -> None:
    a, b = ScriptedAgent("a", [TextMessage(content="hello", source="a")]), ScriptedAgent("b", ["B"])
    await _flow(_builder(a, b).add_edge(a, b)).run(task="go")
    assert _said(b.received[0]) == ["go", "hello"]
