"""BaseChatAgent: subclassed as in AutoGen, it gets run, run_stream, state and the defaults."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from flowgen.agents import BaseChatAgent
from flowgen.base import Response, TaskResult
from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError
from flowgen.messages import BaseChatMessage, TextMessage, ThoughtEvent


class Counter(BaseChatAgent):
    """Counts the messages it has seen; reports a thought on the way."""

    def __init__(self, name: str) -> None:
        super().__init__(name, "Counts messages.")
        self.seen = 0

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return (TextMessage,)

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        self.seen += len(messages)
        thought = ThoughtEvent(content="counting", source=self.name)
        return Response(
            chat_message=TextMessage(content=str(self.seen), source=self.name), inner_messages=[thought]
        )

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        self.seen = 0


async def test_run_returns_task_inner_events_and_reply() -> None:
    result = await Counter("counter").run(task="hello")
    assert [type(m).__name__ for m in result.messages] == ["TextMessage", "ThoughtEvent", "TextMessage"]
    assert result.messages[0].source == "user"
    assert result.messages[-1].to_text() == "1"


async def test_run_stream_yields_the_same_messages_then_the_result() -> None:
    items = [i async for i in Counter("counter").run_stream(task="hello")]
    assert isinstance(items[-1], TaskResult)
    assert list(items[-1].messages) == items[:-1]
    assert [type(i).__name__ for i in items[:-1]] == ["TextMessage", "ThoughtEvent", "TextMessage"]


async def test_output_task_messages_false_leaves_the_task_out() -> None:
    agent = Counter("counter")
    result = await agent.run(task="hello", output_task_messages=False)
    assert result.messages[0].source == "counter"
    streamed = [i async for i in agent.run_stream(task="again", output_task_messages=False)]
    assert streamed[0].source == "counter"  # type: ignore[union-attr]


async def test_task_can_be_a_message_a_list_or_nothing() -> None:
    agent = Counter("counter")
    one = TextMessage(content="a", source="boss")
    assert (await agent.run(task=one)).messages[0] is one
    assert (await agent.run(task=[one, one])).messages[-1].to_text() == "3"
    assert (await agent.run()).messages[-1].to_text() == "3"


async def test_an_empty_task_list_is_rejected() -> None:
    with pytest.raises(ValueError, match="empty"):
        await Counter("counter").run(task=[])


def test_name_must_be_an_identifier() -> None:
    with pytest.raises(ConfigurationError, match="valid Python identifier"):
        Counter("not valid")


async def test_default_state_pause_resume_and_close() -> None:
    agent = Counter("counter")
    state = await agent.save_state()
    assert state == {"type": "BaseState", "version": "1.0.0"}
    await agent.load_state(state)
    await agent.on_pause(CancellationToken())
    await agent.on_resume(CancellationToken())
    await agent.close()
    assert (agent.name, agent.description) == ("counter", "Counts messages.")
