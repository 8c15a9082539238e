"""An AutoGen 0.7 Swarm program, unchanged apart from its imports, runs on flowgen.

The program is written the way AutoGen's documentation writes one: a travel agent that hands off to
a refunds agent, which uses a tool and hands the conversation to the user; a HandoffTermination stops
the run there, and the program resumes it with a HandoffMessage from the user, as AutoGen's
human-in-the-loop swarm does. Every model is a ReplayChatCompletionClient. When AutoGen itself is
installed, the same program text also runs under AutoGen's imports and both must agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.compat.twin import autogen_twin, said

# isort: split
# --- the only lines that differ from the AutoGen program ---------------------------------------
from flowgen.agents import AssistantAgent
from flowgen.base import TaskResult
from flowgen.conditions import HandoffTermination, TextMentionTermination
from flowgen.core import FunctionCall
from flowgen.messages import HandoffMessage
from flowgen.models import CreateResult, ModelFamily, ModelInfo, ReplayChatCompletionClient, RequestUsage
from flowgen.teams import Swarm

# --- end of imports -------------------------------------------------------------------------------

AUTOGEN_IMPORTS = """
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.conditions import HandoffTermination, TextMentionTermination
from autogen_core import FunctionCall
from autogen_agentchat.messages import HandoffMessage
from autogen_core.models import CreateResult, ModelFamily, ModelInfo, RequestUsage
from autogen_ext.models.replay import ReplayChatCompletionClient
from autogen_agentchat.teams import Swarm
"""

TOOL_MODEL: ModelInfo = {
    "vision": False,
    "function_calling": True,
    "json_output": False,
    "family": ModelFamily.UNKNOWN,
    "structured_output": False,
}


def refund_flight(flight_id: str) -> str:
    """Refund a flight."""
    return f"Flight {flight_id} refunded"


def calls(name: str, arguments: str = "{}") -> CreateResult:
    return CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id=f"call_{name}", name=name, arguments=arguments)],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )


async def program() -> list[Sequence[object]]:
    travel_model = ReplayChatCompletionClient(
        [calls("transfer_to_flights_refunder"), "Your refund is done. TERMINATE"], model_info=TOOL_MODEL
    )
    refunder_model = ReplayChatCompletionClient(
        [
            calls("transfer_to_user"),
            calls("refund_flight", '{"flight_id": "XY123"}'),
            calls("transfer_to_travel_agent"),
        ],
        model_info=TOOL_MODEL,
    )

    travel_agent = AssistantAgent(
        "travel_agent",
        model_client=travel_model,
        handoffs=["flights_refunder", "user"],
        system_message="You are a travel agent. Hand refunds to flights_refunder. Say TERMINATE when done.",
    )
    flights_refunder = AssistantAgent(
        "flights_refunder",
        model_client=refunder_model,
        handoffs=["travel_agent", "user"],
        tools=[refund_flight],
        system_message="You refund flights. Ask the user for the flight number by handing off to the user.",
    )
    termination = HandoffTermination(target="user") | TextMentionTermination("TERMINATE")
    team = Swarm([travel_agent, flights_refunder], termination_condition=termination)

    runs: list[Sequence[object]] = []
    first = [m async for m in team.run_stream(task="I need to refund my flight.")]
    runs.append(first)
    last = first[-1]
    assert isinstance(last, TaskResult)
    handoff = last.messages[-1]
    assert isinstance(handoff, HandoffMessage)
    # The user answers the agent that handed off to them.
    reply = HandoffMessage(source="user", target=handoff.source, content="The flight is XY123.")
    second = [m async for m in team.run_stream(task=reply)]
    runs.append(second)
    return runs


# --- end of program -------------------------------------------------------------------------------


def autogen_program() -> object:
    return autogen_twin(__name__, AUTOGEN_IMPORTS)["program"]


async def test_handoff_to_the_user_stops_and_the_users_handoff_resumes() -> None:
    first, second = await program()
    assert [s for _, s, _ in said(first)] == ["user", "travel_agent", "flights_refunder"]
    assert first[-1].stop_reason == "Handoff to user from flights_refunder detected."  # type: ignore[attr-defined]
    assert said(second) == [
        ("HandoffMessage", "user", "The flight is XY123."),
        ("ToolCallSummaryMessage", "flights_refunder", "Flight XY123 refunded"),
        (
            "HandoffMessage",
            "flights_refunder",
            "Transferred to travel_agent, adopting the role of travel_agent immediately.",
        ),
        ("TextMessage", "travel_agent", "Your refund is done. TERMINATE"),
    ]
    assert second[-1].stop_reason == "Text 'TERMINATE' mentioned"  # type: ignore[attr-defined]


async def test_the_same_program_says_the_same_under_autogen() -> None:
    pytest.importorskip("autogen_agentchat")
    pytest.importorskip("autogen_ext.models.replay")
    ours = await program()
    theirs = await autogen_program()()  # type: ignore[operator]
    assert [said(run) for run in ours] == [said(run) for run in theirs]
    assert [run[-1].stop_reason for run in ours] == [run[-1].stop_reason for run in theirs]  # type: ignore[attr-defined]
