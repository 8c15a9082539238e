"""Tool approval: approve, refuse, or pause the run until a person answers — across a restart too."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flowgen.agents import AssistantAgent
from flowgen.agents.approval import ApprovalResponse, ToolApprovalRequest
from flowgen.checkpoint import SqliteCheckpointer
from flowgen.checkpoint.protocol import Checkpointer
from flowgen.conditions import MaxMessageTermination
from flowgen.core import FunctionCall
from flowgen.models import (
    CallInfo,
    CreateResult,
    FunctionChatCompletionClient,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
    UserMessage,
)
from flowgen.teams import RoundRobinGroupChat
from flowgen.tools import FunctionTool

REFUNDS: list[str] = []


def refund(account: str) -> str:
    """Refund the duplicate charge."""
    REFUNDS.append(account)
    return f"refunded account {account}"


def _model(messages: Sequence[LLMMessage], info: CallInfo) -> CreateResult | str:
    if any(isinstance(m, FunctionExecutionResultMessage) for m in messages):
        return "done"
    call = FunctionCall(id="r1", name="refund", arguments='{"account": "4417"}')
    return CreateResult(
        finish_reason="function_calls", content=[call], usage=RequestUsage(0, 0), cached=False
    )


def needs_a_person(request: ToolApprovalRequest) -> ApprovalResponse:
    said = [m.content for m in request.context if isinstance(m, UserMessage) and m.source == "user"]
    if said[-1] == "approved":
        return ApprovalResponse(approved=True)
    if said[-1] == "no":
        return ApprovalResponse(approved=False, reason="the customer said no")
    return ApprovalResponse(approved=False, reason="refunds need a person", pause=True)


def _team(store: Checkpointer | None = None) -> RoundRobinGroupChat:
    billing = AssistantAgent("billing", model_client=FunctionChatCompletionClient(_model),
                             tools=[FunctionTool(refund, description="Refund.")], approval_func=needs_a_person)  # fmt: skip
    return RoundRobinGroupChat([billing], termination_condition=MaxMessageTermination(3), checkpointer=store)


async def test_a_paused_call_stops_the_run_and_runs_once_when_approved() -> None:
    REFUNDS.clear()
    team = _team()
    paused = await team.run(task="I was charged twice")
    assert paused.stop_reason == (
        'Interrupted: \'billing\' waits for approval to call refund({"account": "4417"}) (refunds need a person).'
    )
    # The request is shown (it is what the person reviews); nothing ran.
    assert REFUNDS == [] and [type(m).__name__ for m in paused.messages] == [
        "TextMessage",
        "ToolCallRequestEvent",
    ]
    resumed = await team.run(task="approved")
    assert REFUNDS == ["4417"]
    assert resumed.messages[-1].to_text() == "refunded account 4417"


async def test_a_refused_call_is_answered_with_an_error_the_model_reads() -> None:
    REFUNDS.clear()
    result = await _team().run(task="no")
    assert REFUNDS == []
    summaries = [m.to_text() for m in result.messages if type(m).__name__ == "ToolCallSummaryMessage"]
    assert summaries == ["Error: the call was refused: the customer said no"]


async def test_a_pause_survives_a_restart(tmp_path: Path) -> None:
    REFUNDS.clear()
    paused = await _team(SqliteCheckpointer(tmp_path / "runs.db")).run(
        task="I was charged twice", thread_id="t"
    )
    assert paused.stop_reason is not None and paused.stop_reason.startswith("Interrupted: 'billing' waits")
    resumed = await _team(SqliteCheckpointer(tmp_path / "runs.db")).run(task="approved", thread_id="t")
    assert REFUNDS == ["4417"] and resumed.messages[-1].to_text() == "refunded account 4417"


async def test_a_pause_rolls_its_step_back_and_the_thread_keeps_the_state_before_it(tmp_path: Path) -> None:
    REFUNDS.clear()
    team = _team(SqliteCheckpointer(tmp_path / "runs.db"))
    paused = await team.run(task="I was charged twice", thread_id="t")
    assert paused.stop_reason is not None and paused.stop_reason.startswith("Interrupted: 'billing' waits")
    # The paused step never committed: the step count and the agent's context are as before it.
    state = await team.save_state()
    assert state["run_state"]["step"] == 0
    assert state["agent_states"]["billing"]["llm_context"]["messages"] == []  # the task not yet taken in
    # So no checkpoint holds the paused step: after the run's input, a stop saying what the thread
    # waits for (so a server can tell it is interrupted), with the state as before the step.
    history = [c async for c in team.history("t")]
    assert [(c.source, c.step) for c in history] == [("stop", 0), ("input", 0)]
    assert history[0].interrupt == "approval:billing" and history[0].messages == []
    assert history[0].stop_reason == paused.stop_reason
