"""A step that is cancelled or fails leaves the team — every participant included — as before it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from flowgen.agents import AssistantAgent, BaseChatAgent, SocietyOfMindAgent
from flowgen.base import Response
from flowgen.core import CancellationToken, FunctionCall
from flowgen.errors import StateError, TeamRunningError
from flowgen.messages import BaseChatMessage, TextMessage, ToolCallRequestEvent
from flowgen.models import CreateResult, LLMMessage, RequestUsage
from flowgen.models.function import CallInfo, FunctionChatCompletionClient
from flowgen.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat
from flowgen.testing import ScriptedAgent
from flowgen.testing.interrupts import check_prompt
from flowgen.tools import FunctionTool


class Boom(RuntimeError):
    pass


def failing_once(replies: list[str]) -> FunctionChatCompletionClient:
    """A model whose first call fails, then answers from ``replies`` in order."""
    calls = {"n": 0}

    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise Boom("the model is down")
        return replies.pop(0)

    return FunctionChatCompletionClient(reply)


def user_texts(prompt: Sequence[LLMMessage]) -> list[str]:
    return [m.content for m in prompt if type(m).__name__ == "UserMessage" and isinstance(m.content, str)]


class Tally(BaseChatAgent):
    """A user's own agent whose state is a counter."""

    def __init__(self, name: str, fail: bool = False) -> None:
        super().__init__(name, "Counts.")
        self.count = 0
        self.fail = fail

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return (TextMessage,)

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        self.count += 1
        await asyncio.sleep(0)
        if self.fail:
            raise Boom(f"{self.name} failed")
        return Response(chat_message=TextMessage(content=f"tally {self.count}", source=self.name))

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        self.count = 0

    async def save_state(self) -> Mapping[str, Any]:
        return {"count": self.count}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.count = int(state["count"])


def fan_out(b: BaseChatAgent, c: BaseChatAgent) -> GraphFlow:
    a, d = ScriptedAgent("a", ["a1"]), ScriptedAgent("d", ["d1"])
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c).add_node(d)
    builder.add_edge(a, b).add_edge(a, c).add_edge(b, d).add_edge(c, d)
    return GraphFlow([a, b, c, d], graph=builder.build())


async def test_a_failed_model_call_does_not_deliver_the_task_twice() -> None:
    client = failing_once(["done"])
    agent = AssistantAgent("writer", client)
    team = RoundRobinGroupChat([agent], max_turns=1)
    with pytest.raises(Boom):
        await team.run(task="the task")
    result = await team.run()
    assert [m.to_text() for m in result.messages] == ["done"]
    second_prompt = client.calls[1][0]
    assert user_texts(second_prompt) == ["the task"]


async def test_cancelling_during_a_tool_call_leaves_no_call_without_result() -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(n: int) -> str:
        """Take a while."""
        started.set()
        await release.wait()
        return f"result {n}"

    replies: list[CreateResult | str] = [
        CreateResult(
            finish_reason="function_calls",
            content=[FunctionCall(id="call_1", name="slow", arguments='{"n": 1}')],
            usage=RequestUsage(1, 1),
        ),
        CreateResult(
            finish_reason="function_calls",
            content=[FunctionCall(id="call_1", name="slow", arguments='{"n": 1}')],
            usage=RequestUsage(1, 1),
        ),
        "finished",
    ]
    client = FunctionChatCompletionClient(lambda messages, info: replies.pop(0))
    agent = AssistantAgent(
        "worker", client, tools=[FunctionTool(slow, description="Slow.")], reflect_on_tool_use=True
    )
    team = RoundRobinGroupChat([agent], max_turns=1)
    token = CancellationToken()

    async def cancel_when_the_tool_runs() -> None:
        await started.wait()
        token.cancel()

    async with asyncio.TaskGroup() as group:
        group.create_task(cancel_when_the_tool_runs())
        with pytest.raises(asyncio.CancelledError):
            await team.run(task="use the tool", cancellation_token=token)
    assert await agent.model_context.get_messages() == []
    started.clear()
    release.set()
    await team.run()
    for prompt, _ in client.calls[1:]:
        check_prompt([m.model_dump(mode="json") for m in prompt], task="use the tool")


async def test_a_custom_agent_is_rolled_back_when_its_parallel_sibling_fails() -> None:
    tally = Tally("b")
    team = fan_out(tally, Tally("c", fail=True))
    with pytest.raises(Boom):
        await team.run(task="go")
    assert tally.count == 0


