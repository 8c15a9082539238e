"""The scheduler on hand-built graphs: parallel steps, joins, conditions, routers, stops, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from flowgen.base import TerminationCondition
from flowgen.conditions import TextMentionTermination
from flowgen.core import CancellationToken
from flowgen.engine import GraphRunner, RunOutcome, Selection, SelectionContext
from flowgen.graph import END, GraphBuilder, GraphSpec, Regex
from flowgen.messages import BaseAgentEvent, BaseChatMessage, HandoffMessage, MessageFactory, TextMessage
from flowgen.testing import ScriptedAgent

Item = BaseAgentEvent | BaseChatMessage


async def _run(
    runner: GraphRunner, task: str | None = "go", token: CancellationToken | None = None
) -> tuple[list[Item], RunOutcome]:
    items: list[Item] = []
    outcome: RunOutcome | None = None
    messages = [TextMessage(content=task, source="user")] if task else None
    async for item in runner.stream(messages, token):
        if isinstance(item, RunOutcome):
            outcome = item
        else:
            items.append(item)
    assert outcome is not None
    return items, outcome


def _fan_out_join() -> GraphSpec:
    return (
        GraphBuilder("fan")
        .add_agent("a")
        .add_agent("b")
        .add_agent("c")
        .add_agent("d")
        .add_edge("a", "b")
        .add_edge("a", "c")
        .add_edge("b", "d")
        .add_edge("c", "d")
        .add_edge("d", END)
        .build()
    )


def _texts(items: Sequence[Item]) -> list[str]:
    return [m.to_text() for m in items if isinstance(m, BaseChatMessage)]


async def test_parallel_step_appends_in_frontier_order_not_finish_order() -> None:
    gate = asyncio.Event()
    b = ScriptedAgent("b", ["b1"], gate=gate)
    c = ScriptedAgent("c", ["c1"])
    agents = {"a": ScriptedAgent("a", ["a1"]), "b": b, "c": c, "d": ScriptedAgent("d", ["d1"])}
    runner = GraphRunner(_fan_out_join(), agents)

    async def release_b_after_c() -> None:
        await c.started.wait()
        await asyncio.sleep(0)  # let c finish its turn first
        gate.set()

    async with asyncio.TaskGroup() as tg:
        tg.create_task(release_b_after_c())
        items, outcome = await _run(runner)
    assert _texts(items) == ["a1", "b1", "c1", "d1"]
    assert _texts(runner.state.thread) == ["go", "a1", "b1", "c1", "d1"]
    assert outcome.stop == "completed"


async def test_all_join_runs_once_after_both_branches_with_both_messages() -> None:
    d = ScriptedAgent("d", ["d1"])
    agents = {
        "a": ScriptedAgent("a", ["a1"]),
        "b": ScriptedAgent("b", ["b1"]),
        "c": ScriptedAgent("c", ["c1"]),
    }
    runner = GraphRunner(_fan_out_join(), {**agents, "d": d})
    await _run(runner)
    assert [_texts(r) for r in d.received] == [["go", "a1", "b1", "c1"]]


async def test_parallel_siblings_see_each_other_next_time() -> None:
    spec = (
        GraphBuilder("pair")
        .add_agent("a")
        .add_agent("b")
        .add_edge("a", "b", kind="next", activation_condition="any")
        .add_edge("b", "a", kind="next", activation_condition="any")
        .entry("a", "b")
        .build(bounded=True)
    )
    a = ScriptedAgent("a", ["a1", "a2"])
    b = ScriptedAgent("b", ["b1", "b2"])
    runner = GraphRunner(spec, {"a": a, "b": b}, max_turns=2)
    await _run(runner)
    assert [_texts(r) for r in a.received] == [["go"], ["b1"]]
    assert [_texts(r) for r in b.received] == [["go"], ["a1"]]


class _CountingStop(TerminationCondition):
    """Stops when it has seen ``limit`` messages; remembers every batch it was shown."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: list[list[str]] = []
        self._terminated = False

    @property
    def terminated(self) -> bool:
        return self._terminated

    async def __call__(self, messages: Sequence[Item]) -> None:  # type: ignore[override]
        self.seen.append([m.to_text() for m in messages])

    async def reset(self) -> None:
        self._terminated = False


async def test_termination_is_shown_every_message_of_a_parallel_step() -> None:
    stop = _CountingStop(99)
    agents = {n: ScriptedAgent(n, [f"{n}1"]) for n in "abcd"}
    runner = GraphRunner(_fan_out_join(), agents, termination_condition=stop)
    await _run(runner)
    assert stop.seen == [["go"], ["a1"], ["b1", "c1"], ["d1"]]


