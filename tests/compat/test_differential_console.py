"""Console prints the same transcript under flowgen and AutoGen, and returns the same result.

The programs redirect standard output while Console renders a run, and return what was printed with
the run's result. ``output_stats=True`` prints durations, which differ from run to run; the programs
replace the numbers of seconds before comparing.
"""

from __future__ import annotations

import pytest

from tests.compat.differential import cases, check

HEADER = '''
import contextlib
import io
import re

from flowgen.agents import AssistantAgent, UserProxyAgent
from flowgen.conditions import MaxMessageTermination
from flowgen.core import FunctionCall
from flowgen.models import CreateResult, ModelFamily, ReplayChatCompletionClient, RequestUsage
from flowgen.teams import RoundRobinGroupChat
from flowgen.ui import Console

INFO = {
    "vision": False,
    "function_calling": True,
    "json_output": False,
    "family": ModelFamily.UNKNOWN,
    "structured_output": False,
}


def reply(text):
    return CreateResult(
        finish_reason="stop", content=text, usage=RequestUsage(prompt_tokens=7, completion_tokens=3), cached=False
    )


def calls(*pairs):
    return CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id=f"call_{i}", name=n, arguments=a) for i, (n, a) in enumerate(pairs)],
        usage=RequestUsage(prompt_tokens=3, completion_tokens=2),
        cached=False,
    )


def agent(name, *replies, **kwargs):
    return AssistantAgent(name, ReplayChatCompletionClient(list(replies), model_info=INFO), **kwargs)


async def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


async def printed(stream, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = await Console(stream, **kwargs)
    return re.sub(r"\\d+\\.\\d+ seconds", "N seconds", out.getvalue()), result
'''

PROGRAMS = {
    "team_transcript": """
async def main():
    team = RoundRobinGroupChat([agent("a", "A 1", "A 2"), agent("b", "B 1")], max_turns=3)
    return await printed(team.run_stream(task="Start."))
""",
    "tools_transcript": """
async def main():
    tool_user = agent("calc", calls(("add", '{"a": 1, "b": 2}')), "It is 3.", tools=[add], reflect_on_tool_use=True)
    return await printed(tool_user.run_stream(task="Add."))
""",
    "streamed_transcript": """
async def main():
    streaming = agent("s", "Hello there friend.", model_client_stream=True)
    return await printed(streaming.run_stream(task="Hi"))
""",
    "team_with_stats": """
async def main():
    team = RoundRobinGroupChat([agent("a", reply("A 1")), agent("b", reply("B 1"))], max_turns=2)
    return await printed(team.run_stream(task="Start."), output_stats=True)
""",
    "agent_with_stats": """
async def main():
    return await printed(agent("a", reply("A 1")).run_stream(task="Hi"), output_stats=True)
""",
}


@pytest.mark.parametrize("name", cases(PROGRAMS))
async def test_console_prints_the_same(name: str) -> None:
    await check(__name__, name, HEADER + PROGRAMS[name])