async def test_a_nested_team_is_restored_when_the_outer_step_is_cancelled() -> None:
    gate = asyncio.Event()
    inner_first = ScriptedAgent("x", ["x1"])
    inner_second = ScriptedAgent("y", ["y1"], gate=gate)
    inner = RoundRobinGroupChat([inner_first, inner_second], name="inner", max_turns=2)
    team = RoundRobinGroupChat([inner], max_turns=1)
    before = await inner.save_state()
    token = CancellationToken()
    with pytest.raises(asyncio.CancelledError):
        async for item in team.run_stream(task="go", cancellation_token=token):
            if isinstance(item, BaseChatMessage) and item.source == "x":
                token.cancel()
    assert await inner.save_state() == before
    gate.set()
    result = await team.run()
    assert [m.to_text() for m in result.messages] == ["x1", "y1"]


async def test_a_society_of_mind_is_restored_when_its_summary_fails() -> None:
    inner = RoundRobinGroupChat([ScriptedAgent("x", ["x1", "x1 again"])], max_turns=1)
    mind = SocietyOfMindAgent("mind", inner, failing_once(["summary"]))
    team = RoundRobinGroupChat([mind], max_turns=1)
    with pytest.raises(Boom):
        await team.run(task="think")
    assert (await inner.save_state())["agent_states"]["x"] == {"type": "ScriptedAgentState", "position": 0}
    assert await mind.model_context.get_messages() == []
    result = await team.run()
    assert [m.to_text() for m in result.messages] == ["x1", "summary"]


async def test_cancelling_right_after_the_task_is_yielded_keeps_the_task() -> None:
    agent = ScriptedAgent("a", ["a1"])
    team = RoundRobinGroupChat([agent], max_turns=1)
    token = CancellationToken()
    with pytest.raises(asyncio.CancelledError):
        async for item in team.run_stream(task="the task", cancellation_token=token):
            assert isinstance(item, TextMessage) and item.content == "the task"
            token.cancel()
    state = await team.save_state()
    assert [m["content"] for m in state["run_state"]["thread"]] == ["the task"]
    fresh_agent = ScriptedAgent("a", ["a1"])
    fresh = RoundRobinGroupChat([fresh_agent], max_turns=1)
    await fresh.load_state(state)
    result = await fresh.run()
    assert [m.to_text() for m in result.messages] == ["a1"]
    assert [[m.to_text() for m in turn] for turn in fresh_agent.received] == [["the task"]]


async def test_saving_in_the_middle_of_a_step_is_refused() -> None:
    team = RoundRobinGroupChat([ScriptedAgent("a", ["a1"], thoughts=True)], max_turns=1)
    stream = team.run_stream(task="go")
    async for item in stream:
        if type(item).__name__ == "ThoughtEvent":
            with pytest.raises(StateError, match="middle of a step"):
                await team.save_state()
            break
    await stream.aclose()


async def test_saving_while_a_chat_message_is_held_resumes_exactly() -> None:
    def build() -> RoundRobinGroupChat:
        return RoundRobinGroupChat(
            [ScriptedAgent("a", ["a1", "a2"]), ScriptedAgent("b", ["b1", "b2"])], max_turns=4
        )

    whole = [m.to_text() for m in (await build().run(task="go")).messages]
    team = build()
    shown: list[str] = []
    stream = team.run_stream(task="go")
    async for item in stream:
        assert isinstance(item, BaseChatMessage)
        shown.append(item.to_text())
        if item.source == "b":
            state = await team.save_state()
            break
    await stream.aclose()
    fresh = build()
    await fresh.load_state(state)
    rest = [m.to_text() for m in (await fresh.run()).messages]
    assert shown + rest == whole


async def test_a_parallel_step_stopped_on_its_first_message_shows_the_second_once_on_resuming() -> None:
    team = fan_out(ScriptedAgent("b", ["b1"]), ScriptedAgent("c", ["c1"]))
    async for item in team.run_stream(task="go"):
        if isinstance(item, BaseChatMessage) and item.source == "b":
            break
    result = await team.run()
    assert [m.to_text() for m in result.messages] == ["c1", "d1"]


