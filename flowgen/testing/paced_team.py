"""A team to serve under load: a writer and a critic whose scripted model answers after a set latency.

Each run's task names its number and its model latency (:func:`paced_task`), so every run of many
concurrent ones is deterministic and its transcript known in advance (:func:`paced_transcript`).
Serve it with ``flowgen serve`` on this file (it exposes ``build``), as the load test and the server
benchmarks do; a task naming no latency is answered at once.

Example:
    >>> import asyncio
    >>> task = paced_task(7, latency_ms=0)
    >>> result = asyncio.run(build().run(task=task))
    >>> [m.content for m in result.messages] == paced_transcript(task)
    True
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from flowgen.agents import AssistantAgent
from flowgen.models import CallInfo, ChatCompletionClient, FunctionChatCompletionClient, LLMMessage
from flowgen.teams import RoundRobinGroupChat

_TASK = re.compile(r"run (\d+) latency (\d+)")


def paced_task(run: int, latency_ms: int) -> str:
    """The task of run number ``run``, whose every model call takes ``latency_ms`` milliseconds."""
    return f"Review draft: run {run} latency {latency_ms}"


def paced_transcript(task: str) -> list[str]:
    """The contents of the messages a run of ``task`` gives: the task, the draft, the approval."""
    run = _parse(task)[0]
    return [task, _draft(run), _approval(run)]


def _parse(text: str) -> tuple[str, int]:
    found = _TASK.search(text)
    return (found.group(1), int(found.group(2))) if found else ("?", 0)


def _draft(run: str) -> str:
    return f"Draft {run}: the quick brown fox."


def _approval(run: str) -> str:
    return f"Draft {run} reads well. APPROVE"


def _paced(reply: str) -> FunctionChatCompletionClient:
    async def answer(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        run, latency_ms = next(
            (_parse(m.content) for m in messages if isinstance(m.content, str) and _TASK.search(m.content)),
            ("?", 0),
        )
        if latency_ms:
            await asyncio.sleep(latency_ms / 1000)  # the model's latency, not a wait for something
        return reply.format(run=run)

    return FunctionChatCompletionClient(answer)


def build(model_client: ChatCompletionClient | None = None) -> RoundRobinGroupChat:
    """The writer and critic (two model calls per run), each on ``model_client`` or the paced script."""
    writer = AssistantAgent("writer", model_client=model_client or _paced(_draft("{run}")))
    critic = AssistantAgent("critic", model_client=model_client or _paced(_approval("{run}")))
    return RoundRobinGroupChat([writer, critic], max_turns=2, name="paced")
