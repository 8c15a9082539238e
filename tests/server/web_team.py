"""The team the browser tests serve: a writer, then a critic the run pauses before for a person's word.

Offline and deterministic (scripted models): the writer drafts, the run stops before the critic, and
once a person answers, the critic approves and the run ends.
"""

from __future__ import annotations

from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.models import ChatCompletionClient, FunctionChatCompletionClient
from flowgen.teams import RoundRobinGroupChat
from graphs.offline import scripted

DRAFT = "Leaves fall, one by one\nthe garden quietly thins\nautumn keeps the score"
VERDICT = "Vivid and concrete. APPROVE"


def build(model_client: ChatCompletionClient | None = None) -> RoundRobinGroupChat:
    writer = AssistantAgent(
        "writer", model_client=model_client or scripted(DRAFT), description="Writes the piece."
    )
    critic = AssistantAgent(
        "critic", model_client=model_client or scripted(VERDICT), description="Approves the piece."
    )
    stop = TextMentionTermination("APPROVE", sources=["critic"]) | MaxMessageTermination(8)
    return RoundRobinGroupChat(
        [writer, critic], termination_condition=stop, interrupt_before=["critic"], name="review_with_approval"
    )


#: A key an SDK error quotes back: the page must never show it.
LEAKED_KEY = "sk-proj-web0123456789abcdefghijklm"


def broken(model_client: ChatCompletionClient | None = None) -> RoundRobinGroupChat:
    """A one-agent team whose model fails, quoting a key (served as ``web_team.py:broken``)."""

    def fail(messages: object, info: object) -> str:
        raise RuntimeError(f"the model is down (it rejected {LEAKED_KEY})")

    agent = AssistantAgent("worker", model_client=FunctionChatCompletionClient(fail))
    return RoundRobinGroupChat([agent], max_turns=1, name="broken")