async def test_termination_fires_on_a_message_that_did_not_finish_last() -> None:
    gate = asyncio.Event()
    b = ScriptedAgent("b", ["STOP now"], gate=gate)
    c = ScriptedAgent("c", ["c1"])
    agents = {"a": ScriptedAgent("a", ["a1"]), "b": b, "c": c, "d": ScriptedAgent("d", ["d1"])}
    runner = GraphRunner(_fan_out_join(), agents, termination_condition=TextMentionTermination("STOP"))

    async def release_b_after_c() -> None:
        await c.started.wait()
        await asyncio.sleep(0)
        gate.set()

    async with asyncio.TaskGroup() as tg:
        tg.create_task(release_b_after_c())
        items, outcome = await _run(runner)
    assert outcome.stop == "termination"
    assert _texts(items) == ["a1", "STOP now", "c1"]


def _review_loop() -> GraphSpec:
    return (
        GraphBuilder("review")
        .add_agent("writer")
        .add_agent("critic")
        .add_edge("writer", "critic")
        .add_edge("critic", "writer", condition=Regex(pattern="REVISE"))
        .add_edge("critic", END, otherwise=True)
        .build()
    )


async def test_conditional_edge_loops_until_otherwise_ends_the_run() -> None:
    writer = ScriptedAgent("writer", ["draft 1", "draft 2"])
    critic = ScriptedAgent("critic", ["REVISE it", "fine"])
    items, outcome = await _run(GraphRunner(_review_loop(), {"writer": writer, "critic": critic}))
    assert _texts(items) == ["draft 1", "REVISE it", "draft 2", "fine"]
    assert outcome.stop == "completed"
    assert outcome.stop_reason == "The graph reached its end."


async def test_saved_state_resumes_a_loop_mid_graph() -> None:
    def fresh() -> dict[str, ScriptedAgent]:
        return {
            "writer": ScriptedAgent("writer", ["draft 1", "draft 2", "draft 3"]),
            "critic": ScriptedAgent("critic", ["REVISE a", "REVISE b", "fine"]),
        }

    straight, _ = await _run(GraphRunner(_review_loop(), fresh()))

    first = GraphRunner(_review_loop(), fresh(), max_turns=3)
    head, _ = await _run(first)
    saved = first.dump_state()
    agents = fresh()
    second = GraphRunner(_review_loop(), agents)
    second.load_state(type(saved).model_validate_json(saved.model_dump_json()), _factory())
    agents["writer"].position, agents["critic"].position = 2, 1
    tail, outcome = await _run(second, task=None)
    assert _texts(head) + _texts(tail) == _texts(straight)
    assert [_texts(r) for r in agents["writer"].received] == [["REVISE b"]]
    assert outcome.stop == "completed"


def _factory() -> MessageFactory:
    return MessageFactory()


async def test_handoff_edge_follows_the_handoff_message() -> None:
    spec = (
        GraphBuilder("desk")
        .add_agent("front")
        .add_agent("billing")
        .add_agent("tech")
        .add_edge("front", "billing", kind="handoff")
        .add_edge("front", "tech", kind="handoff")
        .add_edge("billing", END)
        .add_edge("tech", END)
        .build()
    )
    handoff = HandoffMessage(content="over to tech", target="tech", source="front")
    agents = {
        "front": ScriptedAgent("front", [handoff]),
        "billing": ScriptedAgent("billing", []),
        "tech": ScriptedAgent("tech", ["fixed"]),
    }
    items, _ = await _run(GraphRunner(spec, agents))
    assert _texts(items) == ["over to tech", "fixed"]


class _Alternate:
    """Chooses candidates in turn; async, with state."""

    def __init__(self) -> None:
        self.index = 0
        self.contexts: list[SelectionContext] = []

    async def select(self, context: SelectionContext) -> Selection:
        self.contexts.append(context)
        choice = context.candidates[self.index % len(context.candidates)]
        self.index += 1
        return Selection(speakers=(choice,), reason="in turn", attempts=1)


def _hub() -> GraphSpec:
    builder = GraphBuilder("hub").add_router("pick", policy="alternate")
    for name in ("x", "y"):
        builder.add_agent(name)
        builder.add_edge("pick", name, kind="select")
        builder.add_edge(name, "pick", activation_condition="any")
    return builder.entry("pick").build(bounded=True)


async def test_router_policy_chooses_the_next_speaker_and_is_traced() -> None:
    policy = _Alternate()
    agents = {"x": ScriptedAgent("x", ["x1", "x2"]), "y": ScriptedAgent("y", ["y1"])}
    runner = GraphRunner(_hub(), agents, policies={"pick": policy}, max_turns=3)
    items, outcome = await _run(runner)
    assert _texts(items) == ["x1", "y1", "x2"]
    assert policy.contexts[1].last_speaker == "x"
    assert policy.contexts[0].candidates == ("x", "y")
    edges = [e for e in outcome.trace.events if e.kind == "edge_taken" and e.source == "pick"]
    assert (edges[0].target, edges[0].reason, edges[0].candidates) == ("x", "in turn", ("x", "y"))


