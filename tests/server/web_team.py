"""The team the browser tests serve: a writer, then a critic the run pauses before for a person's word.

Offline and deterministic (scripted models): the writer drafts, the run stops before the critic, and
once a person answers, the critic approves and the run ends.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.models import ChatCompletionClient, FunctionChatCompletionClient
from flowgen.teams import RoundRobinGroupChat
from graphs.offline import scripted

DRAFT = "Leaves fall, one by one\nthe garden quietly thins\nautumn keeps the score"
VERDICT = "Vivid and concrete. APPROVE"
GATED_REPLY = "Done, once the gate opened."


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


def gated(model_client: ChatCompletionClient | None = None) -> RoundRobinGroupChat:
    """One agent whose model call waits for the test (served as ``web_team.py:gated``).

    Two named pipes, given by the test: the model writes to ``WEB_TEAM_CALLED`` (the test, reading
    it, learns the run is under way) and then reads ``WEB_TEAM_GATE`` until the test writes it.
    """

    async def reply(messages: object, info: object) -> str:
        await asyncio.to_thread(Path(os.environ["WEB_TEAM_CALLED"]).write_text, "called")
        await asyncio.to_thread(Path(os.environ["WEB_TEAM_GATE"]).read_text)
        return GATED_REPLY

    agent = AssistantAgent("worker", model_client=FunctionChatCompletionClient(reply))
    return RoundRobinGroupChat([agent], max_turns=1, name="gated")
