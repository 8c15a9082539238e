"""Interrupting a team at every point, and checking that it resumes as if nothing had happened.

A team's step is a transaction: cancelled or failed, it leaves the team exactly as before the step,
so running the team again continues the conversation an uninterrupted run would have had.
:func:`check_interruptions` tests that for one :class:`Scenario`:

- for every ``k``, it stops the run after the ``k``-th streamed item, three ways: cancelling the
  CancellationToken, cancelling the consuming task (delivered while the engine works), and breaking
  out of the ``async for`` (the stream is dropped, and the next call must just work);
- for every ``k``, it makes the ``k``-th model call fail;
- after each, it continues the run — with the same team, and with its state saved, sent through
  JSON and loaded into a fresh team — and checks that the prompts of the continuation are the
  uninterrupted run's prompts (so none repeats the task or holds a tool call without its result),
  that the messages shown before the interruption (those that were kept) and after it are the
  uninterrupted run's messages, each kept message shown exactly once, and that the team ends in the
  uninterrupted run's state.

The models are :class:`ModelLog` clients: their replies are a function of the prompt, so a call
made again after an interruption gets the same reply.

Example:
    >>> import asyncio
    >>> from flowgen.agents import AssistantAgent
    >>> from flowgen.teams import RoundRobinGroupChat
    >>> def build(log: ModelLog) -> RoundRobinGroupChat:
    ...     agents = [AssistantAgent(n, log.client(), system_message=f"You are {n}.") for n in ("a", "b")]
    ...     return RoundRobinGroupChat(agents, max_turns=3)
    >>> asyncio.run(check_interruptions(Scenario("pair", build, "Plan a trip."))) > 0
    True
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flowgen.base import TaskResult, Team
from flowgen.core import CancellationToken, FunctionCall
from flowgen.errors import InjectedModelError
from flowgen.messages import BaseAgentEvent, BaseChatMessage, ModelClientStreamingChunkEvent
from flowgen.models import (
    CreateResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
    SystemMessage,
)
from flowgen.models.function import CallInfo, FunctionChatCompletionClient

Item = BaseAgentEvent | BaseChatMessage
Way = Literal["token", "task", "break", "model"]
#: Every way to interrupt a run: the token, the consuming task, dropping the stream, a failing model.
ALL_WAYS: tuple[Way, ...] = ("token", "task", "break", "model")
#: A reply computed from the prompt and what the agent offers (tools, output type).
ReplyFn = Callable[[Sequence[LLMMessage], CallInfo], "CreateResult | str"]


def _digest(messages: Sequence[LLMMessage]) -> int:
    digest = hashlib.sha256()
    for message in messages:
        digest.update(message.model_dump_json().encode())
    return int.from_bytes(digest.digest()[:8], "big")


def _speaker(messages: Sequence[LLMMessage]) -> str:
    """Who is asked: the name in the system message ("You are NAME."), else "model"."""
    for message in messages:
        if isinstance(message, SystemMessage) and message.content.startswith("You are "):
            return message.content.removeprefix("You are ").split(".")[0]
    return "model"


def conversation_reply(messages: Sequence[LLMMessage], info: CallInfo) -> CreateResult | str:
    """A reply computed from the prompt: sometimes a tool call (when tools are offered), else text.

    The first tool offered is called with the prompt's length as argument; a handoff tool
    (``transfer_to_...``) is called instead when the digest says so. A prompt that ends with tool
    results gets text, so every tool loop ends.
    """
    n = len(messages)
    pick = _digest(messages)
    last = messages[-1] if messages else None
    tools = info.tool_names
    if tools and not isinstance(last, FunctionExecutionResultMessage) and pick % 3 == 0:
        handoffs = [t for t in tools if t.startswith("transfer_to_")]
        plain = [t for t in tools if not t.startswith("transfer_to_")]
        use_handoff = bool(handoffs) and (not plain or (pick // 3) % 2 == 0)
        name = handoffs[pick % len(handoffs)] if use_handoff else plain[0]
        call = FunctionCall(id=f"call_{n}_{pick % 1000}", name=name, arguments=json.dumps({"n": n}))
        return CreateResult(finish_reason="function_calls", content=[call], usage=RequestUsage(n, 1))
    return f"{_speaker(messages)} says {pick % 997} after {n} messages"


@dataclass
class ModelLog:
    """Deterministic model clients for one team, every prompt they are sent, and a fault to inject.

    Attributes:
        prompts: each call's prompt, as JSON-ready dicts, in call order (failed calls included).
        calls: how many calls were made.
        fail_at: the call (1-based) that raises InjectedModelError, once; None for none.
        pause: await this many loop turns in every call, so that cancellation can land mid-call.
    """

    prompts: list[list[dict[str, Any]]] = field(default_factory=list)
    calls: int = 0
    fail_at: int | None = None
    pause: int = 1

    def client(self, reply: ReplyFn = conversation_reply) -> FunctionChatCompletionClient:
        """A model client answering with ``reply(messages, info)`` and recording into this log."""

        async def answer(messages: Sequence[LLMMessage], info: CallInfo) -> CreateResult | str:
            self.calls += 1
            call = self.calls
            self.prompts.append([m.model_dump(mode="json") for m in messages])
            for _ in range(self.pause):
                await asyncio.sleep(0)  # a point where a cancellation is delivered mid-call
            if self.fail_at == call:
                self.fail_at = None
                raise InjectedModelError(f"model call {call} failed (injected by the test)")
            return reply(messages, info)

        return FunctionChatCompletionClient(answer)


@dataclass(frozen=True)
class Scenario:
    """A team to interrupt: ``build(log)`` makes a fresh one whose models come from ``log``.

    ``task`` starts the uninterrupted run; the run ends by the team's own stop (a termination
    condition or ``max_turns``), which must come before any model call is repeated forever.
    """

    name: str
    build: Callable[[ModelLog], Team]
    task: str


#: The name :mod:`flowgen.testing` exports it under.
InterruptScenario = Scenario


@dataclass
class _Outcome:
    shown: list[Item]  # every item, streamed chunks included
    result: TaskResult
    prompts: list[list[dict[str, Any]]]
    state: Mapping[str, Any]

    @property
    def kept(self) -> list[Item]:
        """What was shown and kept in the thread."""
        ids = {m["id"] for m in self.state["run_state"]["thread"]}
        return [m for m in self.shown if m.id in ids]


def _visible(items: Sequence[Item]) -> list[Item]:
    return [m for m in items if not isinstance(m, ModelClientStreamingChunkEvent)]


def _text(items: Sequence[Item]) -> list[tuple[str, str, str]]:
    return [(type(m).__name__, m.source, m.to_text()) for m in items]


_VOLATILE = frozenset({"id", "created_at", "full_message_id", "request_id"})


def _normal(value: Any) -> Any:
    """A saved state without what differs between equal runs (message ids and times)."""
    if isinstance(value, Mapping):
        return {k: _normal(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


async def _reference(scenario: Scenario) -> _Outcome:
    log = ModelLog()
    team = scenario.build(log)
    shown: list[Item] = []
    result: TaskResult | None = None
    async for item in team.run_stream(task=scenario.task):
        if isinstance(item, TaskResult):
            result = item
        else:
            shown.append(item)
    assert result is not None
    return _Outcome(shown, result, log.prompts, await team.save_state())


async def _interrupt(
    team: Team, scenario: Scenario, way: Way, k: int, log: ModelLog
) -> list[Item | TaskResult]:
    """Run until the interruption; return what was shown (a TaskResult in it: the run ended first)."""
    shown: list[Item | TaskResult] = []
    if way == "model":
        log.fail_at = k
        try:
            async for item in team.run_stream(task=scenario.task):
                shown.append(item)
        except InjectedModelError:
            return shown
        raise AssertionError(f"model call {k} was never made, so it could not fail")
    if way == "break":
        async for item in team.run_stream(task=scenario.task):
            shown.append(item)
            if len(shown) == k:
                break
        return shown
    if way == "token":
        token = CancellationToken()
        try:
            async for item in team.run_stream(task=scenario.task, cancellation_token=token):
                shown.append(item)
                if len(shown) == k:
                    token.cancel()
        except asyncio.CancelledError:
            return shown
        raise AssertionError(f"the run was not cancelled after item {k}")

    async def consume() -> None:
        async for item in team.run_stream(task=scenario.task):
            shown.append(item)
            if len(shown) == k:
                # Delivered at the engine's next await, in the middle of its work.
                asyncio.current_task().cancel()  # type: ignore[union-attr]

    async with asyncio.TaskGroup() as group:
        group.create_task(consume())
    return shown


async def _case(scenario: Scenario, reference: _Outcome, way: Way, k: int, reload: bool) -> None:
    log = ModelLog()
    team = scenario.build(log)
    interrupted = await _interrupt(team, scenario, way, k, log)
    if any(isinstance(m, TaskResult) for m in interrupted):
        return  # the run ended before the interruption could land: nothing to resume
    shown = _visible([m for m in interrupted if not isinstance(m, TaskResult)])
    if reload:
        state = json.loads(json.dumps(await team.save_state()))
        log = ModelLog()
        team = scenario.build(log)
        await team.load_state(state)
    first_prompt = len(log.prompts)
    result = await team.run()
    final = await team.save_state()
    where = f"{scenario.name}: interrupted by {way} at {k}{', state reloaded' if reload else ''}"
    prompts = log.prompts[first_prompt:]
    for prompt in prompts:
        check_prompt(prompt, scenario.task, where)
    expected = reference.prompts[len(reference.prompts) - len(prompts) :] if prompts else []
    if prompts != expected:
        raise AssertionError(f"{where}: the prompts after resuming differ from the uninterrupted run's")
    # Compared: the messages a run keeps in its thread (passing notices, such as a user proxy's
    # input request, are shown again when their step runs again).
    kept_ids = {m["id"] for m in final["run_state"]["thread"]}
    continued = [m for m in shown if m.id in kept_ids] + [m for m in result.messages if m.id in kept_ids]
    if _text(continued) != _text(reference.kept):
        raise AssertionError(
            f"{where}: the transcript differs from the uninterrupted run's\n"
            f"  got:      {_text(continued)}\n  expected: {_text(reference.kept)}"
        )
    counts: dict[str, int] = {}
    for m in continued:
        counts[m.id] = counts.get(m.id, 0) + 1
    twice = [i for i, n in counts.items() if n > 1]
    if twice or not kept_ids <= set(counts):
        raise AssertionError(f"{where}: a kept message was shown {'twice' if twice else 'never'}")
    if result.stop_reason != reference.result.stop_reason:
        raise AssertionError(
            f"{where}: stopped with {result.stop_reason!r}, expected {reference.result.stop_reason!r}"
        )
    if _normal(final) != _normal(reference.state):
        raise AssertionError(
            f"{where}: the team's final state differs from the uninterrupted run's at "
            f"{_first_difference(_normal(final), _normal(reference.state))}"
        )


def _first_difference(got: Any, expected: Any, path: str = "state") -> str:
    if isinstance(got, dict) and isinstance(expected, dict):
        for key in sorted(set(got) | set(expected), key=str):
            if got.get(key) != expected.get(key):
                return _first_difference(got.get(key), expected.get(key), f"{path}[{key!r}]")
    if isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected):
        for index, (a, b) in enumerate(zip(got, expected, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{index}]")
    return f"{path}: {got!r} != {expected!r}"


def check_prompt(prompt: Sequence[Mapping[str, Any]], task: str | None = None, where: str = "prompt") -> None:
    """Raise AssertionError unless ``prompt`` (dumped LLM messages) is one a chat API accepts.

    The task (when given) is in at most one user message, and every tool call is followed at once
    by the results of all its calls.
    """
    if task is not None:
        copies = sum(1 for m in prompt if m.get("type") == "UserMessage" and m.get("content") == task)
        if copies > 1:
            raise AssertionError(f"{where}: a prompt holds the task {copies} times")
    for index, message in enumerate(prompt):
        content = message.get("content")
        if message.get("type") != "AssistantMessage" or not isinstance(content, list):
            continue
        ids = {call["id"] for call in content}
        following = prompt[index + 1] if index + 1 < len(prompt) else None
        answered = (
            {r["call_id"] for r in following["content"]}
            if following is not None and following.get("type") == "FunctionExecutionResultMessage"
            else set()
        )
        if not ids <= answered:
            raise AssertionError(
                f"{where}: a prompt holds tool calls {sorted(ids - answered)} without results"
            )


async def check_interruptions(
    scenario: Scenario, *, ways: Sequence[Way] = ALL_WAYS, reload: Sequence[bool] = (False, True)
) -> int:
    """Interrupt ``scenario`` at every point, every way; check each continuation. Returns the cases run.

    Raises AssertionError naming the scenario, the way, the point and whether the state was
    reloaded, at the first continuation that differs from the uninterrupted run.
    """
    reference = await _reference(scenario)
    for prompt in reference.prompts:
        check_prompt(prompt, scenario.task, f"{scenario.name}: uninterrupted run")
    cases = 0
    for way in ways:
        points = len(reference.prompts) if way == "model" else len(reference.shown)
        for k in range(1, points + 1):
            for again in reload:
                await _case(scenario, reference, way, k, again)
                cases += 1
    return cases


__all__ = [
    "ALL_WAYS",
    "InjectedModelError",
    "InterruptScenario",
    "ModelLog",
    "Scenario",
    "check_interruptions",
    "check_prompt",
    "conversation_reply",
]
