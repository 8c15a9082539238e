"""AssistantAgent programs, identical apart from their imports, observe the same under flowgen and AutoGen.

Each program is text run by :mod:`tests.compat.differential`: with flowgen's imports against the
values recorded in ``programs/test_differential_assistant.json`` (AutoGen's observations), and, when
AutoGen is installed, with AutoGen's imports against flowgen's.
"""

from __future__ import annotations

import pytest

from tests.compat.differential import cases, check

HEADER = '''
from pydantic import BaseModel

from flowgen.agents import AssistantAgent
from flowgen.base import Handoff
from flowgen.core import CancellationToken, FunctionCall
from flowgen.messages import TextMessage
from flowgen.models import CreateResult, ModelFamily, ReplayChatCompletionClient, RequestUsage
from flowgen.tools import FunctionTool

INFO = {
    "vision": False,
    "function_calling": True,
    "json_output": True,
    "family": ModelFamily.UNKNOWN,
    "structured_output": True,
}


def calls(*pairs):
    return CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id=f"call_{i}", name=n, arguments=a) for i, (n, a) in enumerate(pairs)],
        usage=RequestUsage(prompt_tokens=3, completion_tokens=2),
        cached=False,
    )


def model(*replies):
    return ReplayChatCompletionClient(list(replies), model_info=INFO)


async def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


def broken(x: int) -> str:
    """Always fails."""
    raise ValueError(f"bad x: {x}")


async def stream(agent, task="Go."):
    return [m async for m in agent.run_stream(task=task)]


async def context(agent):
    return await agent.model_context.get_messages()
'''

ADD = '("add", \'{"a": 1, "b": 2}\')'
SHOUT = '("shout", \'{"text": "hi"}\')'

