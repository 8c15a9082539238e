"""Conformance suites for extension points: does a model client or an agent keep flowgen's contracts?

Like trio's stream checks: hand a factory to the suite and it exercises the object the way flowgen's
teams will, failing with an AssertionError that lists every broken rule.

Example:
    >>> import asyncio
    >>> from flowgen.models import ReplayChatCompletionClient
    >>> asyncio.run(check_chat_completion_client(lambda: ReplayChatCompletionClient(["a b", "c"] * 5)))
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from flowgen.base import ChatAgent, Response, TaskResult
from flowgen.core import CancellationToken, FunctionCall
from flowgen.messages import BaseAgentEvent, BaseChatMessage, ModelClientStreamingChunkEvent, TextMessage
from flowgen.models.client import ChatCompletionClient
from flowgen.models.types import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)

T = TypeVar("T")
Factory = Callable[[], T | Awaitable[T]]
FINISH_REASONS = ("stop", "length", "function_calls", "content_filter", "unknown")
MODEL_INFO_KEYS = {
    "vision": bool,
    "function_calling": bool,
    "json_output": bool,
    "structured_output": bool,
    "family": str,
}

PROMPT: list[LLMMessage] = [
    SystemMessage(content="You are a helpful assistant."),
    UserMessage(content="Say something short.", source="user"),
]
LONG_PROMPT: list[LLMMessage] = [
    *PROMPT,
    AssistantMessage(
        content=[FunctionCall(id="c1", name="lookup", arguments='{"q": "x"}')], source="assistant"
    ),
    FunctionExecutionResultMessage(
        content=[FunctionExecutionResult(content="found", name="lookup", call_id="c1")]
    ),
    AssistantMessage(content="Here is what I found.", source="assistant"),
    UserMessage(content="Thanks, and now?", source="user"),
]


async def _make(factory: Factory[T]) -> T:
    made = factory()
    if inspect.isawaitable(made):
        return await made
    return made


class _Findings:
    """Collects broken rules so one run reports all of them."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.problems: list[str] = []

    def expect(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)

    def raise_if_any(self) -> None:
        if self.problems:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            raise AssertionError(f"{self.subject} breaks {len(self.problems)} contract rule(s):\n{lines}")


def _valid_usage(usage: object) -> bool:
    return (
        isinstance(usage, RequestUsage)
        and isinstance(usage.prompt_tokens, int)
        and isinstance(usage.completion_tokens, int)
        and min(usage.prompt_tokens, usage.completion_tokens) >= 0
    )


def _check_result(found: _Findings, result: object, where: str) -> None:
    found.expect(
        isinstance(result, CreateResult), f"{where} returned {type(result).__name__}, not a CreateResult"
    )
    if not isinstance(result, CreateResult):
        return
    found.expect(
        result.finish_reason in FINISH_REASONS, f"{where}: finish_reason {result.finish_reason!r} is unknown"
    )
    text_or_calls = isinstance(result.content, str) or all(
        isinstance(c, FunctionCall) for c in result.content
    )
    found.expect(text_or_calls, f"{where}: content must be text or a list of FunctionCall")
    found.expect(_valid_usage(result.usage), f"{where}: usage must be a RequestUsage of non-negative ints")


async def _check_model_info(found: _Findings, client: ChatCompletionClient) -> None:
    info = client.model_info
    for key, kind in MODEL_INFO_KEYS.items():
        found.expect(isinstance(info.get(key), kind), f"model_info[{key!r}] must be a {kind.__name__}")


async def _check_create(found: _Findings, client: ChatCompletionClient) -> None:
    before = client.total_usage()
    result = await client.create(PROMPT, cancellation_token=CancellationToken())
    _check_result(found, result, "create()")
    after = client.total_usage()
    found.expect(_valid_usage(after), "total_usage() must be a RequestUsage of non-negative ints")
    found.expect(
        after.prompt_tokens >= before.prompt_tokens and after.completion_tokens >= before.completion_tokens,
        "total_usage() went down after a call: it must only grow",
    )
    grew = RequestUsage(
        after.prompt_tokens - before.prompt_tokens, after.completion_tokens - before.completion_tokens
    )
    found.expect(grew == result.usage, f"total_usage() grew by {grew}, but the call reported {result.usage}")
    found.expect(
        _valid_usage(client.actual_usage()), "actual_usage() must be a RequestUsage of non-negative ints"
    )


