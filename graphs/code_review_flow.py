"""A GraphFlow code review: security and style reviewers run in parallel, the lead joins their verdicts
and loops back to the author until the change is approved.

Run it: ``flowgen run graphs/code_review_flow.py --task "Add a user lookup endpoint"``.
Offline, the first round finds an SQL injection and a naming problem, the lead says REVISE, the
author fixes both, the second round passes, the lead says APPROVE and the merger ends the graph.
"""

from __future__ import annotations

from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination
from flowgen.models import ChatCompletionClient
from flowgen.teams import DiGraphBuilder, GraphFlow
from graphs.offline import scripted

TASK = "Add a user lookup endpoint."


def _agent(
    name: str, model_client: ChatCompletionClient | None, description: str, instructions: str, *script: str
) -> AssistantAgent:
    return AssistantAgent(
        name,
        model_client=model_client or scripted(*script),
        description=description,
        system_message=instructions,
    )


def build(model_client: ChatCompletionClient | None = None, max_turns: int | None = None) -> GraphFlow:
    """The review flow; every agent on ``model_client``, or on its offline script when None."""
    author = _agent(
        "author",
        model_client,
        "Writes and revises the change.",
        "You write the code change asked for, and revise it to address the lead reviewer's points.",
        "def find_user(db, x):\n    return db.query(f\"SELECT * FROM users WHERE name = '{x}'\")",
        'def find_user(db, name):\n    return db.query("SELECT * FROM users WHERE name = ?", (name,))',
    )
    security = _agent(
        "security_reviewer",
        model_client,
        "Reviews for security.",
        "You review code for security problems only. List them, or say there are none.",
        "SQL injection: the name is formatted into the query. Use a parameterised query.",
        "No security issues.",
    )
    style = _agent(
        "style_reviewer",
        model_client,
        "Reviews naming and readability.",
        "You review code for naming and readability only. List problems, or say there are none.",
        "The parameter `x` says nothing; call it `name`.",
        "Reads cleanly.",
    )
    lead = _agent(
        "lead_reviewer",
        model_client,
        "Joins the reviews: REVISE or APPROVE.",
        "You weigh the reviews. Reply REVISE with what to fix, or APPROVE when every review passes.",
        "REVISE: use a parameterised query and rename `x` to `name`.",
        "Both reviews pass. APPROVE",
    )
    merger = _agent(
        "merger",
        model_client,
        "Merges approved changes.",
        "You merge approved changes and say so in one line.",
        "Merged into main.",
    )
    builder = DiGraphBuilder()
    for agent in (author, security, style, lead, merger):
        builder.add_node(agent)
    builder.add_edge(author, security).add_edge(author, style)  # fan out: both reviews run in parallel
    builder.add_edge(security, lead).add_edge(style, lead)  # join: the lead waits for both
    builder.add_edge(lead, author, condition="REVISE")  # loop back until approved
    builder.add_edge(lead, merger, condition="APPROVE")
    builder.set_entry_point(author)
    return GraphFlow(
        builder.get_participants(),
        builder.build(),
        termination_condition=MaxMessageTermination(30),
        max_turns=max_turns,
        name="code_review_flow",
    )
