"""Bounded exploration finds unreachable nodes, starving joins, traps and unbounded cycles, with a path."""

from __future__ import annotations

import asyncio
import doctest
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flowgen.graph.explore
from flowgen.engine.policy import Selection, SelectionContext
from flowgen.engine.scheduler import GraphRunner, RunOutcome
from flowgen.engine.trace import EdgeTaken, RunTrace, StepStarted
from flowgen.engine.transitions import Fired, Transitions
from flowgen.graph.conditions import Mention
from flowgen.graph.explore import State, Step, explore
from flowgen.graph.explore import _Semantics as Semantics
from flowgen.graph.explore import _steps as abstract_steps
from flowgen.graph.spec import (
    END,
    AgentNode,
    EndNode,
    GraphSpec,
    HandoffEdge,
    NextEdge,
    RouterNode,
    SelectEdge,
    WhenEdge,
)
from flowgen.messages import BaseChatMessage, HandoffMessage, TextMessage
from flowgen.testing import ScriptedAgent
from flowgen.testing.strategies import dags, looped_graphs

EXAMPLES = (
    "write_review",
    "travel_planner",
    "support_swarm",
    "code_review_flow",
    "research_team",
    "code_writing",
)


def graph(
    *edges: NextEdge | WhenEdge | SelectEdge | HandoffEdge, entry: tuple[str, ...] = ("a",)
) -> GraphSpec:
    """A graph of agent nodes named by its edges (routers are named ``r...``), plus the end."""
    names = sorted({e.source for e in edges} | {e.target for e in edges} - {END})
    nodes = [RouterNode(name=n, policy="any") if n.startswith("r") else AgentNode(name=n) for n in names]
    return GraphSpec(nodes=(*nodes, EndNode()), edges=edges, entry=entry)


def when(source: str, target: str, word: str = "go", **kw: object) -> WhenEdge:
    return WhenEdge(source=source, target=target, condition=Mention(text=word), **kw)  # type: ignore[arg-type]


def nxt(source: str, target: str, **kw: object) -> NextEdge:
    return NextEdge(source=source, target=target, **kw)  # type: ignore[arg-type]


# ----------------------------------------------------------------------- each finding


def test_an_otherwise_edge_behind_an_unconditional_edge_is_unreachable() -> None:
    spec = graph(nxt("a", "b"), nxt("a", "c", otherwise=True), nxt("b", END), nxt("c", END))
    [finding] = explore(spec).findings
    assert (finding.kind, finding.nodes, finding.severity) == ("unreachable", ("c",), "error")
    assert finding.path == (Step(("a",), (0,)),)


def test_a_join_over_exclusive_branches_starves_after_one_branch() -> None:
    spec = graph(
        when("a", "b"),
        nxt("a", "c", otherwise=True),
        nxt("b", "join"),
        nxt("c", "join"),
        nxt("join", END),
    )
    [finding] = explore(spec).findings
    assert (finding.kind, finding.nodes) == ("starving_join", ("join", "c"))
    assert finding.path == (Step(("a",), (0,)), Step(("b",), (2,)))
    assert finding.path_text() == "a → b"


def test_a_router_choice_that_starves_a_join_shows_the_router_in_the_step() -> None:
    spec = graph(
        SelectEdge(source="r", target="x"),
        SelectEdge(source="r", target="y"),
        nxt("x", "join"),
        nxt("y", "join"),
        nxt("join", END),
        entry=("r",),
    )
    [finding] = explore(spec).findings
    assert (finding.kind, finding.nodes) == ("starving_join", ("join", "y"))
    assert finding.path == (Step(("r", "x"), (0, 2)),)
    assert finding.path_text() == "r, x"


def test_an_any_join_over_exclusive_branches_is_fine() -> None:
    spec = graph(
        when("a", "b"),
        nxt("a", "c", otherwise=True),
        nxt("b", "join", activation_condition="any"),
        nxt("c", "join", activation_condition="any"),
        nxt("join", END),
    )
    assert explore(spec).findings == ()


def test_a_loop_with_no_way_out_is_a_trap_when_the_graph_can_end() -> None:
    spec = graph(
        when("a", "b"), nxt("a", END, otherwise=True), nxt("b", "c"), nxt("c", "b", activation_group="back")
    )
    [finding] = explore(spec, bounded=True).findings
    assert (finding.kind, finding.nodes) == ("trap", ("b", "c"))
    assert finding.path_nodes == ["a", "b", "c"]
    assert finding.path[0] == Step(("a",), (0,))
    assert "termination condition or max_turns stops it" in finding.message


def test_a_trap_in_an_unbounded_team_says_nothing_stops_it() -> None:
    spec = graph(
        when("a", "b"), nxt("a", END, otherwise=True), nxt("b", "c"), nxt("c", "b", activation_group="back")
    )
    [finding] = explore(spec, bounded=False).findings
    assert finding.kind == "trap"
    assert "nothing stops it" in finding.message


