"""AgentHost: the body of one Ray actor hosting many agents of one type (one shard of its keys).

The host builds its agents from the type's factory and runs their handlers. Each agent is bound to a
member RayAgentRuntime of the same job, so an agent's own ``send_message`` / ``publish_message``
reach agents in any actor, on any node. The driver (or a member) hands the host batches of envelopes
(one actor call for many messages); the host streams back an outcome per envelope as it finishes.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Callable

import ray

from flowgen.core.agent import Agent
from flowgen.core.cancellation import CancellationToken
from flowgen.core.ids import AgentId, TopicId
from flowgen.core.instantiation import AgentInstantiationContext, MessageHandlerContext
from flowgen.core.message_context import MessageContext
from flowgen.distributed.directory import Directory, stored_directory
from flowgen.distributed.runtime import RayAgentRuntime
from flowgen.distributed.saved_state import save_agent_state, saved_agent_state
from flowgen.distributed.wire import Envelope, Outcome, decode_value, encode_failure, encode_value


class AgentHost:
    """Hosts the agents of ``agent_type`` whose keys fall in this actor's shard."""

    def __init__(self, directory: Directory, agent_type: str) -> None:
        if ray.get_runtime_context().was_current_actor_reconstructed:
            # Recreated after a loss: the arguments are those of the first creation; the driver's
            # registrations and subscriptions since then are in the stored directory.
            directory = stored_directory(directory.runtime_name) or directory
        self._type = agent_type
        self._runtime_name = directory.runtime_name
        self._spec = directory.types[agent_type]
        self._runtime = RayAgentRuntime.member(directory)
        self._agents: dict[AgentId, Agent] = {}
        self._making: dict[AgentId, asyncio.Task[Agent]] = {}
        self._handling: dict[str, asyncio.Task[tuple[int, Outcome]]] = {}
        self._node = ray.get_runtime_context().get_node_id()

    def ping(self) -> str:
        """This actor's node: the driver asks it to know a recreated actor is up."""
        return self._node

    def update(self, directory: Directory) -> None:
        """Take the driver's latest registrations, subscriptions and serializers."""
        self._runtime.adopt(directory)

    # ---------------------------------------------------------------- agents

    async def _agent(self, agent_id: AgentId) -> Agent:
        agent = self._agents.get(agent_id)
        if agent is not None:
            return agent
        # Concurrent first messages to one key make one agent, not two.
        making = self._making.get(agent_id)
        if making is None:
            making = self._making[agent_id] = asyncio.ensure_future(self._make(agent_id))
        try:
            return await asyncio.shield(making)
        finally:
            if making.done():
                self._making.pop(agent_id, None)

    async def _make(self, agent_id: AgentId) -> Agent:
        if agent_id.type != self._type:
            raise LookupError(f"this actor hosts agents of type {self._type!r}, not {agent_id}")
        with AgentInstantiationContext.populate_context((self._runtime, agent_id)):
            made = self._spec.factory()
            agent: Agent = await made if inspect.isawaitable(made) else made
        expected = self._spec.expected_class
        if expected is not None and not isinstance(agent, expected):
            raise TypeError(
                f"the factory of {self._type!r} made a {type(agent).__name__}, not a {expected.__name__}"
            )
        await agent.bind_id_and_runtime(agent_id, self._runtime)
        if self._spec.placement.keep_state:
            saved = saved_agent_state(self._runtime_name, str(agent_id))
            if saved is not None:
                await agent.load_state(saved)
        self._agents[agent_id] = agent
        return agent

    # ---------------------------------------------------------------- delivery

    async def deliver_one(self, envelope: Envelope) -> Outcome:
        """One envelope alone in its batch: a plain call, cheaper than a streaming one."""
        return (await self._start(0, envelope))[1]

    async def deliver(self, batch: list[Envelope]) -> AsyncIterator[list[tuple[int, Outcome]]]:
        """Handle every envelope concurrently; yield outcomes (by index in the batch) as they finish.

        A streaming reply: a slow handler never holds back the replies of the others in its batch,
        and outcomes that finish together leave together.
        """
        pending = {self._start(i, envelope) for i, envelope in enumerate(batch)}
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                yield [task.result() for task in done]
        finally:
            for task in pending:
                task.cancel()

    def _start(self, index: int, envelope: Envelope) -> asyncio.Task[tuple[int, Outcome]]:
        task = asyncio.ensure_future(self._indexed(index, envelope))
        if envelope["rpc"]:
            self._handling[envelope["message_id"]] = task
            task.add_done_callback(self._forget(envelope["message_id"]))
        return task

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

    async def _one(self, envelope: Envelope) -> Outcome:
        try:
            message = decode_value(self._runtime.registry, envelope["body"])
            recipient = AgentId.from_str(envelope["recipient"])
            sender = AgentId.from_str(envelope["sender"]) if envelope["sender"] else None
            topic = TopicId.from_str(envelope["topic"]) if envelope["topic"] else None
            agent = await self._agent(recipient)
            ctx = MessageContext(sender, topic, envelope["rpc"], CancellationToken(), envelope["message_id"])
            with MessageHandlerContext.populate_context(recipient):
                reply = await agent.on_message(message, ctx)
            if self._spec.placement.keep_state:
                save_agent_state(self._runtime_name, str(recipient), await agent.save_state())
            return Outcome(body=encode_value(self._runtime.registry, reply if envelope["rpc"] else None))
        except Exception as exc:
            return Outcome(failure=encode_failure(exc, self._node))

    async def cancel(self, message_id: str) -> bool:
        """Cancel the handler of a send still running; returns once it has stopped (False if none ran)."""
        task = self._handling.get(message_id)
        if task is None:
            return False
        task.cancel()
        await asyncio.wait([task])
        return True

    # ---------------------------------------------------------------- state

    async def agent_call(self, operation: str, agent: str, state_json: str) -> str:
        """Metadata, save_state or load_state of one hosted agent, as JSON text."""
        found = await self._agent(AgentId.from_str(agent))
        if operation == "metadata":
            return json.dumps(dict(found.metadata))
        if operation == "save_state":
            return json.dumps(dict(await found.save_state()))
        if operation == "load_state":
            await found.load_state(json.loads(state_json))
            return "null"
        raise ValueError(f"unknown agent operation {operation!r}")

    async def save_all(self) -> str:
        """Every agent in memory here: its state by agent id, as JSON text."""
        return json.dumps(
            {str(agent_id): dict(await agent.save_state()) for agent_id, agent in self._agents.items()}
        )

    async def close(self) -> None:
        for agent in list(self._agents.values()):
            await agent.close()
