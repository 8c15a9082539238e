"""AgentHost: the body of one Ray actor hosting many agents of one type (one shard of its keys).

Inside, a SingleThreadedAgentRuntime builds the agents from the registered factory and runs their
handlers, so agents behave exactly as they do in one process. The driver hands the host batches of
envelopes (one actor call for many messages); the host answers each with a reply or a failure.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import ray

from flowgen.core.agent import Agent
from flowgen.core.cancellation import CancellationToken
from flowgen.core.ids import AgentId, AgentType, TopicId
from flowgen.core.instantiation import MessageHandlerContext
from flowgen.core.message_context import MessageContext
from flowgen.core.serialization import MessageSerializer, SerializationRegistry
from flowgen.core.single_threaded_runtime import SingleThreadedAgentRuntime
from flowgen.distributed.wire import Envelope, Outcome, decode_value, encode_failure, encode_value


class AgentHost:
    """Hosts the agents of ``agent_type`` whose keys fall in this actor's shard."""

    def __init__(
        self,
        agent_type: str,
        factory: Callable[[], Any],
        expected_class: type[Any] | None,
        serializers: Sequence[MessageSerializer[Any]],
    ) -> None:
        self._type = agent_type
        self._factory = factory
        self._expected_class = expected_class
        self._registry = SerializationRegistry()
        self._registry.add_serializer(list(serializers))
        self._runtime = SingleThreadedAgentRuntime()
        self._runtime.add_message_serializer(list(serializers))
        self._ready: asyncio.Task[None] | None = None
        self._handling: dict[str, asyncio.Task[tuple[int, Outcome]]] = {}
        self._node = ray.get_runtime_context().get_node_id()

    async def _ensure_ready(self) -> None:
        # The factory is registered on first use: __init__ of an async actor cannot await.
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_task(self._register())
        await self._ready

    async def _register(self) -> None:
        await self._runtime.register_factory(
            AgentType(self._type), self._factory, expected_class=self._expected_class
        )
        self._runtime.start()

    def add_serializers(self, serializers: Sequence[MessageSerializer[Any]]) -> None:
        self._registry.add_serializer(list(serializers))
        self._runtime.add_message_serializer(list(serializers))

    async def deliver_one(self, envelope: Envelope) -> Outcome:
        """One envelope alone in its batch: a plain call, cheaper than a streaming one."""
        await self._ensure_ready()
        task = asyncio.ensure_future(self._indexed(0, envelope))
        if envelope["rpc"]:
            self._handling[envelope["message_id"]] = task
            task.add_done_callback(self._forget(envelope["message_id"]))
        return (await task)[1]

    async def deliver(self, batch: list[Envelope]) -> AsyncIterator[list[tuple[int, Outcome]]]:
        """Handle every envelope concurrently; yield outcomes (by index in the batch) as they finish.

        A streaming reply: a slow handler never holds back the replies of the others in its batch,
        and outcomes that finish together leave together.
        """
        await self._ensure_ready()
        pending: set[asyncio.Task[tuple[int, Outcome]]] = set()
        for i, envelope in enumerate(batch):
            task = asyncio.ensure_future(self._indexed(i, envelope))
            pending.add(task)
            if envelope["rpc"]:
                self._handling[envelope["message_id"]] = task
                task.add_done_callback(self._forget(envelope["message_id"]))
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                yield [task.result() for task in done]
        finally:
            for task in pending:
                task.cancel()

    def _forget(self, message_id: str) -> Callable[[asyncio.Task[tuple[int, Outcome]]], None]:
        def forget(_: asyncio.Task[tuple[int, Outcome]]) -> None:
            self._handling.pop(message_id, None)

        return forget

    async def _indexed(self, index: int, envelope: Envelope) -> tuple[int, Outcome]:
        try:
            return index, await self._one(envelope)
        except asyncio.CancelledError:
            if asyncio.current_task().cancelling() > 1:  # type: ignore[union-attr]
                raise  # the actor itself is stopping, not just this call
            cancelled = asyncio.CancelledError(f"the caller cancelled the send to {envelope['recipient']}")
            return index, Outcome(failure=encode_failure(cancelled, self._node))

    async def cancel(self, message_id: str) -> bool:
        """Cancel the handler of a send still running; returns once it has stopped (False if none ran)."""
        task = self._handling.get(message_id)
        if task is None:
            return False
        task.cancel()
        await asyncio.wait([task])
        return True

    async def _one(self, envelope: Envelope) -> Outcome:
        try:
            message = decode_value(self._registry, envelope["body"])
            recipient = AgentId.from_str(envelope["recipient"])
            sender = AgentId.from_str(envelope["sender"]) if envelope["sender"] else None
            if envelope["rpc"]:
                reply = await self._runtime.send_message(
                    message, recipient, sender=sender, message_id=envelope["message_id"]
                )
            else:
                topic = TopicId.from_str(envelope["topic"] or "")
                await self._publish_to(recipient, message, sender, topic, envelope["message_id"])
                reply = None
            return Outcome(body=encode_value(self._registry, reply))
        except Exception as exc:
            return Outcome(failure=encode_failure(exc, self._node))

    async def _publish_to(
        self, recipient: AgentId, message: Any, sender: AgentId | None, topic: TopicId, message_id: str
    ) -> None:
        agent = await self._runtime.try_get_underlying_agent_instance(recipient, Agent)  # type: ignore[type-abstract]
        ctx = MessageContext(sender, topic, False, CancellationToken(), message_id)
        with MessageHandlerContext.populate_context(recipient):
            await agent.on_message(message, ctx)

    async def agent_call(self, operation: str, agent: str, state_json: str) -> str:
        """Metadata, save_state or load_state of one hosted agent, as JSON text."""
        await self._ensure_ready()
        agent_id = AgentId.from_str(agent)
        if operation == "metadata":
            metadata = await self._runtime.agent_metadata(agent_id)
            return json.dumps(dict(metadata))
        if operation == "save_state":
            return json.dumps(dict(await self._runtime.agent_save_state(agent_id)))
        if operation == "load_state":
            await self._runtime.agent_load_state(agent_id, json.loads(state_json))
            return "null"
        raise ValueError(f"unknown agent operation {operation!r}")

    async def close(self) -> None:
        if self._ready is not None:
            await self._ready
            await self._runtime.close()
