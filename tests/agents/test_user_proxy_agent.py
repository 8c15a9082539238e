"""UserProxyAgent: asks input_func (sync or async), announces the request, answers handoffs, cancels."""

from __future__ import annotations

import asyncio

import pytest

from flowgen.agents import UserProxyAgent
from flowgen.core import CancellationToken
from flowgen.errors import HandoffError
from flowgen.messages import HandoffMessage, TextMessage, UserInputRequestedEvent


async def test_sync_input_func_answers_with_a_text_message() -> None:
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return "approve"

    result = await UserProxyAgent("user", input_func=ask).run(task="Review?")
    reply = result.messages[-1]
    assert isinstance(reply, TextMessage) and (reply.content, reply.source) == ("approve", "user")
    assert prompts == ["Enter your response: "]


async def test_async_input_func_gets_the_cancellation_token() -> None:
    tokens: list[CancellationToken | None] = []

    async def ask(prompt: str, cancellation_token: CancellationToken | None) -> str:
        tokens.append(cancellation_token)
        return "yes"

    token = CancellationToken()
    result = await UserProxyAgent("user", input_func=ask).run(task="Ok?", cancellation_token=token)
    assert result.messages[-1].to_text() == "yes"
    assert tokens == [token]


async def test_input_request_event_comes_first_and_names_the_request() -> None:
    request_ids: list[str] = []

    async def ask_async(prompt: str, token: CancellationToken | None) -> str:
        request_ids.append(UserProxyAgent.InputRequestContext.request_id())
        return "hi"

    items = [i async for i in UserProxyAgent("user", input_func=ask_async).run_stream(task="?")]
    event = items[1]
    assert isinstance(event, UserInputRequestedEvent) and event.source == "user"
    assert request_ids == [event.request_id]
    assert isinstance(items[2], TextMessage)


async def test_handoff_to_the_user_is_answered_with_a_handoff_back() -> None:
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return "Go ahead."

    handoff = HandoffMessage(content="Need approval.", source="planner", target="user")
    reply = (await UserProxyAgent("user", input_func=ask).run(task=handoff)).messages[-1]
    assert isinstance(reply, HandoffMessage)
    assert (reply.target, reply.source, reply.content) == ("planner", "user", "Go ahead.")
    assert prompts == ["Handoff received from planner. Enter your response: "]


async def test_handoff_addressed_to_someone_else_is_rejected() -> None:
    handoff = HandoffMessage(content="x", source="planner", target="bob")
    with pytest.raises(HandoffError, match="addressed to 'bob'"):
        await UserProxyAgent("user", input_func=lambda p: "x").run(task=handoff)


async def test_cancelling_the_token_stops_a_pending_input() -> None:
    asked = asyncio.Event()

    async def never_answers(prompt: str, token: CancellationToken | None) -> str:
        asked.set()
        await asyncio.Event().wait()
        return "never"

    token = CancellationToken()
    agent = UserProxyAgent("user", input_func=never_answers)
    async with asyncio.TaskGroup() as group:
        run = group.create_task(agent.run(task="?", cancellation_token=token))
        await asked.wait()
        token.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run


async def test_input_func_errors_keep_their_type() -> None:
    def broken(prompt: str) -> str:
        raise KeyError("no terminal")

    with pytest.raises(KeyError) as info:
        await UserProxyAgent("user", input_func=broken).run(task="?")
    assert "input_func of user proxy 'user'" in "".join(getattr(info.value, "__notes__", []))


async def test_sync_input_func_also_sees_the_request_id() -> None:
    request_ids: list[str] = []

    def ask(prompt: str) -> str:
        request_ids.append(UserProxyAgent.InputRequestContext.request_id())
        return "hi"

    items = [i async for i in UserProxyAgent("user", input_func=ask).run_stream(task="?")]
    event = items[1]
    assert isinstance(event, UserInputRequestedEvent)
    assert request_ids == [event.request_id]


def test_request_id_outside_an_input_func_is_a_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="only available inside"):
        UserProxyAgent.InputRequestContext.request_id()
