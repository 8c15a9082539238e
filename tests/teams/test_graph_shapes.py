"""Under load: teams of one shape share a compiled, validated graph; a finished run leaves nothing for
the collector; a turn keeps nothing of the last one alive through its model call."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncGenerator, Iterator, Sequence
from typing import Any

import pytest

import flowgen.engine.compiled as compiled_module
from flowgen.agents import AssistantAgent
from flowgen.base import Response
from flowgen.conditions import MaxMessageTermination
from flowgen.core import CancellationToken
from flowgen.errors import GraphValidationError
from flowgen.graph.spec import GraphSpec
from flowgen.graph.validate import validate
from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.models import CreateResult, ReplayChatCompletionClient
from flowgen.teams import RoundRobinGroupChat, SelectorGroupChat, graph_shapes
from flowgen.testing import ScriptedAgent


@pytest.fixture(autouse=True)
def fresh_shapes() -> Iterator[None]:
    graph_shapes.clear()
    yield
    graph_shapes.clear()


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the graphs checked, one entry per check actually made."""
    checked: list[str] = []
    real = validate

    def counting(spec: object, **kwargs: object) -> None:
        checked.append(getattr(spec, "name", ""))
        real(spec, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(compiled_module, "validate", counting)
    return checked


def _pair(*, description: str = "A scripted agent.") -> list[ScriptedAgent]:
    return [ScriptedAgent(n, [f"{n}1", f"{n}2"], description=description) for n in ("a", "b")]


async def test_teams_of_one_shape_share_one_graph_validated_once(validations: list[str]) -> None:
    first = RoundRobinGroupChat(_pair(), max_turns=2)
    second = RoundRobinGroupChat(_pair(), max_turns=2)
    assert first.graph is second.graph
    assert [m.to_text() for m in (await first.run(task="go")).messages] == ["go", "a1", "b1"]
    assert [m.to_text() for m in (await second.run(task="go")).messages] == ["go", "a1", "b1"]
    assert validations == ["RoundRobinGroupChat"]


async def test_a_different_setting_of_a_shared_graph_is_validated_again(validations: list[str]) -> None:
    await RoundRobinGroupChat(_pair(), max_turns=2).run(task="go")
    # Same graph, now unbounded: the ring is refused, every time the team runs.
    unbounded = RoundRobinGroupChat(_pair())
    for _ in range(2):
        with pytest.raises(GraphValidationError):
            await unbounded.run(task="go")
    assert validations == ["RoundRobinGroupChat"] * 3


@pytest.mark.parametrize(
    ("change", "value"),
    [("name", "other"), ("description", "Another agent."), ("participants", ("b", "a"))],
)
def test_teams_of_different_shapes_do_not_share(change: str, value: object) -> None:
    base = RoundRobinGroupChat(_pair(), max_turns=2)
    if change == "name":
        other = RoundRobinGroupChat(_pair(), max_turns=2, name=str(value))
    elif change == "description":
        other = RoundRobinGroupChat(_pair(description=str(value)), max_turns=2)
    else:
        other = RoundRobinGroupChat(list(reversed(_pair())), max_turns=2)
    assert other.graph is not base.graph
    assert other.graph != base.graph


def test_team_types_do_not_share_a_graph() -> None:
    ring = RoundRobinGroupChat(_pair(), max_turns=2, name="team")
    star = SelectorGroupChat(
        _pair(), model_client=ReplayChatCompletionClient(["a"]), max_turns=2, name="team"
    )
    assert star.graph is not ring.graph
    assert (
        SelectorGroupChat(
            _pair(), model_client=ReplayChatCompletionClient(["a"]), max_turns=2, name="team"
        ).graph
        is star.graph
    )


def test_a_team_holding_a_team_builds_its_own_graph() -> None:
    def outer() -> RoundRobinGroupChat:
        inner = RoundRobinGroupChat(_pair(), max_turns=1, name="inner")
        return RoundRobinGroupChat([inner, ScriptedAgent("c", ["c1"])], max_turns=2)

    assert outer().graph is not outer().graph
    assert outer().graph == outer().graph


def test_the_cache_keeps_the_most_recent_shapes_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph_shapes, "LIMIT", 2)
    first = RoundRobinGroupChat(_pair(), max_turns=2, name="t0").graph
    for i in range(1, 3):
        RoundRobinGroupChat(_pair(), max_turns=2, name=f"t{i}")
    assert RoundRobinGroupChat(_pair(), max_turns=2, name="t0").graph is not first


def _conversation() -> RoundRobinGroupChat:
    agents = [
        AssistantAgent(n, model_client=ReplayChatCompletionClient([f"{n} says {i}" for i in range(5)]))
        for n in ("writer", "critic")
    ]
    return RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(7))


def test_a_finished_run_and_its_team_are_freed_without_the_collector() -> None:
    async def main() -> int:
        await _conversation().run(task="warm up")  # first-use caches and lazy imports
        gc.collect()
        team = _conversation()
        result = await team.run(task="write")
        assert len(result.messages) == 7
        del team, result
        return gc.collect()  # objects that only the collector could free: reference cycles

    flags = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what it finds, to name it if this fails
    try:
        found = asyncio.run(main())
        assert found == 0, sorted({type(o).__name__ for o in gc.garbage})
    finally:
        gc.set_debug(flags)
        gc.garbage.clear()


class _WatchedModel(ReplayChatCompletionClient):
    """Notes, at each model call, how many earlier turns' Responses are still alive."""

    def __init__(self, replies: list[str], responses: list[weakref.ref[Response]], alive: list[int]) -> None:
        super().__init__(replies, record_calls=False)
        self._responses = responses
        self._alive = alive

    async def create(self, *args: Any, **kwargs: Any) -> CreateResult:
        self._alive.append(sum(1 for r in self._responses if r() is not None))
        return await super().create(*args, **kwargs)


class _WatchedAgent(AssistantAgent):
    def __init__(self, name: str, model: _WatchedModel, responses: list[weakref.ref[Response]]) -> None:
        super().__init__(name, model_client=model)
        self._responses = responses

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        async for item in super().on_messages_stream(messages, cancellation_token):
            if isinstance(item, Response):
                self._responses.append(weakref.ref(item))
            yield item


async def test_a_turn_lets_the_last_turns_response_go_before_calling_the_model() -> None:
    # What a step no longer needs must not live through the next model call: with many
    # conversations waiting on their models at once, it would outlast the young collections.
    responses: list[weakref.ref[Response]] = []
    alive: list[int] = []
    agents = [
        _WatchedAgent(n, _WatchedModel([f"{n}{i}" for i in range(3)], responses, alive), responses)
        for n in ("a", "b")
    ]
    result = await RoundRobinGroupChat(agents, max_turns=5).run(task="go")
    assert len(result.messages) == 6
    assert alive == [0, 0, 0, 0, 0]


def test_a_subclass_building_its_own_graph_does_not_share() -> None:
    class Reversed(RoundRobinGroupChat):
        def _build_graph(self) -> GraphSpec:
            spec = super()._build_graph()
            return spec.model_copy(update={"entry": (self.participant_names[-1],)})

    plain = RoundRobinGroupChat(_pair(), max_turns=2)
    custom = Reversed(_pair(), max_turns=2)
    assert custom.graph.entry == ("b",)
    assert RoundRobinGroupChat(_pair(), max_turns=2).graph is plain.graph
    assert plain.graph.entry == ("a",)
