from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from flowgen.agents import AssistantAgent, SocietyOfMindAgent, UserProxyAgent
from flowgen.core import CancellationToken
from flowgen.models import (
    CallInfo,
    CreateResult,
    FunctionChatCompletionClient,
    LLMMessage,
    ReplayChatCompletionClient,
    RequestUsage,
)
from flowgen.models.cassette import CassetteChatCompletionClient
from flowgen.models.client import JsonOutput, ToolChoice, Tools
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing.agent import ScriptedAgent
from flowgen.testing.clients import SchemaChatCompletionClient
from flowgen.testing.conformance import check_chat_agent, check_chat_completion_client
from flowgen.tools import FunctionTool

REPLIES = ["first reply here", "second  reply\nwith lines", "third"]


def _reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
    return f"reply {info.call_index}"


async def test_replay_client_conforms() -> None:
    await check_chat_completion_client(lambda: ReplayChatCompletionClient(REPLIES))


async def test_function_client_conforms() -> None:
    await check_chat_completion_client(lambda: FunctionChatCompletionClient(_reply))


async def test_schema_client_conforms() -> None:
    await check_chat_completion_client(lambda: SchemaChatCompletionClient(REPLIES))


async def test_async_factories_are_awaited() -> None:
    async def make() -> ReplayChatCompletionClient:
        return ReplayChatCompletionClient(REPLIES)

    await check_chat_completion_client(make)


class TwoResultsClient(ReplayChatCompletionClient):
    """Breaks the stream contract: it yields the final result twice."""

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        result = await self.create(messages)
        yield result
        yield result


class ForgetfulUsageClient(ReplayChatCompletionClient):
    """Breaks usage accounting: total usage never grows."""

    def total_usage(self) -> RequestUsage:
        return RequestUsage(0, 0)


@pytest.mark.parametrize(
    ("client_type", "rule"),
    [(TwoResultsClient, "exactly one"), (ForgetfulUsageClient, "total_usage")],
)
async def test_a_broken_client_is_caught(client_type: type[ReplayChatCompletionClient], rule: str) -> None:
    with pytest.raises(AssertionError, match=rule):
        await check_chat_completion_client(lambda: client_type(REPLIES))


async def test_scripted_agent_conforms() -> None:
    await check_chat_agent(lambda: ScriptedAgent("scripted", ["one", "two", "three"]))


async def test_assistant_agent_conforms() -> None:
    await check_chat_agent(lambda: AssistantAgent("assistant", ReplayChatCompletionClient(REPLIES)))


async def test_streaming_assistant_agent_conforms() -> None:
    await check_chat_agent(
        lambda: AssistantAgent("assistant", ReplayChatCompletionClient(REPLIES), model_client_stream=True)
    )


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


async def test_assistant_agent_with_tools_conforms() -> None:
    await check_chat_agent(
        lambda: AssistantAgent(
            "calculator",
            SchemaChatCompletionClient(strict=False, seed=1),
            tools=[FunctionTool(add, description="Add two numbers.")],
            reflect_on_tool_use=True,
        )
    )


async def test_user_proxy_agent_conforms() -> None:
    await check_chat_agent(lambda: UserProxyAgent("user_proxy", input_func=lambda prompt: "typed answer"))


class NamelessAnswerAgent(ScriptedAgent):
    """Breaks the agent contract: its answers claim to come from someone else."""

    async def on_messages(self, messages: Any, cancellation_token: CancellationToken) -> Any:
        response = await super().on_messages(messages, cancellation_token)
        response.chat_message = response.chat_message.model_copy(update={"source": "impostor"})
        return response


async def test_a_broken_agent_is_caught() -> None:
    with pytest.raises(AssertionError, match="source"):
        await check_chat_agent(lambda: NamelessAnswerAgent("liar", ["a", "b", "c"]))


async def test_cassette_client_conforms_when_recording_and_replaying(tmp_path: Path) -> None:
    cassette = tmp_path / "model.jsonl"
    await check_chat_completion_client(
        lambda: CassetteChatCompletionClient(ReplayChatCompletionClient(REPLIES), cassette, mode="record")
    )
    await check_chat_completion_client(lambda: CassetteChatCompletionClient(None, cassette, mode="replay"))


def _society() -> SocietyOfMindAgent:
    inner = RoundRobinGroupChat(
        [
            AssistantAgent("drafter", ReplayChatCompletionClient(REPLIES * 2)),
            ScriptedAgent("checker", ["ok"] * 6),
        ],
        max_turns=2,
    )
    return SocietyOfMindAgent("society", inner, ReplayChatCompletionClient(REPLIES))


async def test_society_of_mind_agent_conforms() -> None:
    await check_chat_agent(_society)


async def test_message_filter_agent_conforms() -> None:
    from flowgen.agents import MessageFilterAgent, MessageFilterConfig, PerSourceFilter

    await check_chat_agent(
        lambda: MessageFilterAgent(
            "filtered",
            AssistantAgent("filtered", ReplayChatCompletionClient(REPLIES)),
            MessageFilterConfig(per_source=[PerSourceFilter(source="user", position="last", count=1)]),
        )
    )
