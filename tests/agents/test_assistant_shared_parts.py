"""Agents made by the thousand share what never changes: one SystemMessage per text."""

from __future__ import annotations

from flowgen.agents import AssistantAgent
from flowgen.core import CancellationToken
from flowgen.messages import TextMessage
from flowgen.models import ReplayChatCompletionClient, SystemMessage


async def _prompt(agent: AssistantAgent, model: ReplayChatCompletionClient) -> list[object]:
    await agent.on_messages([TextMessage(content="hi", source="user")], CancellationToken())
    return list(model.create_calls[-1]["messages"])


async def test_agents_with_one_system_text_share_its_message_and_send_it_first() -> None:
    models = [ReplayChatCompletionClient(["ok"]) for _ in range(3)]
    first, second = (AssistantAgent(f"a{i}", model_client=models[i]) for i in range(2))
    own = AssistantAgent("c", model_client=models[2], system_message="You count sheep.")
    sent = [await _prompt(agent, model) for agent, model in zip((first, second, own), models, strict=True)]
    assert sent[0][0] is sent[1][0]
    assert isinstance(sent[2][0], SystemMessage) and sent[2][0].content == "You count sheep."
    assert sent[2][0] is not sent[0][0]
    assert [type(m).__name__ for m in sent[0]] == ["SystemMessage", "UserMessage"]
