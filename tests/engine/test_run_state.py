"""Run state: unseen-message cursors, the saved form, and policy state carried with it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowgen.engine import GraphRunner, LiveState, RunOutcome, RunState, Selection, SelectionContext
from flowgen.graph import GraphBuilder, GraphSpec
from flowgen.messages import BaseAgentEvent, BaseChatMessage, MessageFactory, TextMessage, ThoughtEvent
from flowgen.testing import ScriptedAgent


def _m(text: str) -> TextMessage:
    return TextMessage(content=text, source="s")


def test_unseen_skips_the_node_own_span_and_events() -> None:
    thread: list[BaseAgentEvent | BaseChatMessage] = [
        _m("t"),
        _m("a"),
        ThoughtEvent(content="hm", source="b"),
        _m("b"),
        _m("c"),
    ]
    state = LiveState(thread=list(thread), cursors={"b": 1}, spans={"b": (2, 4)})
    assert [m.to_text() for m in state.unseen("b")] == ["a", "c"]
    assert [m.to_text() for m in state.unseen("new")] == ["t", "a", "b", "c"]


def test_run_state_round_trips_through_json() -> None:
    live = LiveState(
        thread=[_m("t")], turn=3, step=7, frontier=["x"], started=True, pending={"j": {"g": {1, 2}}},
        visits={"x": 2}, cursors={"x": 1}, spans={"x": (0, 1)},
    )  # fmt: skip
    saved = RunState.model_validate_json(RunState.from_live(live).model_dump_json())
    again = saved.to_live(MessageFactory())
    assert (again.turn, again.step, again.frontier, again.pending) == (3, 7, ["x"], {"j": {"g": {1, 2}}})
    assert again.spans == {"x": (0, 1)} and again.thread[0].to_text() == "t"


class _Rotation:
    """A stateful policy: rotates through the candidates."""

    def __init__(self) -> None:
        self.index = 0

    def select(self, context: SelectionContext) -> Selection:
        choice = context.candidates[self.index % len(context.candidates)]
        self.index += 1
        return Selection(speakers=(choice,), reason="rotation")

    def dump_state(self) -> dict[str, Any]:
        return {"index": self.index}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.index = int(state["index"])

    def reset(self) -> None:
        self.index = 0


def _hub() -> GraphSpec:
    builder = GraphBuilder("hub").add_router("pick", policy="rotation")
    for name in ("x", "y", "z"):
        builder.add_agent(name)
        builder.add_edge("pick", name, kind="select")
        builder.add_edge(name, "pick", activation_condition="any")
    return builder.entry("pick").build(bounded=True)


def _agents() -> dict[str, ScriptedAgent]:
    return {n: ScriptedAgent(n, [f"{n}{i}" for i in range(1, 4)]) for n in ("x", "y", "z")}


async def _texts(runner: GraphRunner, task: str | None) -> list[str]:
    messages = [TextMessage(content=task, source="user")] if task else None
    return [m.to_text() async for m in runner.stream(messages, None) if not isinstance(m, RunOutcome)]


async def test_policy_state_travels_with_the_saved_run() -> None:
    first = GraphRunner(_hub(), _agents(), policies={"pick": _Rotation()}, max_turns=2)
    assert await _texts(first, "go") == ["x1", "y1"]
    saved = RunState.model_validate_json(first.dump_state().model_dump_json())
    assert saved.policies == {"pick": {"index": 2}}

    second = GraphRunner(_hub(), _agents(), policies={"pick": _Rotation()}, max_turns=2)
    second.load_state(saved, MessageFactory())
    assert await _texts(second, None) == ["z1", "x1"]


async def test_reset_clears_the_policy_and_the_thread() -> None:
    policy = _Rotation()
    runner = GraphRunner(_hub(), _agents(), policies={"pick": policy}, max_turns=2)
    await _texts(runner, "go")
    await runner.reset()
    assert policy.index == 0 and runner.state.thread == []