async def _collect(stream: AsyncIterator[str | CreateResult]) -> list[str | CreateResult]:
    return [item async for item in stream]


async def _check_stream(found: _Findings, client: ChatCompletionClient) -> None:
    items = await _collect(client.create_stream(LONG_PROMPT, cancellation_token=CancellationToken()))
    results = [i for i in items if isinstance(i, CreateResult)]
    found.expect(
        len(results) == 1, f"create_stream() yielded {len(results)} CreateResults; it must yield exactly one"
    )
    found.expect(
        bool(items) and isinstance(items[-1], CreateResult), "create_stream() must end with the CreateResult"
    )
    chunks = [i for i in items if not isinstance(i, CreateResult)]
    found.expect(
        all(isinstance(c, str) for c in chunks), "create_stream() chunks before the result must be str"
    )
    if results:
        _check_result(found, results[-1], "create_stream()")
        content = results[-1].content
        if chunks and isinstance(content, str):
            found.expect(
                "".join(map(str, chunks)) == content, "the streamed chunks do not join to the final content"
            )


async def _check_tokens(found: _Findings, client: ChatCompletionClient) -> None:
    count = client.count_tokens(LONG_PROMPT)
    remaining = client.remaining_tokens(LONG_PROMPT)
    found.expect(isinstance(count, int) and count >= 0, "count_tokens() must return a non-negative int")
    found.expect(
        isinstance(remaining, int) and remaining >= 0, "remaining_tokens() must return a non-negative int"
    )
    found.expect(client.count_tokens([]) <= count, "count_tokens() of no messages exceeds that of several")


async def check_chat_completion_client(make_client: Factory[ChatCompletionClient]) -> None:
    """Check a model client against the ChatCompletionClient contract.

    ``make_client()`` (sync or async) must return a fresh client that can answer at least three plain
    requests (a scripted client needs three text replies). Checks: ``model_info`` has every required
    key with the right type; ``create`` returns a valid CreateResult and ``total_usage`` grows by
    exactly its usage; ``create_stream`` yields str chunks then exactly one CreateResult, last, whose
    text the chunks join to; ``count_tokens`` / ``remaining_tokens`` return non-negative ints;
    ``close`` works. Raises AssertionError listing every broken rule.
    """
    client = await _make(make_client)
    found = _Findings(type(client).__name__)
    for check in (_check_model_info, _check_create, _check_stream, _check_tokens):
        try:
            await check(found, client)
        except Exception as exc:  # a crash is one more broken rule, reported with the others
            found.expect(
                False, f"{check.__name__.removeprefix('_check_')} raised {type(exc).__name__}: {exc}"
            )
    await client.close()
    found.raise_if_any()


async def _respond(agent: ChatAgent, text: str) -> tuple[Response, list[BaseAgentEvent | BaseChatMessage]]:
    streamed: list[BaseAgentEvent | BaseChatMessage | Response] = [
        item
        async for item in agent.on_messages_stream(
            [TextMessage(content=text, source="user")], CancellationToken()
        )
    ]
    responses = [s for s in streamed if isinstance(s, Response)]
    if len(responses) != 1 or not isinstance(streamed[-1], Response):
        raise AssertionError(
            f"on_messages_stream yielded {len(responses)} Responses; it must end with exactly one"
        )
    return streamed[-1], [s for s in streamed if not isinstance(s, Response)]


def _same(a: BaseChatMessage, b: BaseChatMessage) -> bool:
    return type(a) is type(b) and a.source == b.source and a.to_text() == b.to_text()


async def _check_identity(found: _Findings, make: Factory[ChatAgent]) -> None:
    agent = await _make(make)
    found.expect(isinstance(agent.name, str) and agent.name.isidentifier(), "name must be a valid identifier")
    found.expect(isinstance(agent.description, str), "description must be a str")
    types = list(agent.produced_message_types)
    found.expect(
        bool(types) and all(isinstance(t, type) and issubclass(t, BaseChatMessage) for t in types),
        "produced_message_types must list BaseChatMessage subclasses",
    )