def test_a_loop_without_exit_is_an_unbounded_cycle() -> None:
    spec = graph(nxt("a", "b"), nxt("b", "a"))
    [finding] = explore(spec).findings
    assert (finding.kind, finding.nodes) == ("unbounded_cycle", ("a", "b"))
    assert finding.path == (Step(("a",), (0,)), Step(("b",), (1,)))
    assert "max_turns" in finding.fix


def test_a_trap_names_only_the_loop_not_the_way_into_it() -> None:
    spec = graph(
        when("a", "x"),
        nxt("a", END, otherwise=True),
        nxt("x", "b"),
        nxt("b", "c"),
        nxt("c", "b", activation_group="back"),
    )
    [finding] = explore(spec).findings
    assert (finding.kind, finding.nodes) == ("trap", ("b", "c"))
    assert finding.path_text() == "a → x → b → c"


def test_a_bounded_loop_without_exit_is_fine() -> None:
    assert explore(graph(nxt("a", "b"), nxt("b", "a")), bounded=True).findings == ()


def test_a_loop_with_a_conditional_exit_is_fine() -> None:
    spec = graph(nxt("a", "b"), when("b", "a", "again"), nxt("b", END, otherwise=True))
    assert explore(spec).findings == ()


def test_handoffs_fire_one_at_a_time() -> None:
    spec = graph(
        HandoffEdge(source="a", target="b"),
        HandoffEdge(source="a", target="c"),
        nxt("b", "join"),
        nxt("c", "join"),
        nxt("join", END),
    )
    kinds = [f.kind for f in explore(spec).findings]
    assert kinds == ["starving_join"]


def test_a_cut_short_search_says_so_and_only_warns() -> None:
    spec = graph(
        when("a", "b"), nxt("a", END, otherwise=True), nxt("b", "c"), nxt("c", "b", activation_group="back")
    )
    found = explore(spec, depth=1)
    assert not found.complete
    assert [(f.kind, f.nodes, f.severity) for f in found.findings] == [("unreachable", ("c",), "warning")]
    assert found.findings[0].path_nodes == ["a"]
    assert "within 1 step:" in found.findings[0].message


def test_a_node_run_twice_by_an_any_join_starves_the_all_join_after_it() -> None:
    # b runs once per input (any), so its second run refills c's all-group after c has already run.
    spec = graph(
        nxt("a", "b", activation_condition="any"),
        nxt("a", "x"),
        nxt("x", "b", activation_condition="any"),
        nxt("a", "c"),
        nxt("b", "c"),
        nxt("c", END),
    )
    [finding] = explore(spec).findings
    assert (finding.kind, finding.nodes) == ("starving_join", ("c", "a"))
    assert finding.path_text() == "a → b, x → b, c"


# ----------------------------------------------------------------------- no false positives


@pytest.fixture(scope="module")
def examples() -> dict[str, object]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    try:
        return {name: importlib.import_module(f"graphs.{name}").build() for name in EXAMPLES}
    finally:
        sys.path.pop(0)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_explores_clean(examples: dict[str, object], name: str) -> None:
    team = examples[name]
    bounded = (
        getattr(team, "termination_condition", None) is not None
        or getattr(team, "max_turns", None) is not None
    )
    spec: GraphSpec = team.graph  # type: ignore[attr-defined]
    for _, sub in spec.walk():
        found = explore(sub, bounded=bounded or sub is not spec)
        assert found.complete
        assert found.findings == ()


@given(dags(max_nodes=7))
@settings(max_examples=60, deadline=None)
def test_generated_dags_explore_clean(spec: GraphSpec) -> None:
    found = explore(spec)
    assert found.complete
    assert found.findings == ()


@given(looped_graphs())
@settings(max_examples=40, deadline=None)
def test_generated_looped_graphs_explore_clean(spec: GraphSpec) -> None:
    found = explore(spec)
    assert found.complete
    assert found.findings == ()


# ----------------------------------------------------------------------- agreement with the scheduler


@given(dags(min_nodes=2, max_nodes=7, any_joins=True), st.data())
@settings(max_examples=60, deadline=None)
def test_fan_in_agrees_with_the_scheduler(spec: GraphSpec, data: st.DataObject) -> None:
    sem, transitions = Semantics(spec), Transitions(spec)
    pending: dict[str, dict[str, set[int]]] = {}
    waiting = frozenset[tuple[str, str, frozenset[int]]]()
    for _ in range(4):
        batch = data.draw(st.sets(st.sampled_from(range(len(spec.edges)))))
        fired = [Fired(i, spec.edges[i].source, spec.edges[i].target, "") for i in sorted(batch)]
        ready, waiting = sem.activate(batch, waiting)
        assert ready == transitions.activate(fired, pending)
        assert waiting == frozenset((t, g, frozenset(s)) for t, by in pending.items() for g, s in by.items())


