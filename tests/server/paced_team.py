"""A served team for the load tests: two agents on a scripted model that takes a little time per reply.

Each reply depends only on what the agent has seen, so an interrupted thread continued later must end
with the same transcript as a run never interrupted. The run ends when a reply says DONE.
"""

from __future__ import annotations

import asyncio

from flowgen.agents import AssistantAgent
from flowgen.conditions import TextMentionTermination
from flowgen.models import ChatCompletionClient, FunctionChatCompletionClient
from flowgen.teams import RoundRobinGroupChat

#: A reply says DONE once its agent has seen this many messages.
DONE_AFTER = 14
LATENCY_SECONDS = 0.03


def paced(name: str) -> AssistantAgent:
    async def reply(messages: list[object], info: object) -> str:
        await asyncio.sleep(LATENCY_SECONDS)  # the model's own latency, not a wait for anything
        seen = len(messages)
        return f"{name} reply {seen}" + (" DONE" if seen >= DONE_AFTER else "")

    return AssistantAgent(name, model_client=FunctionChatCompletionClient(reply))


def build(model_client: ChatCompletionClient | None = None) -> RoundRobinGroupChat:
    return RoundRobinGroupChat(
        [paced("writer"), paced("critic")], termination_condition=TextMentionTermination("DONE"), name="paced"
    )
