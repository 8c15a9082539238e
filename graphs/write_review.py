"""Writer and critic take turns until the critic approves (RoundRobinGroupChat).

Run it: ``flowgen run graphs/write_review.py --task "Write a haiku about autumn"``.
Offline, the critic asks for one revision and then approves; the run stops on "APPROVE".
"""

from __future__ import annotations

from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.models import ChatCompletionClient
from flowgen.teams import RoundRobinGroupChat
from graphs.offline import scripted

TASK = "Write a haiku about autumn."


def build(
    model_client: ChatCompletionClient | None = None, max_turns: int | None = None
) -> RoundRobinGroupChat:
    """The writer/critic team; each agent on ``model_client``, or on its offline script when None."""
    writer = AssistantAgent(
        "writer",
        model_client=model_client
        or scripted(
            "Leaves fall, one by one\nthe garden quietly thins\nautumn keeps the score",
            "Red leaves drift and fall\nthe maple lets go of light\nbare branches, cold sky",
        ),
        description="Writes and revises.",
        system_message="You are a poet. Write the piece asked for; revise it when the critic asks.",
    )
    critic = AssistantAgent(
        "critic",
        model_client=model_client
        or scripted(
            "The last line is abstract: end on a concrete image. Please revise.",
            "Vivid and concrete. APPROVE",
        ),
        description="Reviews; says APPROVE when done.",
        system_message="You are a strict critic. Give one concrete improvement, or reply APPROVE when it is good.",
    )
    stop = TextMentionTermination("APPROVE", sources=["critic"]) | MaxMessageTermination(12)
    return RoundRobinGroupChat(
        [writer, critic], termination_condition=stop, max_turns=max_turns, name="write_review"
    )