async def _check_answers(found: _Findings, make: Factory[ChatAgent]) -> None:
    direct_agent, stream_agent = await _make(make), await _make(make)
    direct = await direct_agent.on_messages(
        [TextMessage(content="hello", source="user")], CancellationToken()
    )
    streamed, _ = await _respond(stream_agent, "hello")
    for label, response in (("on_messages", direct), ("on_messages_stream", streamed)):
        message = response.chat_message
        found.expect(isinstance(message, BaseChatMessage), f"{label} must answer with a chat message")
        found.expect(
            message.source == direct_agent.name, f"{label}'s answer must have the agent's name as source"
        )
        found.expect(
            isinstance(message, tuple(direct_agent.produced_message_types)),
            f"{label} answered with {type(message).__name__}, not one of produced_message_types",
        )
    found.expect(
        _same(direct.chat_message, streamed.chat_message), "on_messages and on_messages_stream disagree"
    )


async def _check_run(found: _Findings, make: Factory[ChatAgent]) -> None:
    agent = await _make(make)
    result = await agent.run(task="hello")
    found.expect(isinstance(result, TaskResult), "run() must return a TaskResult")
    found.expect(
        bool(result.messages) and result.messages[0].to_text() == "hello", "run() must start with the task"
    )
    items = [item async for item in (await _make(make)).run_stream(task="hello", output_task_messages=False)]
    found.expect(
        bool(items) and isinstance(items[-1], TaskResult), "run_stream() must end with the TaskResult"
    )
    found.expect(sum(isinstance(i, TaskResult) for i in items) == 1, "run_stream() must yield one TaskResult")
    if items and isinstance(items[-1], TaskResult):
        final = items[-1]
        found.expect(
            all(m.to_text() != "hello" or m.source != "user" for m in final.messages),
            "output_task_messages=False must leave the task out",
        )
        # Streamed chunks preview a message that follows; AutoGen leaves them out of the result.
        kept = [i for i in items[:-1] if not isinstance(i, ModelClientStreamingChunkEvent)]
        found.expect(list(final.messages) == kept, "run_stream()'s TaskResult must hold what it streamed")


async def _check_state(found: _Findings, make: Factory[ChatAgent]) -> None:
    fresh_state = await (await _make(make)).save_state()
    agent = await _make(make)
    await _respond(agent, "remember this")
    state = await agent.save_state()
    try:
        state = json.loads(json.dumps(state))
    except TypeError as exc:
        found.expect(False, f"save_state() must return JSON-serializable data: {exc}")
        return
    restored = await _make(make)
    await restored.load_state(state)
    found.expect(
        json.loads(json.dumps(await restored.save_state())) == state,
        "load_state(save_state()) changed the state",
    )
    await agent.on_reset(CancellationToken())
    found.expect(
        json.loads(json.dumps(await agent.save_state())) == json.loads(json.dumps(fresh_state)),
        "after on_reset the state differs from a fresh agent's",
    )
    await agent.close()


async def check_chat_agent(make_agent: Factory[ChatAgent]) -> None:
    """Check an agent against the ChatAgent contract.

    ``make_agent()`` (sync or async) must return a fresh agent each call, able to answer at least two
    turns (give each a fresh scripted model). Checks: ``name`` is an identifier and
    ``produced_message_types`` lists chat message types; ``on_messages`` and ``on_messages_stream``
    answer alike, the stream ending with exactly one Response whose message is from the agent and of a
    produced type; ``run`` starts with the task; ``run_stream`` ends with one TaskResult holding what it
    streamed (streaming chunks aside) and honours ``output_task_messages``; ``save_state`` is JSON and survives
    ``load_state`` into a fresh agent; ``on_reset`` returns the agent to its fresh state.

    Example:
        >>> import asyncio
        >>> from flowgen.testing.agent import ScriptedAgent
        >>> asyncio.run(check_chat_agent(lambda: ScriptedAgent("bot", ["hi", "again", "more"])))
    """
    found = _Findings("the agent")
    for check in (_check_identity, _check_answers, _check_run, _check_state):
        try:
            await check(found, make_agent)
        except Exception as exc:  # a crash is one more broken rule, reported with the others
            found.expect(
                False, f"{check.__name__.removeprefix('_check_')} raised {type(exc).__name__}: {exc}"
            )
    found.raise_if_any()


__all__ = ["check_chat_agent", "check_chat_completion_client"]