async def test_router_choosing_a_non_candidate_is_an_error() -> None:
    class Wrong:
        def select(self, context: SelectionContext) -> Selection:
            return Selection(speakers=("nobody",))

    agents = {"x": ScriptedAgent("x", []), "y": ScriptedAgent("y", [])}
    runner = GraphRunner(_hub(), agents, policies={"pick": Wrong()}, max_turns=3)
    with pytest.raises(ValueError, match="'nobody'"):
        await _run(runner)


async def test_unsatisfiable_join_stops_as_stalled() -> None:
    spec = (
        GraphBuilder("stall")
        .add_agent("a")
        .add_agent("b")
        .add_agent("c")
        .add_edge("a", "b", condition="never-said")
        .add_edge("a", "c", otherwise=True)
        .add_edge("b", "c")
        .add_edge("c", END)
        .build(validate_graph=False)
    )
    agents = {n: ScriptedAgent(n, [f"{n}1"]) for n in "abc"}
    spec = spec.model_copy(
        update={"edges": tuple(e.model_copy(update={"activation_group": "g"}) for e in spec.edges)}
    )
    items, outcome = await _run(GraphRunner(spec, agents, require_bounded=False), "go")
    assert outcome.stop == "stalled"
    assert _texts(items) == ["a1"]


async def test_failure_in_a_parallel_step_raises_the_original_and_cancels_siblings() -> None:
    gate = asyncio.Event()
    agents = {
        "a": ScriptedAgent("a", ["a1"]),
        "b": ScriptedAgent("b", [LookupError("no such thing")]),
        "c": ScriptedAgent("c", ["c1"], gate=gate),
        "d": ScriptedAgent("d", []),
    }
    before = asyncio.all_tasks()
    with pytest.raises(LookupError) as caught:
        await _run(GraphRunner(_fan_out_join(), agents))
    assert caught.value.__notes__ == ["raised by node 'b' at turn 2"]
    assert asyncio.all_tasks() == before
    assert agents["c"].position == 0


async def test_cancelling_a_parallel_step_leaves_no_task_and_the_step_to_redo() -> None:
    gate = asyncio.Event()
    agents = {
        "a": ScriptedAgent("a", ["a1"]),
        "b": ScriptedAgent("b", ["b1"], gate=gate),
        "c": ScriptedAgent("c", ["c1"], gate=gate),
        "d": ScriptedAgent("d", ["d1"]),
    }
    runner = GraphRunner(_fan_out_join(), agents)
    token = CancellationToken()
    before = asyncio.all_tasks()
    run = asyncio.ensure_future(_run(runner, token=token))
    await agents["c"].started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert asyncio.all_tasks() == before
    assert runner.state.frontier == ["b", "c"]
    gate.set()
    items, outcome = await _run(runner, task=None)
    assert _texts(items) == ["b1", "c1", "d1"]
    assert outcome.stop == "completed"


async def test_cancelling_the_consuming_task_stops_the_run() -> None:
    gate = asyncio.Event()
    agents = {"writer": ScriptedAgent("writer", ["w"], gate=gate), "critic": ScriptedAgent("critic", [])}
    runner = GraphRunner(_review_loop(), agents)
    run = asyncio.ensure_future(_run(runner))
    await agents["writer"].started.wait()
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert not runner.running
    assert runner.state.frontier == ["writer"]


async def test_closing_the_stream_mid_parallel_step_cancels_the_step_cleanly() -> None:
    spec = (
        GraphBuilder()
        .add_agent("a")
        .add_agent("b")
        .add_agent("c")
        .add_edge("a", "b")
        .add_edge("a", "c")
        .add_edge("b", END)
        .add_edge("c", END)
        .build()
    )
    agents = {
        "a": ScriptedAgent("a", ["a1"]),
        "b": ScriptedAgent("b", ["b1"], thoughts=True),
        "c": ScriptedAgent("c", ["c1"], gate=asyncio.Event()),
    }
    runner = GraphRunner(spec, agents)
    before = asyncio.all_tasks()
    stream = runner.stream([TextMessage(content="go", source="user")], None)
    async for item in stream:
        if item.__class__.__name__ == "ThoughtEvent":
            break
    await stream.aclose()
    assert asyncio.all_tasks() == before
    assert not runner.running
    assert runner.state.frontier == ["b", "c"]
