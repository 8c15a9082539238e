"""Programs that misuse the API fail under flowgen where they fail under AutoGen, with the same kind
of builtin exception, so their ``except ValueError`` / ``except RuntimeError`` clauses keep working.

flowgen raises its own exception types (with messages that say how to fix the program); each is a
subclass of the builtin AutoGen raises, which is what the programs observe.
"""

from __future__ import annotations

import pytest

from tests.compat.differential import cases, check

HEADER = '''
import asyncio

from flowgen.agents import AssistantAgent, UserProxyAgent
from flowgen.base import Handoff
from flowgen.conditions import MaxMessageTermination
from flowgen.core import CancellationToken, FunctionCall
from flowgen.messages import HandoffMessage, TextMessage
from flowgen.models import CreateResult, ModelFamily, ReplayChatCompletionClient, RequestUsage
from flowgen.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat, SelectorGroupChat, Swarm

TOOLS = {
    "vision": False,
    "function_calling": True,
    "json_output": False,
    "family": ModelFamily.UNKNOWN,
    "structured_output": False,
}
NO_TOOLS = {**TOOLS, "function_calling": False}
BUILTINS = (ValueError, RuntimeError, TypeError, KeyError, AssertionError)


def agent(name, *replies, info=TOOLS, **kwargs):
    return AssistantAgent(name, ReplayChatCompletionClient(list(replies), model_info=info), **kwargs)


def add(a: int, b: int) -> int:
    return a + b


async def fails(make):
    """Which builtins the failure is an instance of, or None when nothing failed."""
    try:
        result = make()
        if asyncio.iscoroutine(result):
            await result
    except Exception as e:
        return sorted(b.__name__ for b in BUILTINS if isinstance(e, b))
    return None
'''

PROGRAMS = {
    "duplicate_participant_names": """
async def main():
    return await fails(lambda: RoundRobinGroupChat([agent("a"), agent("a")]))
""",
    "empty_participants": """
async def main():
    return await fails(lambda: RoundRobinGroupChat([]))
""",
    "invalid_agent_name": """
async def main():
    return await fails(lambda: agent("not a name"))
""",
    "tools_on_model_without_function_calling": """
async def main():
    return await fails(lambda: agent("a", info=NO_TOOLS, tools=[add]))
""",
    "handoffs_on_model_without_function_calling": """
async def main():
    return await fails(lambda: agent("a", info=NO_TOOLS, handoffs=["b"]))
""",
    "duplicate_tool_names": """
async def main():
    return await fails(lambda: agent("a", tools=[add, add]))
""",
    "swarm_handoff_to_unknown_target": """
async def main():
    alice = agent("alice", CreateResult(
        finish_reason="function_calls", content=[FunctionCall(id="1", name="transfer_to_zed", arguments="{}")],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0), cached=False,
    ), handoffs=["zed"])

    async def build_and_run():
        await Swarm([alice], max_turns=3).run(task="Go.")

    return await fails(build_and_run)
""",
    "selector_needs_two_participants": """
async def main():
    return await fails(lambda: SelectorGroupChat([agent("a")], model_client=ReplayChatCompletionClient([])))
""",
    "graph_participant_not_in_graph": """
async def main():
    a, b = agent("a"), agent("b")
    builder = DiGraphBuilder()
    builder.add_node(a)
    return await fails(lambda: GraphFlow([a, b], graph=builder.build()))
""",
    "graph_cycle_without_termination": """
async def main():
    a, b, c = agent("a"), agent("b"), agent("c")
    builder = DiGraphBuilder()
    builder.add_node(a).add_node(b).add_node(c).add_edge(a, b).add_edge(b, a, condition="again")
    builder.add_edge(b, c, condition="done")
    return await fails(lambda: GraphFlow([a, b, c], graph=builder.build()))
""",
    "exhausted_replay_in_agent_run": """
async def main():
    return await fails(lambda: agent("a").run(task="Hi"))
""",
    "cancelled_before_run": """
async def main():
    token = CancellationToken()
    token.cancel()
    try:
        await agent("a", "Hi.").run(task="Hi", cancellation_token=token)
    except asyncio.CancelledError:
        return "cancelled"
    return "ran"
""",
    "structured_output_invalid_json": """
from pydantic import BaseModel


class Verdict(BaseModel):
    ok: bool


async def main():
    judge = agent("judge", "not json", info={**TOOLS, "structured_output": True}, output_content_type=Verdict)
    return await fails(lambda: judge.run(task="Judge."))
""",
    "user_proxy_in_agent_run": """
async def main():
    user = UserProxyAgent("user", input_func=lambda prompt: "typed")
    result = await user.run(task="Question?")
    return [(type(m).__name__, m.source, m.to_text()) for m in result.messages]
""",
}

# Deliberate differences (docs/migration.md): recorded from flowgen, and AutoGen must differ.
DIFFERENCES = {
    # flowgen validates a team before any model call (DESIGN.md §3): a handoff to a non-participant
    # is a ConfigurationError (a ValueError) when the Swarm is built, where AutoGen fails mid-run with
    # a RuntimeError; a participant missing from the graph is refused, where AutoGen ignores it.
    "swarm_handoff_to_unknown_target": "handoff targets are validated when the Swarm is built (ValueError)",
    "graph_participant_not_in_graph": "a participant that is not a node of the graph is refused",
}
XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("name", cases(PROGRAMS, XFAIL))
async def test_misuse_fails_the_same_way(name: str) -> None:
    await check(__name__, name, HEADER + PROGRAMS[name], differs=DIFFERENCES.get(name))