async def test_a_parallel_step_saved_on_its_first_message_shows_the_second_after_loading() -> None:
    team = fan_out(ScriptedAgent("b", ["b1"]), ScriptedAgent("c", ["c1"]))
    stream = team.run_stream(task="go")
    async for item in stream:
        if isinstance(item, BaseChatMessage) and item.source == "b":
            state = await team.save_state()
            break
    await stream.aclose()
    fresh = fan_out(ScriptedAgent("b", ["b1"]), ScriptedAgent("c", ["c1"]))
    await fresh.load_state(state)
    result = await fresh.run()
    assert [m.to_text() for m in result.messages] == ["c1", "d1"]


async def test_run_right_after_breaking_out_of_run_stream_just_works() -> None:
    team = RoundRobinGroupChat([ScriptedAgent("a", ["a1", "a2", "a3"])], max_turns=3)
    async for message in team.run_stream(task="go"):
        if isinstance(message, BaseChatMessage) and message.source == "a":
            break
    result = await team.run()
    assert [m.to_text() for m in result.messages] == ["a2", "a3"]


async def test_a_stream_still_held_keeps_the_team_busy() -> None:
    team = RoundRobinGroupChat([ScriptedAgent("a", ["a1", "a2"])], max_turns=2)
    stream = team.run_stream(task="go")
    await anext(stream)
    with pytest.raises(TeamRunningError, match="aclose"):
        await team.run()
    await stream.aclose()


async def test_breaking_out_mid_step_undoes_the_step() -> None:
    model_calls: list[int] = []

    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> CreateResult | str:
        model_calls.append(len(messages))
        if len(model_calls) == 1:
            call = FunctionCall(id="call_1", name="lookup", arguments='{"n": 1}')
            return CreateResult(finish_reason="function_calls", content=[call], usage=RequestUsage(1, 1))
        return "answer"

    def lookup(n: int) -> str:
        """Look up."""
        return "found"

    agent = AssistantAgent(
        "worker", FunctionChatCompletionClient(reply), tools=[FunctionTool(lookup, description="Look up.")]
    )
    team = RoundRobinGroupChat([agent], max_turns=1)
    async for item in team.run_stream(task="find it"):
        if isinstance(item, ToolCallRequestEvent):
            break
    result = await team.run()
    assert [m.to_text() for m in result.messages if isinstance(m, BaseChatMessage)] == ["answer"]
    context = await agent.model_context.get_messages()
    assert [type(m).__name__ for m in context] == ["UserMessage", "AssistantMessage"]


async def test_a_filtered_agent_is_rolled_back_through_its_wrapper() -> None:
    from flowgen.agents import MessageFilterAgent, MessageFilterConfig, PerSourceFilter

    inner = AssistantAgent("writer", failing_once(["done"]))
    wrapped = MessageFilterAgent(
        "writer", inner, MessageFilterConfig(per_source=[PerSourceFilter(source="user")])
    )
    team = RoundRobinGroupChat([wrapped], max_turns=1)
    with pytest.raises(Boom):
        await team.run(task="the task")
    assert await inner.model_context.get_messages() == []
    result = await team.run()
    assert [m.to_text() for m in result.messages] == ["done"]


async def test_two_runs_waiting_for_a_dropped_stream_do_not_both_start() -> None:
    gate = asyncio.Event()
    agent = ScriptedAgent("a", ["a1", "a2", "a3"])
    team = RoundRobinGroupChat([agent], max_turns=3)
    async for message in team.run_stream(task="go"):
        if isinstance(message, BaseChatMessage) and message.source == "a":
            break
    agent.gate = gate  # the next run holds at its first turn, while the other one tries to start

    async def release_when_started() -> None:
        agent.started.clear()
        await agent.started.wait()
        gate.set()

    outcomes = await asyncio.gather(team.run(), team.run(), release_when_started(), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes[:2]) == ["TaskResult", "TeamRunningError"]


class Forgetful(Tally):
    """An agent whose load_state breaks: undoing a step cannot restore it."""

    async def load_state(self, state: Mapping[str, Any]) -> None:
        raise RuntimeError("cannot load")


async def test_a_participant_failing_to_restore_keeps_the_original_error() -> None:
    team = fan_out(Forgetful("b"), Tally("c", fail=True))
    with pytest.raises(Boom) as caught:
        await team.run(task="go")
    assert any("undoing the step failed" in note for note in caught.value.__notes__)
