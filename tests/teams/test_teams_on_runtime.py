"""Every team type on a Core runtime: participants hosted as runtime agents, turns sent through it.

Each team runs twice on the same scripts — calling its agents directly, and with ``runtime=`` — and
the transcripts (every streamed item's type, source and text, and the stop reason) must be the same;
an intervention handler counts the turns the runtime carried.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any

import pytest

from flowgen.agents import AssistantAgent
from flowgen.agents.base_chat_agent import BaseChatAgent, final_response
from flowgen.base import Response, TaskResult, Team
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.core import (
    AgentId,
    CancellationToken,
    DefaultInterventionHandler,
    FunctionCall,
    MessageContext,
    SingleThreadedAgentRuntime,
)
from flowgen.errors import ConfigurationError
from flowgen.messages import BaseAgentEvent, BaseChatMessage, TextMessage, ThoughtEvent
from flowgen.models import CreateResult, ModelInfo, ReplayChatCompletionClient, RequestUsage
from flowgen.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat, SelectorGroupChat, Swarm
from flowgen.teams.hosted import (
    ParticipantControl,
    ParticipantTurn,
    RuntimeParticipant,
    RuntimeTeam,
    TeamTurn,
)

TOOLS = ModelInfo(
    vision=False, function_calling=True, json_output=False, family="unknown", structured_output=False
)


def _handoff(target: str) -> CreateResult:
    call = FunctionCall(id=f"call_{target}", name=f"transfer_to_{target}", arguments=json.dumps({}))
    return CreateResult(finish_reason="function_calls", content=[call], usage=RequestUsage(1, 1))


def _tool_call() -> CreateResult:
    call = FunctionCall(id="c1", name="add", arguments=json.dumps({"a": 2, "b": 3}))
    return CreateResult(finish_reason="function_calls", content=[call], usage=RequestUsage(1, 1))


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def _round_robin(runtime: Any) -> Team:
    a = AssistantAgent("a", ReplayChatCompletionClient([_tool_call(), "a2"], model_info=TOOLS), tools=[add])
    b = AssistantAgent("b", ReplayChatCompletionClient(["b1", "b2"]))
    return RoundRobinGroupChat([a, b], max_turns=4, runtime=runtime)


def _selector(runtime: Any) -> Team:
    a = AssistantAgent("a", ReplayChatCompletionClient(["a1", "a2"]), description="first")
    b = AssistantAgent("b", ReplayChatCompletionClient(["b1 TERMINATE"]), description="second")
    order = iter(["a", "a", "b"])
    return SelectorGroupChat(
        [a, b],
        model_client=ReplayChatCompletionClient(["a"]),
        selector_func=lambda messages: next(order),
        allow_repeated_speaker=True,
        termination_condition=TextMentionTermination("TERMINATE"),
        runtime=runtime,
    )


def _swarm(runtime: Any) -> Team:
    alice = AssistantAgent(
        "alice",
        ReplayChatCompletionClient(["let me see", _handoff("bob")], model_info=TOOLS),
        handoffs=["bob"],
    )
    bob = AssistantAgent("bob", ReplayChatCompletionClient(["Bob here. TERMINATE"]))
    return Swarm(
        [alice, bob], termination_condition=TextMentionTermination("TERMINATE"), max_turns=5, runtime=runtime
    )


def _graph_flow(runtime: Any) -> Team:
    writer = AssistantAgent("writer", ReplayChatCompletionClient(["draft"]))
    left = AssistantAgent("left", ReplayChatCompletionClient(["left view"]))
    right = AssistantAgent("right", ReplayChatCompletionClient(["right view"]))
    joiner = AssistantAgent("joiner", ReplayChatCompletionClient(["joined"]))
    builder = DiGraphBuilder()
    for agent in (writer, left, right, joiner):
        builder.add_node(agent)
    builder.add_edge(writer, left).add_edge(writer, right).add_edge(left, joiner).add_edge(right, joiner)
    return GraphFlow(
        participants=builder.get_participants(),
        graph=builder.build(),
        termination_condition=MaxMessageTermination(10),
        runtime=runtime,
    )


def _nested(runtime: Any) -> Team:
    inner = RoundRobinGroupChat(
        [
            AssistantAgent("x", ReplayChatCompletionClient(["x1"])),
            AssistantAgent("y", ReplayChatCompletionClient(["y1"])),
        ],
        max_turns=2,
        name="inner",
    )
    a = AssistantAgent("a", ReplayChatCompletionClient(["a1", "a2"]))
    return RoundRobinGroupChat([a, inner], max_turns=3, runtime=runtime)


TEAMS: dict[str, Callable[[Any], Team]] = {
    "round_robin": _round_robin,
    "selector": _selector,
    "swarm": _swarm,
    "graph_flow": _graph_flow,
    "nested_team": _nested,
}


class CountTurns(DefaultInterventionHandler):
    def __init__(self) -> None:
        self.turns: list[str] = []

    async def on_send(self, message: Any, *, message_context: MessageContext, recipient: AgentId) -> Any:
        if isinstance(message, ParticipantTurn | TeamTurn):
            self.turns.append(recipient.type)
        return message


async def _transcript(team: Team) -> tuple[list[tuple[str, str, str]], str | None]:
    items: list[tuple[str, str, str]] = []
    result: TaskResult | None = None
    async for item in team.run_stream(task="go"):
        if isinstance(item, TaskResult):
            result = item
        else:
            items.append((type(item).__name__, item.source, item.to_text()))
    assert result is not None
    return items, result.stop_reason


@pytest.mark.parametrize("kind", list(TEAMS))
async def test_a_team_on_a_runtime_streams_the_same_transcript(kind: str) -> None:
    direct = await _transcript(TEAMS[kind](None))
    counter = CountTurns()
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[counter])
    runtime.start()
    hosted = await _transcript(TEAMS[kind](runtime))
    await runtime.stop()
    assert hosted == direct
    items, _ = direct
    chat = ("TextMessage", "HandoffMessage", "ToolCallSummaryMessage")
    speakers = [source for type_, source, _ in items if type_ in chat][1:]  # every turn but the task
    if kind == "nested_team":  # the inner team is one participant: one turn for x and y together
        speakers = ["a", "inner", "a"]
    assert counter.turns == speakers


async def test_hosted_state_round_trips_through_the_runtime() -> None:
    runtime = SingleThreadedAgentRuntime()
    team = _round_robin(runtime)
    await team.run(task="go")
    state = await team.save_state()
    again = _round_robin(None)
    await again.load_state(state)
    assert await again.save_state() == state


async def test_a_participant_failure_reaches_the_team_with_its_type() -> None:
    class Broken(ReplayChatCompletionClient):
        async def create(self, *args: Any, **kwargs: Any) -> CreateResult:
            raise KeyError("model exploded")

    runtime = SingleThreadedAgentRuntime()
    team = RoundRobinGroupChat([AssistantAgent("a", Broken(["x"]))], max_turns=1, runtime=runtime)
    with pytest.raises(KeyError, match="model exploded"):
        await team.run(task="go")


def test_a_runtime_must_be_an_agent_runtime() -> None:
    with pytest.raises(ConfigurationError, match="AgentRuntime"):
        RoundRobinGroupChat([AssistantAgent("a", ReplayChatCompletionClient(["x"]))], runtime=object())


async def test_participants_are_proxies_addressed_on_the_runtime() -> None:
    runtime = SingleThreadedAgentRuntime()
    team = _round_robin(runtime)
    await team.run(task="go")
    proxies = [p for p in team._runner.participants.values() if isinstance(p, RuntimeParticipant)]  # type: ignore[attr-defined]
    assert [p.agent_id.type for p in proxies] == ["a", "b"]
    assert set(runtime.live_agents()) == {p.agent_id for p in proxies}
    nested = _nested(runtime)
    await nested.run(task="go")
    (hosted_team,) = [p for p in nested._runner.participants.values() if isinstance(p, RuntimeTeam)]  # type: ignore[attr-defined]
    assert hosted_team.agent_id.type == "inner" and hosted_team.agent_id in set(runtime.live_agents())


class Thinker(BaseChatAgent):
    """Emits a thought, then waits until whoever streams the team has seen that thought."""

    def __init__(self, seen: asyncio.Event) -> None:
        super().__init__("thinker", "thinks aloud")
        self.seen = seen

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return (TextMessage,)

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        return await final_response(self.on_messages_stream(messages, cancellation_token))

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        yield ThoughtEvent(content="hmm", source=self.name)
        await self.seen.wait()  # only the live stream can release this
        yield Response(chat_message=TextMessage(content="done", source=self.name))

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        return None


async def test_inner_events_stream_back_while_the_turn_runs() -> None:
    seen = asyncio.Event()
    runtime = SingleThreadedAgentRuntime()
    team = RoundRobinGroupChat([Thinker(seen)], max_turns=1, runtime=runtime)
    texts = []
    async with asyncio.timeout(30):  # a guard: without live streaming this would never finish
        async for item in team.run_stream(task="go"):
            if isinstance(item, ThoughtEvent):
                seen.set()
            if not isinstance(item, TaskResult):
                texts.append(item.to_text())
    assert texts == ["go", "hmm", "done"]


class CountControls(DefaultInterventionHandler):
    def __init__(self) -> None:
        self.ops: list[tuple[str, str]] = []

    async def on_send(self, message: Any, *, message_context: MessageContext, recipient: AgentId) -> Any:
        if isinstance(message, ParticipantControl):
            self.ops.append((recipient.type, message.op))
        return message


async def test_reset_pause_resume_and_state_go_through_the_runtime() -> None:
    counter = CountControls()
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[counter])
    team = _nested(runtime)
    await team.run(task="go")
    await team.pause()
    await team.resume()
    await team.save_state()
    await team.reset()
    assert counter.ops == [
        ("a", "pause"),
        ("inner", "pause"),
        ("a", "resume"),
        ("inner", "resume"),
        ("a", "save_state"),
        ("inner", "save_state"),
        ("a", "reset"),
        ("inner", "reset"),
    ]
