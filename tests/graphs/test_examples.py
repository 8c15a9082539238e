"""Each example runs offline, on the model scripted for it, to its intended stop reason."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from flowgen.base import TaskResult
from flowgen.cli.loading import import_file
from flowgen.messages import HandoffMessage, ToolCallExecutionEvent, ToolCallRequestEvent
from flowgen.models import FunctionChatCompletionClient

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"


def example(name: str) -> ModuleType:
    return import_file(GRAPHS / f"{name}.py")


def speakers(result: TaskResult) -> list[str]:
    return [m.source for m in result.messages if type(m).__name__ == "TextMessage"]


def steps(result: TaskResult) -> list[tuple[str, ...]]:
    assert result.trace is not None
    return [s.nodes for s in result.trace.steps()]


def tools_called(result: TaskResult) -> list[str]:
    return [c.name for m in result.messages if isinstance(m, ToolCallRequestEvent) for c in m.content]


async def run(name: str, task: str | None = None, **kwargs: Any) -> TaskResult:
    module = example(name)
    result: TaskResult = await module.build(**kwargs).run(task=task or module.TASK)
    return result


async def test_write_review_stops_when_the_critic_approves() -> None:
    result = await run("write_review")
    assert result.stop_reason == "Text 'APPROVE' mentioned"
    assert speakers(result) == ["user", "writer", "critic", "writer", "critic"]


async def test_travel_planner_selects_each_specialist_then_summarises() -> None:
    result = await run("travel_planner")
    assert result.stop_reason == "Text 'TERMINATE' mentioned"
    assert speakers(result)[1:] == ["planner_agent", "local_agent", "language_agent", "travel_summary_agent"]


async def test_support_swarm_routes_billing_and_hands_off_to_the_user() -> None:
    result = await run("support_swarm", "I was charged twice this month, account 4417.")
    assert result.stop_reason == "Handoff to user from billing detected."
    assert tools_called(result) == ["transfer_to_billing", "lookup_charges", "transfer_to_user"]


async def test_support_swarm_routes_technical_questions() -> None:
    result = await run("support_swarm", "The app will not sync on my phone.")
    assert result.stop_reason == "Handoff to user from technical detected."
    assert "service_status" in tools_called(result)


async def test_support_swarm_resumes_when_the_user_answers() -> None:
    team = example("support_swarm").build()
    await team.run(task="I was charged twice this month, account 4417.")
    result = await team.run(task=HandoffMessage(source="user", target="billing", content="Yes, refund it."))
    assert result.stop_reason == "Text 'TERMINATE' mentioned"
    executed = [
        r.content for m in result.messages if isinstance(m, ToolCallExecutionEvent) for r in m.content
    ]
    assert executed == ["refunded $20.00 to the card on file for account 4417"]


async def test_code_review_flow_reviews_in_parallel_and_loops_until_approved() -> None:
    result = await run("code_review_flow")
    assert result.stop_reason == "Digraph execution is complete"
    assert steps(result) == [
        ("author",),
        ("security_reviewer", "style_reviewer"),
        ("lead_reviewer",),
        ("author",),
        ("security_reviewer", "style_reviewer"),
        ("lead_reviewer",),
        ("merger",),
    ]


async def test_research_team_consults_the_librarian_and_the_nested_team() -> None:
    result = await run("research_team")
    assert result.stop_reason == "Text 'DONE' mentioned"
    assert tools_called(result) == ["librarian"]
    said = speakers(result)
    assert said.index("researcher") < said.index("fact_checker") < said.index("writer")


@pytest.mark.parametrize(
    "name", ["write_review", "travel_planner", "support_swarm", "code_review_flow", "research_team"]
)
async def test_a_given_model_client_is_used_by_every_agent(name: str) -> None:
    reply = "APPROVE TERMINATE DONE VERIFIED"
    model = FunctionChatCompletionClient(lambda messages, info: reply)
    module = example(name)
    result = await module.build(model, max_turns=6).run(task=module.TASK)
    said = [m.to_text() for m in result.messages if type(m).__name__ == "TextMessage" and m.source != "user"]
    assert said and all(text == reply for text in said)


async def test_code_writing_loops_until_the_code_passes_its_tests() -> None:
    result = await run("code_writing")
    assert result.stop_reason == "Digraph execution is complete"
    assert steps(result) == [("writer",), ("tester",), ("writer",), ("tester",), ("reporter",)]
    tester_said = [m.to_text() for m in result.messages if m.source == "tester"]
    assert "FAILED: slugify('Rock & Roll!') == 'rock-&-roll!'" in tester_said[0]
    assert tester_said[1] == "ALL TESTS PASSED\n"


async def test_code_writing_uses_a_given_model_for_the_writer_and_the_reporter() -> None:
    code = "```python\nprint('ALL TESTS PASSED')\n```"
    model = FunctionChatCompletionClient(lambda messages, info: code)
    module = example("code_writing")
    result = await module.build(model, max_turns=6).run(task=module.TASK)
    said = {m.source: m.to_text() for m in result.messages if type(m).__name__ == "TextMessage"}
    assert said["writer"] == code and said["reporter"] == code
    assert said["tester"] == "ALL TESTS PASSED\n"


async def test_code_writing_report_shows_the_code_and_its_output(tmp_path: Path) -> None:
    from visualize import html_report

    page = html_report(await run("code_writing"), tmp_path / "run.html")
    assert page.count('<pre class="code" data-language="python">') == 2
    assert "re.findall(r&#34;[a-z0-9]+&#34;, text.lower())" in page
    assert "FAILED: slugify(&#39;Rock &amp; Roll!&#39;)" in page
    assert 'id="node-tester"' in page
