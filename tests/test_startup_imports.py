"""Start-up stays cheap: what a one-turn team loads and builds, and what it leaves for first use."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from datetime import UTC, datetime

import pytest

from flowgen.base import TaskResult
from flowgen.engine.recording import CODES, FIELDS, TraceRecorder
from flowgen.engine.state import LiveState
from flowgen.engine.trace import EVENT_TYPES, EdgeTaken, NodeFinished, RunTrace
from flowgen.graph import AgentNode, GraphSpec, NextEdge
from flowgen.graph.validate import Finding
from flowgen.messages import TextMessage
from flowgen.models import ReplayChatCompletionClient
from flowgen.teams import RoundRobinGroupChat, SelectorGroupChat, Swarm
from flowgen.testing import ScriptedAgent


def _run(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip().split("\n")


_ONE_TURN_TEAM = (
    "import asyncio, sys\n"
    "from flowgen.agents import AssistantAgent\n"
    "from flowgen.conditions import MaxMessageTermination\n"
    "from flowgen.models import ReplayChatCompletionClient\n"
    "from flowgen.teams import RoundRobinGroupChat\n"
    "agent = AssistantAgent('a', model_client=ReplayChatCompletionClient(['hi']))\n"
    "team = RoundRobinGroupChat([agent], termination_condition=MaxMessageTermination(2))\n"
    "result = asyncio.run(team.run(task='go'))\n"
)


def test_a_one_turn_team_loads_none_of_the_modules_it_does_not_use() -> None:
    unused = (
        "flowgen.core.ids",
        "flowgen.graph.builder",
        "flowgen.graph.conditions",
        "flowgen.models.function",
        "flowgen.tools.function_tool",
        "flowgen.tools.task_runner_tool",
    )
    code = _ONE_TURN_TEAM + f"print(sorted(m for m in {unused!r} if m in sys.modules))\n"
    assert _run(code) == ["[]"]


def test_a_team_makes_its_graph_without_building_the_graph_schemas() -> None:
    code = (
        _ONE_TURN_TEAM
        + "from flowgen.graph.spec import AgentNode, GraphSpec, NextEdge\n"
        + "print([m.__pydantic_complete__ for m in (AgentNode, NextEdge, GraphSpec)])\n"
        + "print(len(result.messages), team.graph.agent_names)\n"
    )
    assert _run(code) == ["[False, False, False]", "2 ['a']"]


def test_an_agent_run_loads_the_trace_module_only_when_its_result_is_dumped() -> None:
    code = (
        "import asyncio, sys\n"
        "from flowgen.agents import AssistantAgent\n"
        "from flowgen.models import ReplayChatCompletionClient\n"
        "agent = AssistantAgent('a', model_client=ReplayChatCompletionClient(['hi']))\n"
        "result = asyncio.run(agent.run(task='go'))\n"
        "print('flowgen.engine.trace' in sys.modules, [m.to_text() for m in result.messages])\n"
        "print(result.model_dump(mode='json')['trace'], 'flowgen.engine.trace' in sys.modules)\n"
    )
    assert _run(code) == ["False ['go', 'hi']", "None True"]


def test_a_team_run_loads_the_trace_events_only_when_its_trace_is_read() -> None:
    code = (
        _ONE_TURN_TEAM
        + "print('flowgen.engine.trace' in sys.modules, result.stop_reason is not None)\n"
        + "print([e.kind for e in result.trace.events][:2], 'flowgen.engine.trace' in sys.modules)\n"
    )
    assert _run(code) == ["False True", "['run_started', 'step_started'] True"]


def test_a_carried_edge_is_recorded_in_the_next_run() -> None:
    code = (
        _ONE_TURN_TEAM.replace("['hi']", "['hi', 'again']")
        + "again = asyncio.run(team.run(task='more'))\n"
        + "edges = [(e.source, e.target, e.reason) for e in again.trace.events if e.kind == 'edge_taken']\n"
        + "print(edges[0])\n"
    )
    assert _run(code) == ["('a', 'a', 'next')"]


def test_the_recorders_field_table_matches_the_event_classes() -> None:
    for code, event_type in enumerate(EVENT_TYPES):
        names = tuple(f.name for f in fields(event_type))
        assert names[-1] == "kind"
        assert FIELDS[code] == names[:-1]
        assert CODES[str(event_type.__dataclass_fields__["kind"].default)] == code


def test_a_recorded_event_made_elsewhere_reads_back_equal() -> None:
    rec = TraceRecorder(GraphSpec(nodes=(AgentNode(name="a"),), entry=("a",)))
    edge = EdgeTaken(t=1.0, step=2, source="a", target="a", edge=0, reason="next", candidates=("a",))
    finish = NodeFinished(t=0.5, step=1, node="a", turn=1, duration=0.5, message_ids=("m1", "m2"))
    rec.add(finish)
    rec.add(edge)
    assert rec.events == [finish, edge]
    (taken,) = rec.take_trailing_edges(2)
    assert EdgeTaken(*taken) == edge  # the carried form holds the event's fields, in its order
    assert rec.seal().build().events == [finish]


def test_the_result_schema_still_describes_the_trace() -> None:
    schema = TaskResult.model_json_schema(mode="serialization")
    assert "RunTrace" in str(schema["properties"]["trace"])
    graph = GraphSpec(nodes=(AgentNode(name="a"),), entry=("a",))
    trace = RunTrace(graph=graph, started_at=datetime(2026, 1, 1, tzinfo=UTC))
    result = TaskResult(messages=[TextMessage(content="hi", source="a")], trace=trace)
    dumped = result.model_dump(mode="json")["trace"]
    assert TaskResult(messages=result.messages, trace=dumped).trace == trace


@pytest.mark.parametrize(
    "team",
    [
        lambda: RoundRobinGroupChat([ScriptedAgent("a", ["x"]), ScriptedAgent("b", ["y"])], max_turns=2),
        lambda: SelectorGroupChat(
            [ScriptedAgent("a", ["x"]), ScriptedAgent("b", ["y"])],
            model_client=ReplayChatCompletionClient([]),
            selector_func=lambda thread: "a",
            max_turns=2,
        ),
        lambda: Swarm([ScriptedAgent("a", ["x"])], max_turns=2),
    ],
    ids=["round_robin", "selector", "swarm"],
)
def test_an_engine_made_graph_equals_its_validated_copy(team: object) -> None:
    graph = team().graph  # type: ignore[operator]
    copy = GraphSpec.model_validate_json(graph.model_dump_json())
    assert copy == graph
    assert graph == copy
    assert [hash(n) for n in graph.nodes] == [hash(n) for n in copy.nodes]
    assert graph.model_dump() == copy.model_dump()


def test_an_engine_made_edge_hashes_and_compares_like_a_validated_one() -> None:
    made = NextEdge.model_construct(source="a", target="b")
    checked = NextEdge(source="a", target="b")
    assert made == checked
    assert hash(made) == hash(checked)
    assert made.model_fields_set == checked.model_fields_set


def test_a_finding_reads_as_its_problem_and_fix() -> None:
    finding = Finding("no_entry", (), "the graph has no entry node", "set entry")
    assert str(finding) == "the graph has no entry node — set entry"
    assert finding.code == "no_entry"
    assert repr(finding).startswith("Finding(code='no_entry'")


def test_live_states_compare_by_their_fields() -> None:
    assert LiveState(turn=1, frontier=["a"]) == LiveState(turn=1, frontier=["a"])
    assert LiveState(turn=1) != LiveState(turn=2)
    assert LiveState().frontier is not LiveState().frontier
    assert "frontier=['a']" in repr(LiveState(frontier=["a"]))


@pytest.mark.parametrize(
    "package", ["flowgen.core", "flowgen.graph", "flowgen.models", "flowgen.engine", "flowgen.tools"]
)
def test_every_exported_name_resolves_whether_loaded_lazily_or_not(package: str) -> None:
    code = (
        f"import importlib\nmodule = importlib.import_module({package!r})\n"
        "missing = [n for n in module.__all__ if getattr(module, n, None) is None]\n"
        "print(missing, sorted(set(module.__all__) - set(dir(module))))\n"
    )
    assert _run(code) == ["[] []"]


def test_graph_validate_stays_the_function_after_its_module_loads() -> None:
    code = (
        "import flowgen.graph.validate\n"
        "from flowgen.graph import GraphBuilder, validate\n"
        "print(callable(validate), type(validate).__name__, GraphBuilder.__name__)\n"
    )
    assert _run(code) == ["True function GraphBuilder"]


def test_a_graph_with_conditions_loads_them_when_its_schema_is_built() -> None:
    code = (
        "import sys\n"
        "from flowgen.graph.spec import GraphSpec\n"
        "print('flowgen.graph.conditions' in sys.modules)\n"
        "data = {'nodes': [{'kind': 'agent', 'name': 'a'}], 'entry': ['a'], 'edges': [\n"
        "    {'kind': 'when', 'source': 'a', 'target': 'a', 'condition': {'kind': 'mention', 'text': 'GO'}}]}\n"
        "graph = GraphSpec.model_validate(data)\n"
        "print(type(graph.edges[0].condition).__name__, GraphSpec.model_validate_json(graph.model_dump_json()) == graph)\n"
    )
    assert _run(code) == ["False", "Mention True"]
