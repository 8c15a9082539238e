"""An AutoGen 0.7 round-robin program, unchanged apart from its imports, runs on flowgen.

The program is written the way AutoGen's tutorial writes it: a writer and a critic on one replay model,
``TextMentionTermination("APPROVE") | MaxMessageTermination(10)``, streamed with ``Console``, then run
again with a new task so that the message cap stops it. Under AutoGen the imports would be
``autogen_agentchat.agents``, ``autogen_agentchat.conditions``, ``autogen_agentchat.teams``,
``autogen_agentchat.ui`` and ``autogen_ext.models.replay``.
"""

from __future__ import annotations

import pytest

# --- the only lines that differ from the AutoGen program ---------------------------------------
from flowgen.agents import AssistantAgent
from flowgen.base import TaskResult
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.models import ReplayChatCompletionClient
from flowgen.teams import RoundRobinGroupChat
from flowgen.ui import Console

# ------------------------------------------------------------------------------------------------


async def program() -> tuple[TaskResult, TaskResult]:
    model_client = ReplayChatCompletionClient(
        [
            "Leaves of amber drift and fall.",
            "Good start; add a line about the light.",
            "Leaves of amber drift and fall, in the low gold light of autumn.",
            "APPROVE",
            *[f"Winter line {i}." for i in range(1, 10)],
        ]
    )
    primary_agent = AssistantAgent(
        "primary",
        model_client=model_client,
        system_message="You are a helpful AI assistant.",
    )
    critic_agent = AssistantAgent(
        "critic",
        model_client=model_client,
        system_message="Provide constructive feedback. Respond with 'APPROVE' to when your feedbacks are addressed.",
    )
    text_termination = TextMentionTermination("APPROVE")
    max_termination = MaxMessageTermination(10)
    termination = text_termination | max_termination
    team = RoundRobinGroupChat([primary_agent, critic_agent], termination_condition=termination)

    first = await Console(team.run_stream(task="Write a short poem about the fall season."))
    second = await Console(team.run_stream(task="Now one about winter."))
    return first, second


async def test_round_robin_program_runs_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    first, second = await program()

    assert [m.source for m in first.messages] == ["user", "primary", "critic", "primary", "critic"]
    assert first.stop_reason == "Text 'APPROVE' mentioned"
    # The second run continues the rotation (primary spoke after the critic) until the cap of 10.
    assert [m.source for m in second.messages] == ["user"] + ["primary", "critic"] * 4 + ["primary"]
    assert second.stop_reason is not None and second.stop_reason.startswith("Maximum number of messages 10")

    printed = capsys.readouterr().out
    assert "Leaves of amber drift and fall." in printed
    assert "APPROVE" in printed and "Winter line 9." in printed
