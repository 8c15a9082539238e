"""graphs.offline: scripted per-agent models that let the examples tell their story without a network."""

from __future__ import annotations

import json
from pathlib import Path

from flowgen.cli.loading import import_file
from flowgen.models import CreateResult, UserMessage

offline = import_file(Path(__file__).resolve().parents[2] / "graphs" / "offline.py")
ASK = [UserMessage(content="refund account 4417", source="user")]


async def test_turns_answer_calls_in_order_and_the_last_repeats() -> None:
    model = offline.scripted("one", "two")
    replies = [(await model.create(ASK)).content for _ in range(3)]
    assert replies == ["one", "two", "two"]


async def test_a_call_turn_asks_for_a_tool_with_json_arguments_and_a_thought() -> None:
    model = offline.scripted(offline.Call("refund", {"amount": 20}, say="Refunding now."))
    result = await model.create(ASK)
    assert isinstance(result, CreateResult) and isinstance(result.content, list)
    assert [(c.name, json.loads(c.arguments)) for c in result.content] == [("refund", {"amount": 20})]
    assert result.thought == "Refunding now."


async def test_a_function_turn_reads_the_task() -> None:
    model = offline.scripted(lambda task: f"task was: {task}")
    assert (await model.create(ASK)).content == "task was: refund account 4417"