@given(st.lists(st.sampled_from(["go", "stop", "go stop", "nothing"]), min_size=1, max_size=2), st.booleans())
def test_every_firing_of_the_scheduler_is_an_explored_outcome(texts: list[str], hand_off: bool) -> None:
    spec = graph(
        when("a", "b", "go"),
        when("a", "c", "stop"),
        HandoffEdge(source="a", target="d"),
        nxt("a", END, otherwise=True),
        nxt("b", END),
        nxt("c", END),
        nxt("d", END),
    )
    chat: list[BaseChatMessage] = [TextMessage(content=t, source="a") for t in texts]
    if hand_off:
        chat.append(HandoffMessage(content="over to d", target="d", source="a"))
    fired = frozenset(f.edge for f in Transitions(spec).fire("a", chat))
    assert fired in Semantics(spec).outcomes("a")


def test_a_wide_step_with_many_conditions_is_cut_short_not_hung() -> None:
    fan = [nxt("a", f"n{i}") for i in range(6)]
    conditions = [when(f"n{i}", END, word) for i in range(6) for word in ("w", "x", "y", "z")]
    found = explore(graph(*fan, *conditions))
    assert not found.complete
    assert [f.kind for f in found.findings if f.severity == "error"] == []


def test_the_module_example_runs() -> None:
    result = doctest.testmod(flowgen.graph.explore)
    assert result.failed == 0
    assert result.attempted > 0


@dataclass
class ScriptedPolicy:
    """Chooses the router's candidates in the order of a script (cycling), to drive real runs."""

    script: list[str]
    turn: int = 0

    def select(self, context: SelectionContext) -> Selection:
        choice = self.script[self.turn % len(self.script)]
        self.turn += 1
        return Selection((choice,), "scripted")


def _run(spec: GraphSpec, words: list[str], choices: list[str] | None = None) -> RunTrace:
    agents = {name: ScriptedAgent(name, list(words)) for name in spec.agent_names}
    routers = [n.name for n in spec.nodes if isinstance(n, RouterNode)]
    policies = {name: ScriptedPolicy(choices or []) for name in routers}
    runner = GraphRunner(spec, agents, max_turns=len(words) // 2, policies=policies)

    async def last() -> RunOutcome:
        items = [item async for item in runner.stream([], None)]
        assert isinstance(items[-1], RunOutcome)
        return items[-1]

    return asyncio.run(last()).trace


@given(
    st.one_of(looped_graphs(), dags(max_nodes=6, any_joins=True)),
    st.lists(st.sampled_from(["REVISE this", "ok"]), min_size=16, max_size=16),
)
@settings(max_examples=40, deadline=None)
def test_every_real_run_is_an_explored_path(spec: GraphSpec, words: list[str]) -> None:
    _follow(spec, _run(spec, words))


ROUTED = graph(
    SelectEdge(source="r", target="x"),
    SelectEdge(source="r", target="y"),
    SelectEdge(source="r", target=END),
    nxt("x", "r"),
    when("y", END, "stop"),
    nxt("y", "r", otherwise=True, activation_group="back"),
    entry=("r",),
)


@given(
    st.lists(st.sampled_from(["stop", "ok"]), min_size=16, max_size=16),
    st.lists(st.sampled_from(["x", "y", END]), min_size=1, max_size=8),
)
@settings(max_examples=40, deadline=None)
def test_every_real_routed_run_is_an_explored_path(words: list[str], choices: list[str]) -> None:
    _follow(ROUTED, _run(ROUTED, words, choices))


def _follow(spec: GraphSpec, trace: RunTrace) -> None:
    """Walk the real run's steps through the explored successors, one step at a time."""
    routers = {n.name for n in spec.nodes if isinstance(n, RouterNode)}
    ran: dict[int, set[str]] = {e.step: set(e.nodes) for e in trace.events if isinstance(e, StepStarted)}
    fired: dict[int, set[int]] = {step: set() for step in ran}
    for e in trace.events:
        if isinstance(e, EdgeTaken) and e.edge is not None:
            # A router chooses before the step starts, so its choice carries the previous step's number.
            step = e.step + 1 if e.source in routers else e.step
            ran.setdefault(step, set()).update({e.source} & routers)
            fired.setdefault(step, set()).add(e.edge)
    sem, state = Semantics(spec), State(frozenset(spec.entry))
    *walked, last = sorted(ran)
    for step in walked:
        options = {
            (frozenset(s.ran), frozenset(s.fired)): after for s, after, _ in abstract_steps(sem, state)
        }
        taken = (frozenset(ran[step]), frozenset(fired[step]))
        assert taken in options, f"step {step} of the real run was not explored"
        state = options[taken]
    # A run stopped by max_turns keeps its last step's edges for the next run, out of this trace.
    assert ran[last] <= {n for s, _, _ in abstract_steps(sem, state) for n in s.ran}