PROGRAMS = {
    "plain_reply": """
async def main():
    agent = AssistantAgent("helper", model("Hello there."))
    return await stream(agent, "Hi"), await context(agent)
""",
    "one_tool_summary": f"""
async def main():
    agent = AssistantAgent("calc", model(calls({ADD})), tools=[add])
    return await stream(agent), await context(agent)
""",
    "two_tools_in_parallel": f"""
async def main():
    agent = AssistantAgent("calc", model(calls({ADD}, {SHOUT})), tools=[add, FunctionTool(shout, "Shout.")])
    return await stream(agent)
""",
    "tool_raising": """
async def main():
    agent = AssistantAgent("calc", model(calls(("broken", '{"x": 4}'), ("add", '{"a": 1, "b": 1}'))), tools=[broken, add])
    return await stream(agent), await context(agent)
""",
    "unknown_tool": """
async def main():
    agent = AssistantAgent("calc", model(calls(("nope", '{}'))), tools=[broken])
    return await stream(agent)
""",
    "bad_tool_arguments": """
async def main():
    agent = AssistantAgent("calc", model(calls(("add", '{"a": "x"}'), ("add", 'not json'))), tools=[add])
    return await stream(agent)
""",
    "reflect_on_tool_use": f"""
async def main():
    agent = AssistantAgent("calc", model(calls({ADD}), "The sum is 3."), tools=[add], reflect_on_tool_use=True)
    return await stream(agent), await context(agent)
""",
    "reflect_false_explicit": f"""
async def main():
    agent = AssistantAgent(
        "calc", model(calls({ADD}, {SHOUT})), tools=[add, shout], reflect_on_tool_use=False
    )
    return await stream(agent)
""",
    "tool_call_summary_format": f"""
async def main():
    agent = AssistantAgent(
        "calc",
        model(calls({ADD}, ("broken", '{{"x": 1}}'))),
        tools=[add, broken],
        tool_call_summary_format="{{tool_name}}({{arguments}}) -> {{result}} [{{is_error}}]",
    )
    return await stream(agent)
""",
    "tool_call_summary_formatter": f"""
async def main():
    agent = AssistantAgent(
        "calc",
        model(calls({ADD})),
        tools=[add],
        tool_call_summary_formatter=lambda call, result: f"{{call.name}}={{result.content}}",
    )
    return await stream(agent)
""",
    "max_tool_iterations": f"""
async def main():
    agent = AssistantAgent(
        "calc", model(calls({ADD}), calls({SHOUT}), "Done: 3 and HI."), tools=[add, shout], max_tool_iterations=3
    )
    return await stream(agent), await context(agent)
""",
    "max_tool_iterations_exhausted": f"""
async def main():
    agent = AssistantAgent(
        "calc", model(calls({ADD}), calls({SHOUT})), tools=[add, shout], max_tool_iterations=2
    )
    return await stream(agent)
""",
    "handoff": """
async def main():
    agent = AssistantAgent(
        "triage",
        model(calls(("transfer_to_billing", "{}"))),
        handoffs=["billing", Handoff(target="user", message="Ask the user.")],
    )
    return await stream(agent), await context(agent)
""",
    "handoff_with_tool_in_same_call": f"""
async def main():
    agent = AssistantAgent(
        "triage",
        model(calls({ADD}, ("transfer_to_billing", "{{}}"))),
        tools=[add],
        handoffs=["billing"],
    )
    result = await agent.run(task="Go.")
    return result, result.messages[-1].context
""",
    "structured_output": """
class Verdict(BaseModel):
    approved: bool
    reason: str


async def main():
    agent = AssistantAgent(
        "judge", model('{"approved": true, "reason": "fine"}'), output_content_type=Verdict
    )
    items = await stream(agent)
    final = items[-1].messages[-1]
    return items, type(final.content).__name__, final.content.approved, final.dump()["content"]
""",
    "structured_output_format": """
class Verdict(BaseModel):
    approved: bool
    reason: str


async def main():
    agent = AssistantAgent(
        "judge",
        model('{"approved": false, "reason": "too long"}'),
        output_content_type=Verdict,
        output_content_type_format="approved={approved} because {reason}",
    )
    return await stream(agent)
""",
    "structured_output_with_tools_reflects": f"""
class Verdict(BaseModel):
    approved: bool
    reason: str


async def main():
    agent = AssistantAgent(
        "judge",
        model(calls({ADD}), '{{"approved": true, "reason": "sum is 3"}}'),
        tools=[add],
        output_content_type=Verdict,
    )
    return await stream(agent)
""",
    "model_client_stream": """
async def main():
    agent = AssistantAgent("helper", model("Hello there, friend."), model_client_stream=True)
    items = await stream(agent, "Hi")
    chunks = [m for m in items if type(m).__name__ == "ModelClientStreamingChunkEvent"]
    final = items[-1].messages[-1]
    return items, [c.full_message_id == final.id for c in chunks]
""",
    "model_client_stream_with_tools": f"""
async def main():
    agent = AssistantAgent(
        "calc", model(calls({ADD}), "It is 3."), tools=[add], reflect_on_tool_use=True, model_client_stream=True
    )
    return await stream(agent)
""",
    "run_vs_run_stream": """
async def main():
    first = AssistantAgent("helper", model("One."))
    second = AssistantAgent("helper", model("One."))
    ran = await first.run(task="Count.")
    streamed = [m async for m in second.run_stream(task="Count.")]
    return ran, streamed[-1]
""",
    "run_with_message_task_list": """
async def main():
    agent = AssistantAgent("helper", model("Both read."))
    return await agent.run(task=[TextMessage(content="a", source="u1"), TextMessage(content="b", source="u2")])
""",
    "output_task_messages_false": f"""
async def main():
    agent = AssistantAgent("calc", model(calls({ADD})), tools=[add])
    items = [m async for m in agent.run_stream(task="Go.", output_task_messages=False)]
    other = AssistantAgent("helper", model("Hi."))
    result = await other.run(task="Hello", output_task_messages=False)
    return items, result
""",
    "no_task_continues": """
async def main():
    agent = AssistantAgent("helper", model("First.", "Second."))
    first = await agent.run(task="Hi")
    second = await agent.run()
    return first, second, await context(agent)
""",
    "on_messages_direct": f"""
async def main():
    agent = AssistantAgent("calc", model(calls({ADD}), "Sum: 3."), tools=[add], reflect_on_tool_use=True)
    response = await agent.on_messages([TextMessage(content="Add 1 and 2.", source="user")], CancellationToken())
    return response, await context(agent)
""",
    "on_messages_stream_direct": """
async def main():
    agent = AssistantAgent("helper", model("Hey."), model_client_stream=True)
    items = [m async for m in agent.on_messages_stream([TextMessage(content="Hi", source="user")], CancellationToken())]
    return items
""",
    "save_load_continue": """
async def main():
    agent = AssistantAgent("helper", model("I will remember 42."))
    await agent.run(task="Remember 42.")
    state = await agent.save_state()
    fresh = AssistantAgent("helper", model("You said 42."))
    await fresh.load_state(state)
    result = await fresh.run(task="What did I say?")
    return sorted(state), state["type"], result, await context(fresh)
""",
    "reset_clears_context": """
async def main():
    agent = AssistantAgent("helper", model("One.", "Two."))
    await agent.run(task="Hi")
    await agent.on_reset(CancellationToken())
    result = await agent.run(task="Again")
    return result, await context(agent)
""",
    "system_message_none_and_description": """
async def main():
    agent = AssistantAgent("helper", model("Ok."), system_message=None, description="Helps.")
    result = await agent.run(task="Hi")
    return result, agent.description, agent.name, [t.__name__ for t in agent.produced_message_types]
""",
    "thought_event": """
async def main():
    thinking = CreateResult(
        finish_reason="stop", content="Answer.", thought="Let me think.",
        usage=RequestUsage(prompt_tokens=1, completion_tokens=1), cached=False,
    )
    agent = AssistantAgent("helper", model(thinking))
    return await stream(agent), await context(agent)
""",
    "thought_with_tool_call": f"""
async def main():
    thinking = calls({ADD})
    thinking = CreateResult(
        finish_reason="function_calls", content=thinking.content, thought="Use add.",
        usage=thinking.usage, cached=False,
    )
    agent = AssistantAgent("calc", model(thinking), tools=[add])
    return await stream(agent), await context(agent)
""",
    "two_handoffs_in_one_reply": """
async def main():
    agent = AssistantAgent(
        "triage", model(calls(("transfer_to_billing", "{}"), ("transfer_to_sales", "{}"))), handoffs=["billing", "sales"]
    )
    return await stream(agent)
""",
    "handoff_after_tool_iteration": f"""
async def main():
    agent = AssistantAgent(
        "triage",
        model(calls({ADD}), calls(("transfer_to_billing", "{{}}"))),
        tools=[add],
        handoffs=["billing"],
        max_tool_iterations=3,
    )
    return await stream(agent)
""",
    "tools_but_text_reply": """
async def main():
    agent = AssistantAgent("calc", model("No tools needed."), tools=[add])
    return await stream(agent)
""",
    "tool_returning_structures": """
class Point(BaseModel):
    x: int
    y: int


def as_dict(n: int) -> dict:
    'A dict.'
    return {"n": n, "items": [1, 2]}


def as_model(n: int) -> Point:
    'A model.'
    return Point(x=n, y=n)


def as_none(n: int) -> None:
    'Nothing.'


async def main():
    agent = AssistantAgent(
        "calc",
        model(calls(("as_dict", '{"n": 1}'), ("as_model", '{"n": 2}'), ("as_none", '{"n": 3}'))),
        tools=[as_dict, as_model, as_none],
    )
    return await stream(agent)
""",
    "memory_query_event": """
from flowgen.core import MemoryContent, MemoryMimeType
from flowgen.memory import ListMemory


async def main():
    memory = ListMemory(memory_contents=[MemoryContent(content="The user likes tea.", mime_type=MemoryMimeType.TEXT)])
    agent = AssistantAgent("helper", model("Tea it is."), memory=[memory])
    return await stream(agent)
""",
    "memory_context_wording": """
from flowgen.core import MemoryContent, MemoryMimeType
from flowgen.memory import ListMemory


async def main():
    memory = ListMemory(memory_contents=[MemoryContent(content="The user likes tea.", mime_type=MemoryMimeType.TEXT)])
    agent = AssistantAgent("helper", model("Tea it is."), memory=[memory])
    await agent.run(task="Drink?")
    return await context(agent)
""",
    "buffered_context": """
from flowgen.model_context import BufferedChatCompletionContext


async def main():
    agent = AssistantAgent(
        "helper", model("One.", "Two.", "Three."), model_context=BufferedChatCompletionContext(buffer_size=3)
    )
    for task in ["a", "b", "c"]:
        await agent.run(task=task)
    return await context(agent), await agent.save_state()
""",
    "agent_tool": """
from flowgen.tools import AgentTool


async def main():
    inner = AssistantAgent("writer", model("A poem."), description="Writes poems.")
    outer = AssistantAgent(
        "boss", model(calls(("writer", '{"task": "Write a poem."}'))), tools=[AgentTool(inner)]
    )
    return await stream(outer)
""",
    "handoff_message_as_task": """
from flowgen.messages import HandoffMessage


async def main():
    agent = AssistantAgent("billing", model("Billing here."))
    result = await agent.run(task=HandoffMessage(source="triage", target="billing", content="Over to you."))
    return result, await context(agent)
""",
    "save_state_shape": f"""
async def main():
    agent = AssistantAgent("calc", model(calls({ADD}), "Three."), tools=[add], reflect_on_tool_use=True)
    await agent.run(task="Add.")
    return await agent.save_state()
""",
    "usage_on_messages": f"""
async def main():
    agent = AssistantAgent("calc", model(calls({ADD}), "It is 3."), tools=[add], model_client_stream=True)
    first = await stream(agent)
    usage = [
        (type(m).__name__, None if m.models_usage is None else (m.models_usage.prompt_tokens, m.models_usage.completion_tokens))
        for m in first[:-1]
        if type(m).__name__ != "ModelClientStreamingChunkEvent"
    ]
    return usage, [m.metadata for m in first[:-1]]
""",
    "replay_usage_counts_tool_messages": f"""
async def main():
    agent = AssistantAgent("calc", model(calls({ADD}), "It is 3."), tools=[add], reflect_on_tool_use=True)
    final = (await stream(agent))[-1].messages[-1]
    return final.models_usage.prompt_tokens, final.models_usage.completion_tokens
""",
    "structured_output_in_team_state": """
from flowgen.teams import RoundRobinGroupChat


class Verdict(BaseModel):
    approved: bool
    reason: str


async def main():
    def judge(*replies):
        return AssistantAgent("judge", model(*replies), output_content_type=Verdict)

    team = RoundRobinGroupChat([judge('{"approved": true, "reason": "a"}')], max_turns=1)
    try:
        await team.run(task="Judge.")
    except Exception as e:
        return "failed", [b.__name__ for b in (ValueError, RuntimeError) if isinstance(e, b)]
    state = await team.save_state()
    fresh = RoundRobinGroupChat([judge('{"approved": false, "reason": "b"}')], max_turns=1)
    await fresh.load_state(state)
    try:
        result = await fresh.run(task="Again.")
    except Exception as e:
        return "failed", [b.__name__ for b in (ValueError, RuntimeError) if isinstance(e, b)]
    return result, type(result.messages[-1].content).__name__
""",
    "streamed_structured_output": """
class Verdict(BaseModel):
    approved: bool


async def main():
    agent = AssistantAgent("judge", model('{"approved": true}'), output_content_type=Verdict, model_client_stream=True)
    return await stream(agent)
""",
    "streamed_handoff": """
async def main():
    agent = AssistantAgent(
        "triage", model(calls(("transfer_to_billing", "{}"))), handoffs=["billing"], model_client_stream=True
    )
    return await stream(agent)
""",
    "run_twice_with_tools_keeps_context": f"""
async def main():
    agent = AssistantAgent("calc", model(calls({ADD}), "Again 3."), tools=[add])
    first = await agent.run(task="Add.")
    second = await agent.run(task="Once more.")
    return first, second, await context(agent)
""",
}


# Deliberate differences: flowgen's own diagnostics for bad tool calls tell the model what to fix
# (the tools it has; each invalid argument on one line) where AutoGen says "not found in any
# workbench" or passes pydantic's multi-line report with documentation links.
DIFFERENCES = {
    "unknown_tool": "the error result names the tools the agent has",
    "bad_tool_arguments": "the error result lists each invalid argument briefly",
    "memory_context_wording": "flowgen words the memory system message in its own text",
    # AutoGen's replay client counts only string content as prompt tokens (tool calls and results
    # count as nothing); flowgen's counts their text too.
    "replay_usage_counts_tool_messages": "the replay client counts tool calls and results as prompt tokens",
    # AutoGen's team cannot carry a StructuredMessage[T] unless the program registers it through
    # custom_message_types; flowgen registers what the agent declares.
    "structured_output_in_team_state": "a structured-output agent runs in a team without custom_message_types",
}


@pytest.mark.parametrize("name", cases(PROGRAMS))
async def test_program_observes_the_same(name: str) -> None:
    await check(__name__, name, HEADER + PROGRAMS[name], differs=DIFFERENCES.get(name))
