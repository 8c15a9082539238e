"""Deterministic stand-ins for a real model, scripted per agent, so examples run offline.

A script is a list of turns. Turn ``k`` answers the agent's ``k``-th model call (counted per client,
so give each agent its own client); past the end the last turn repeats. A turn is plain text, a
:class:`Call` (or a list of them) to call tools, or a function of the task text returning either —
so one script can tell different stories for different tasks.

Example:
    >>> import asyncio
    >>> from flowgen.models import UserMessage
    >>> model = scripted("first draft", "second draft")
    >>> ask = [UserMessage(content="write", source="user")]
    >>> [asyncio.run(model.create(ask)).content for _ in range(3)]
    ['first draft', 'second draft', 'second draft']
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowgen.core import FunctionCall
from flowgen.models import (
    AssistantMessage,
    CallInfo,
    CreateResult,
    FunctionChatCompletionClient,
    LLMMessage,
    RequestUsage,
    UserMessage,
)


@dataclass(frozen=True, slots=True)
class Call:
    """A tool call a scripted turn makes: the tool's name, its arguments, and what the model says alongside.

    ``say`` becomes the reply's thought (shown as a ThoughtEvent), as when a real model explains
    itself before calling a tool or handing off.
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    say: str = ""


Reply = str | Call | Sequence[Call]
Turn = Reply | Callable[[str], Reply]


def scripted(*turns: Turn, agent: str | None = None) -> FunctionChatCompletionClient:
    """A model answering its ``k``-th call with ``turns[k]`` (the last turn once they run out).

    With ``agent``, ``k`` is how many replies of that agent the conversation already holds, not how
    many calls this client has answered: a team rebuilt from a saved thread (as ``flowgen serve``
    builds one for every run) picks its script up where the thread left off.
    """
    if not turns:
        raise ValueError("scripted() needs at least one turn")

    def answer(messages: Sequence[LLMMessage], info: CallInfo) -> CreateResult | str:
        index = info.call_index if agent is None else _replies_of(agent, messages)
        turn = turns[min(index, len(turns) - 1)]
        reply = turn(task_text(messages)) if callable(turn) else turn
        return _result(reply, index)

    return FunctionChatCompletionClient(answer)


def _replies_of(agent: str, messages: Sequence[LLMMessage]) -> int:
    return sum(isinstance(m, AssistantMessage) and m.source == agent for m in messages)


def task_text(messages: Sequence[LLMMessage]) -> str:
    """The first user message's text: the task the team was given."""
    for message in messages:
        if isinstance(message, UserMessage) and isinstance(message.content, str):
            return message.content
    return ""


def _result(reply: Reply, index: int) -> CreateResult | str:
    if isinstance(reply, str):
        return reply
    calls = [reply] if isinstance(reply, Call) else list(reply)
    content = [
        FunctionCall(id=f"call_{index}_{i}", name=c.name, arguments=json.dumps(c.arguments))
        for i, c in enumerate(calls)
    ]
    thought = " ".join(c.say for c in calls if c.say) or None
    usage = RequestUsage(8, 4 * len(calls))
    return CreateResult(finish_reason="function_calls", content=content, usage=usage, thought=thought)
