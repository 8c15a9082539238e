"""AssistantAgent handoffs: transfer tools, HandoffMessage with target and carried context."""

from __future__ import annotations

from assistant_support import CAPABLE, call, calls

from flowgen.agents import AssistantAgent
from flowgen.base import Handoff
from flowgen.messages import HandoffMessage, TextMessage, ToolCallExecutionEvent
from flowgen.models import AssistantMessage, FunctionExecutionResultMessage, ReplayChatCompletionClient


def lookup(query: str) -> str:
    """Look something up."""
    return f"found {query}"


async def test_handoff_tools_are_offered_as_transfer_to_target() -> None:
    client = ReplayChatCompletionClient(["hi"], model_info=CAPABLE)
    await AssistantAgent("alice", client, handoffs=["bob", Handoff(target="carol", name="ask_carol")]).run(
        task="x"
    )
    assert [t.name for t in client.create_calls[0]["tools"]] == ["transfer_to_bob", "ask_carol"]


async def test_calling_a_transfer_tool_ends_the_turn_with_a_handoff_message() -> None:
    client = ReplayChatCompletionClient([calls(call("transfer_to_bob"))], model_info=CAPABLE)
    agent = AssistantAgent("alice", client, handoffs=["bob"])
    result = await agent.run(task="Need Bob.")
    handoff = result.messages[-1]
    assert isinstance(handoff, HandoffMessage)
    assert (handoff.target, handoff.source) == ("bob", "alice")
    assert handoff.content == "Transferred to bob, adopting the role of bob immediately."
    assert handoff.context == []
    execution = result.messages[-2]
    assert isinstance(execution, ToolCallExecutionEvent) and execution.content[0].is_error is False


async def test_handoff_ignores_whatever_arguments_the_model_sent() -> None:
    client = ReplayChatCompletionClient([calls(call("transfer_to_bob", "{oops"))], model_info=CAPABLE)
    result = await AssistantAgent("alice", client, handoffs=["bob"]).run(task="x")
    assert isinstance(result.messages[-1], HandoffMessage)


async def test_handoff_carries_the_other_tool_calls_and_results() -> None:
    client = ReplayChatCompletionClient(
        [calls(call("lookup", {"query": "tea"}), call("transfer_to_bob"))], model_info=CAPABLE
    )
    agent = AssistantAgent("alice", client, tools=[lookup], handoffs=["bob"])
    handoff = (await agent.run(task="x")).messages[-1]
    assert isinstance(handoff, HandoffMessage)
    carried_call, carried_result = handoff.context
    assert isinstance(carried_call, AssistantMessage)
    assert [c.name for c in carried_call.content] == ["lookup"]  # type: ignore[union-attr]
    assert isinstance(carried_result, FunctionExecutionResultMessage)
    assert [r.content for r in carried_result.content] == ["found tea"]


async def test_handoff_carries_the_thought_when_there_are_no_other_calls() -> None:
    client = ReplayChatCompletionClient(
        [calls(call("transfer_to_bob"), thought="Bob knows.")], model_info=CAPABLE
    )
    handoff = (await AssistantAgent("alice", client, handoffs=["bob"]).run(task="x")).messages[-1]
    assert isinstance(handoff, HandoffMessage)
    assert [m.content for m in handoff.context] == ["Bob knows."]


async def test_receiving_agent_puts_the_carried_context_before_the_handoff() -> None:
    carried = [AssistantMessage(content="earlier", source="alice")]
    message = HandoffMessage(content="over to you", source="alice", target="bob", context=carried)
    client = ReplayChatCompletionClient(["Bob here."])
    await AssistantAgent("bob", client, system_message=None).run(task=message)
    assert [m.content for m in client.create_calls[0]["messages"]] == ["earlier", "over to you"]


async def test_handoff_message_is_among_the_produced_types() -> None:
    agent = AssistantAgent("alice", ReplayChatCompletionClient([], model_info=CAPABLE), handoffs=["bob"])
    assert HandoffMessage in agent.produced_message_types
    assert TextMessage in agent.produced_message_types
