"""ScriptedAgent: a chat agent that answers from a script, for tests and examples.

Each turn it says the next entry of its script: a string becomes a TextMessage from the agent, a
chat message is said as is (its source set to the agent), a Response is returned as is. It records
what it received in ``received`` (one list per turn) and fails with ReplayExhaustedError when asked
past the end of its script. ``gate`` (an asyncio.Event) makes every turn wait until it is set, which
lets tests hold an agent mid-turn without sleeping.

Example:
    >>> import asyncio
    >>> agent = ScriptedAgent("echo", ["first", "second"])
    >>> asyncio.run(agent.run(task="go")).messages[-1].to_text()
    'first'
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from flowgen.agents import BaseChatAgent
from flowgen.agents.base_chat_agent import final_response
from flowgen.base import Response
from flowgen.core import CancellationToken
from flowgen.errors import ReplayExhaustedError
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    StopMessage,
    TextMessage,
    ThoughtEvent,
)

ScriptEntry = str | BaseChatMessage | Response | BaseException


class ScriptedAgent(BaseChatAgent):
    """Answers each turn with the next script entry; an exception entry is raised on that turn.

    Args:
        name: the agent's name (a valid identifier).
        script: one entry per turn: text, a chat message, a Response, or an exception to raise.
        description: what the agent does, for selectors.
        thoughts: also stream a ThoughtEvent before each answer (an inner event observers see).
        gate: when given, every turn waits for this event before answering.
    """

    def __init__(
        self,
        name: str,
        script: Sequence[ScriptEntry],
        *,
        description: str = "A scripted agent.",
        thoughts: bool = False,
        gate: asyncio.Event | None = None,
    ) -> None:
        super().__init__(name, description)
        self.script = list(script)
        self.thoughts = thoughts
        self.gate = gate
        self.position = 0
        self.received: list[list[BaseChatMessage]] = []
        self.started = asyncio.Event()

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return (TextMessage, StopMessage, HandoffMessage)

    def _next_entry(self) -> ScriptEntry:
        if self.position >= len(self.script):
            raise ReplayExhaustedError(
                f"ScriptedAgent {self._name!r} was asked for turn {self.position + 1} but its script has "
                f"{len(self.script)} entries; add entries or stop the run earlier"
            )
        entry = self.script[self.position]
        self.position += 1
        return entry

    def _answer(self, entry: ScriptEntry) -> Response:
        if isinstance(entry, BaseException):
            raise entry
        if isinstance(entry, Response):
            return entry
        if isinstance(entry, str):
            return Response(chat_message=TextMessage(content=entry, source=self._name))
        return Response(chat_message=entry.model_copy(update={"source": self._name}))

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        return await final_response(self.on_messages_stream(messages, cancellation_token))

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        self.received.append(list(messages))
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        entry = self._next_entry()
        if self.thoughts:
            thought = ThoughtEvent(content=f"{self._name} thinks", source=self._name)
            yield thought
            response = self._answer(entry)
            yield Response(chat_message=response.chat_message, inner_messages=[thought])
            return
        yield self._answer(entry)

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        self.position = 0
        self.received.clear()

    async def on_pause(self, cancellation_token: CancellationToken) -> None:
        return None

    async def on_resume(self, cancellation_token: CancellationToken) -> None:
        return None

    async def save_state(self) -> Mapping[str, Any]:
        return {"type": "ScriptedAgentState", "position": self.position}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.position = int(state.get("position", 0))

    async def close(self) -> None:
        return None
