"""AutoGen 0.7 GraphFlow programs, unchanged apart from their imports, run on flowgen.

Written the way AutoGen's documentation writes them: a writer whose draft two editors review in
parallel before a final reviewer joins their notes, and a generate-review loop that leaves through a
conditional edge (one string condition, one callable). Every model is a ReplayChatCompletionClient.
When AutoGen itself is installed, the same program text also runs under AutoGen's imports and both
must agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.compat.twin import autogen_twin
from tests.compat.twin import said as spoken

# isort: split
# --- the only lines that differ from the AutoGen program ---------------------------------------
from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination
from flowgen.models import ReplayChatCompletionClient
from flowgen.teams import DiGraphBuilder, GraphFlow

# --- end of imports -------------------------------------------------------------------------------

AUTOGEN_IMPORTS = """
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_ext.models.replay import ReplayChatCompletionClient
from autogen_agentchat.teams import DiGraphBuilder, GraphFlow
"""


async def fan_out_program() -> list[object]:
    writer = AssistantAgent(
        "writer",
        model_client=ReplayChatCompletionClient(["A short paragraph about winter."]),
        system_message="Write a short paragraph.",
    )
    grammar_editor = AssistantAgent(
        "grammar_editor",
        model_client=ReplayChatCompletionClient(["Grammar: fine."]),
        system_message="Check the grammar.",
    )
    style_editor = AssistantAgent(
        "style_editor",
        model_client=ReplayChatCompletionClient(["Style: a little dry."]),
        system_message="Check the style.",
    )
    final_reviewer = AssistantAgent(
        "final_reviewer",
        model_client=ReplayChatCompletionClient(["Final: winter, with more colour."]),
        system_message="Merge the edits into a final version.",
    )

    builder = DiGraphBuilder()
    builder.add_node(writer).add_node(grammar_editor).add_node(style_editor).add_node(final_reviewer)
    builder.add_edge(writer, grammar_editor)
    builder.add_edge(writer, style_editor)
    builder.add_edge(grammar_editor, final_reviewer)
    builder.add_edge(style_editor, final_reviewer)
    graph = builder.build()

    flow = GraphFlow(participants=builder.get_participants(), graph=graph)
    return [message async for message in flow.run_stream(task="Write a short paragraph about winter.")]


async def loop_program() -> list[object]:
    generator = AssistantAgent(
        "generator",
        model_client=ReplayChatCompletionClient(["Idea one.", "Idea two, better."]),
        system_message="Generate ideas.",
    )
    reviewer = AssistantAgent(
        "reviewer",
        model_client=ReplayChatCompletionClient(["REVISE: too vague.", "APPROVE"]),
        system_message="Review the idea. Say APPROVE or REVISE.",
    )
    summarizer = AssistantAgent(
        "summarizer",
        model_client=ReplayChatCompletionClient(["Summary: idea two."]),
        system_message="Summarize the approved idea.",
    )

    builder = DiGraphBuilder()
    builder.add_node(generator).add_node(reviewer).add_node(summarizer)
    builder.add_edge(generator, reviewer)
    builder.add_edge(reviewer, summarizer, condition=lambda msg: "APPROVE" in msg.to_model_text())
    builder.add_edge(reviewer, generator, condition="REVISE")
    builder.set_entry_point(generator)
    graph = builder.build()

    flow = GraphFlow(
        participants=builder.get_participants(),
        graph=graph,
        termination_condition=MaxMessageTermination(20),
    )
    return [message async for message in flow.run_stream(task="Come up with an idea.")]


# --- end of program -------------------------------------------------------------------------------


def said(streamed: Sequence[object]) -> list[tuple[str, str]]:
    return [(source, text) for _, source, text in spoken(streamed)]


async def test_fan_out_and_join() -> None:
    streamed = await fan_out_program()
    assert said(streamed) == [
        ("user", "Write a short paragraph about winter."),
        ("writer", "A short paragraph about winter."),
        ("grammar_editor", "Grammar: fine."),
        ("style_editor", "Style: a little dry."),
        ("final_reviewer", "Final: winter, with more colour."),
    ]
    assert streamed[-1].stop_reason == "Digraph execution is complete"  # type: ignore[attr-defined]


async def test_loop_with_conditional_exit() -> None:
    streamed = await loop_program()
    assert [source for source, _ in said(streamed)] == [
        "user",
        "generator",
        "reviewer",
        "generator",
        "reviewer",
        "summarizer",
    ]
    assert streamed[-1].stop_reason == "Digraph execution is complete"  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["fan_out_program", "loop_program"])
async def test_the_same_programs_say_the_same_under_autogen(name: str) -> None:
    pytest.importorskip("autogen_agentchat")
    pytest.importorskip("autogen_ext.models.replay")
    ours = await globals()[name]()
    theirs = await autogen_twin(__name__, AUTOGEN_IMPORTS)[name]()  # type: ignore[operator]
    assert said(ours) == said(theirs)
    assert ours[-1].stop_reason == theirs[-1].stop_reason
