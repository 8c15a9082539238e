"""Hostile input that flowgen handles deliberately differently from AutoGen (docs/migration.md).

Each program runs under flowgen's imports against flowgen's recorded observation and, when AutoGen
is installed, under AutoGen's imports, which must observe something else.
"""

from __future__ import annotations

import pytest

from tests.compat.differential import cases, check

HEADER = """
from pydantic import BaseModel

from flowgen.agents import AssistantAgent
from flowgen.core import FunctionCall
from flowgen.models import CreateResult, ModelFamily, ReplayChatCompletionClient, RequestUsage
from flowgen.teams import SelectorGroupChat

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


def say(name, prefix, n=6):
    return AssistantAgent(name, model(*[f"{prefix} {i}" for i in range(1, n + 1)]), description=f"The {name}.")
"""

PROGRAMS = {
    "selector_fallback_skips_the_excluded_speaker": """
async def main():
    team = SelectorGroupChat(
        [say("planner", "P"), say("coder", "C"), say("tester", "T")],
        model_client=model("coder", "nobody", "no one", "none"),
        max_turns=2,
    )
    result = await team.run(task="Start.")
    return [m.source for m in result.messages]
""",
    "structured_output_is_retried_with_the_error": """
class Answer(BaseModel):
    city: str
    confident: bool


async def main():
    agent = AssistantAgent(
        "geo", model('{"city": "Paris"}', '{"city": "Paris", "confident": true}'), output_content_type=Answer
    )
    try:
        result = await agent.run(task="Capital of France?")
    except Exception as error:
        return type(error).__name__
    history = await agent.model_context.get_messages()
    return [result.messages[-1].to_text(), len(history)]
""",
}

# Every program here shows a deliberate difference: recorded from flowgen, and AutoGen must differ.
# Not here: a tool raising CancelledError (under AutoGen the run never ends) and an AgentTool called
# twice at once (the replay model never suspends, so AutoGen's calls do not interleave either); both
# are covered in tests/agents/test_hostile_tools.py.
DIFFERENCES = {
    "selector_fallback_skips_the_excluded_speaker": "the fallback is a candidate, never the excluded previous speaker",
    "structured_output_is_retried_with_the_error": "a reply failing output_content_type is retried with the error",
}
XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("name", cases(PROGRAMS, XFAIL))
async def test_program_observes_the_same(name: str) -> None:
    await check(__name__, name, HEADER + PROGRAMS[name], differs=DIFFERENCES.get(name))
