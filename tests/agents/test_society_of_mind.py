"""SocietyOfMindAgent: runs its inner team, then its model answers from the team's transcript."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from flowgen.agents.society_of_mind import SocietyOfMindAgent
from flowgen.conditions import TextMentionTermination
from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError
from flowgen.messages import BaseChatMessage, HandoffMessage, TextMessage
from flowgen.models import ModelInfo, ReplayChatCompletionClient, SystemMessage, UserMessage
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing import ScriptedAgent


class _Remembering(ScriptedAgent):
    """Keeps ``received`` across resets (the society resets its team after every turn)."""

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        self.position = 0


def _inner(turns: int = 2) -> tuple[RoundRobinGroupChat, ScriptedAgent]:
    writer = _Remembering("writer", [f"draft {i}" for i in range(1, turns + 1)])
    editor = ScriptedAgent("editor", [f"edit {i}" for i in range(1, turns + 1)])
    return RoundRobinGroupChat([writer, editor], max_turns=2), writer


def _texts(messages: Sequence[object]) -> list[str]:
    return [m.to_text() for m in messages if isinstance(m, BaseChatMessage)]


async def test_answers_with_the_models_summary_of_the_inner_transcript() -> None:
    team, _ = _inner()
    client = ReplayChatCompletionClient(["The story."])
    agent = SocietyOfMindAgent("mind", team, client)
    response = await agent.on_messages([TextMessage(content="write", source="user")], CancellationToken())
    assert (response.chat_message.source, response.chat_message.to_text()) == ("mind", "The story.")
    assert response.inner_messages == []
    sent = client.create_calls[0]["messages"]
    assert sent[0] == UserMessage(content=SocietyOfMindAgent.DEFAULT_INSTRUCTION, source="user")
    assert [m.content for m in sent[1:-1]] == ["draft 1", "edit 1"]
    assert sent[-1] == UserMessage(content=SocietyOfMindAgent.DEFAULT_RESPONSE_PROMPT, source="user")


async def test_inner_messages_stream_before_the_answer() -> None:
    team, _ = _inner()
    agent = SocietyOfMindAgent("mind", team, ReplayChatCompletionClient(["done"]))
    items = [item async for item in agent.run_stream(task="write")]
    assert _texts(items) == ["write", "draft 1", "edit 1", "done"]


async def test_custom_instruction_and_prompt_as_system_messages_when_the_model_takes_several() -> None:
    info = ModelInfo(
        vision=False,
        function_calling=False,
        json_output=False,
        family="unknown",
        structured_output=False,
        multiple_system_messages=True,
    )
    client = ReplayChatCompletionClient(["ok"], model_info=info)
    team, _ = _inner()
    agent = SocietyOfMindAgent("mind", team, client, instruction="Transcript:", response_prompt="Answer now.")
    await agent.run(task="write")
    sent = client.create_calls[0]["messages"]
    assert sent[0] == SystemMessage(content="Transcript:") and sent[-1] == SystemMessage(
        content="Answer now."
    )


async def test_an_inner_team_that_says_nothing_gives_no_response() -> None:
    # The task itself stops the inner team before anyone speaks.
    silent = RoundRobinGroupChat([ScriptedAgent("a", [])], termination_condition=TextMentionTermination("go"))
    client = ReplayChatCompletionClient([])
    result = await SocietyOfMindAgent("mind", silent, client).run(task="go")
    assert _texts(result.messages) == ["go", "No response."]
    assert client.create_calls == []


async def test_the_inner_team_is_reset_and_earlier_turns_come_back_as_handoff_context() -> None:
    team, writer = _inner()
    agent = SocietyOfMindAgent("mind", team, ReplayChatCompletionClient(["one", "two"]))
    await agent.run(task="first")
    await agent.run(task="second")
    carried = writer.received[1][0]
    assert isinstance(carried, HandoffMessage)
    assert [m.content for m in carried.context] == ["first"]
    assert writer.received[1][1].to_text() == "second"


async def test_state_saves_the_inner_team() -> None:
    team, _ = _inner()
    agent = SocietyOfMindAgent("mind", team, ReplayChatCompletionClient([]))
    state = await agent.save_state()
    assert state["type"] == "SocietyOfMindAgentState" and "agent_states" in state["inner_team_state"]
    await SocietyOfMindAgent("mind", _inner()[0], ReplayChatCompletionClient([])).load_state(state)


async def test_reset_clears_the_earlier_turns() -> None:
    team, writer = _inner()
    agent = SocietyOfMindAgent("mind", team, ReplayChatCompletionClient(["one", "two"]))
    await agent.run(task="first")
    await agent.on_reset(CancellationToken())
    await agent.run(task="second")
    assert _texts(writer.received[1]) == ["second"]


async def test_in_an_outer_team_only_the_answer_joins_the_thread() -> None:
    team, _ = _inner()
    mind = SocietyOfMindAgent("mind", team, ReplayChatCompletionClient(["summary"]))
    translator = ScriptedAgent("translator", ["resumen"])
    outer = RoundRobinGroupChat([mind, translator], max_turns=2)
    result = await outer.run(task="write")
    assert _texts(result.messages) == ["write", "draft 1", "edit 1", "summary", "resumen"]
    assert _texts(translator.received[0]) == ["write", "summary"]


def test_a_team_is_required() -> None:
    with pytest.raises(ConfigurationError, match="needs a team"):
        SocietyOfMindAgent("mind", ScriptedAgent("a", []), ReplayChatCompletionClient([]))  # type: ignore[arg-type]
