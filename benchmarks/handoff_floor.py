"""The least a swarm handoff can cost under the AgentChat API: its mandatory objects, and nothing else.

AgentChat's contract makes every handoff of an AssistantAgent leave the same observable trail, and
each piece of it is a pydantic model or dataclass the API names:

- in the agent's model context: the incoming chat messages as ``UserMessage``, the model's reply as
  an ``AssistantMessage`` and the tool result as a ``FunctionExecutionResultMessage``;
- in the run's result: a ``ToolCallRequestEvent``, a ``ToolCallExecutionEvent`` (holding the
  ``FunctionExecutionResult``) and the ``HandoffMessage``, answered in a ``Response``;
- one model call given a fresh list of the whole context.

This module builds exactly that with flowgen's own classes, around one loop that hands the floor
to the handoff's target and streams each message out of an async generator, as ``run_stream`` must.
Nothing else happens: no termination conditions, no trace, no graph, no cancellation, no checks. No
framework can do less and still keep the API, so its instruction count per handoff bounds how far any
AgentChat implementation can lead a peer that is not bound by that API (the harness's
``swarm_instructions`` scenario counts it next to the frameworks).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from benchmarks.frameworks import Outcome, Workload, speaker_names
from benchmarks.frameworks.flowgen_impl import _work
from flowgen.base import Response
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    TextMessage,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
)
from flowgen.models import (
    AssistantMessage,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
)

SYSTEM = "You are a helpful AI assistant."


class FloorAgent:
    """An agent that only does what the API requires of a handoff: the context, the call, the trail."""

    def __init__(self, name: str, target: str) -> None:
        self.name = name
        self.target = target
        self.model = _work.model(handoff_to=target)
        self.system: list[LLMMessage] = [SystemMessage(content=SYSTEM)]
        self.context: list[LLMMessage] = []

    async def hand_off(self, heard: Sequence[BaseChatMessage]) -> AsyncIterator[BaseAgentEvent | Response]:
        self.context.extend(m.to_model_message() for m in heard)
        result = await self.model.create([*self.system, *self.context])
        self.context.append(AssistantMessage(content=result.content, source=self.name))
        call = result.content[0]
        request = ToolCallRequestEvent(content=result.content, source=self.name, models_usage=result.usage)
        yield request
        done = FunctionExecutionResult(
            content=f"Transferred to {self.target}, adopting the role of {self.target} immediately.",
            name=call.name,
            call_id=call.id,
            is_error=False,
        )
        self.context.append(FunctionExecutionResultMessage(content=[done]))
        executed = ToolCallExecutionEvent(content=[done], source=self.name)
        yield executed
        handoff = HandoffMessage(content=done.content, source=self.name, target=self.target)
        yield Response(chat_message=handoff, inner_messages=[request, executed])


async def _stream(agents: dict[str, FloorAgent], first: str, handoffs: int) -> AsyncIterator[Any]:
    """The thread as it grows; each agent hears the chat messages others said since its last turn."""
    task = TextMessage(content="go", source="user")
    thread: list[BaseChatMessage] = [task]
    heard = dict.fromkeys(agents, 0)
    speaker, count = first, 0
    yield task
    while count < handoffs:
        agent = agents[speaker]
        async for item in agent.hand_off(thread[heard[speaker] :]):
            if isinstance(item, Response):
                message = item.chat_message
                assert isinstance(message, HandoffMessage)
                thread.append(message)
                heard[speaker] = len(thread)  # a speaker does not hear itself
                count += 1
                speaker = message.target
                yield message
            else:
                yield item


def version() -> str:
    """What the harness records in place of a framework's version."""
    return "AgentChat API floor"


async def swarm(agents: int, handoffs: int) -> Workload:
    """The floor's version of the harness's swarm workload: ``handoffs`` handoffs around a cycle."""
    names = speaker_names(agents)
    members = {n: FloorAgent(n, names[(i + 1) % agents]) for i, n in enumerate(names)}

    async def run() -> Outcome:
        said = [m async for m in _stream(members, names[0], handoffs)]
        return Outcome(count=sum(1 for m in said if isinstance(m, HandoffMessage)))

    return run
