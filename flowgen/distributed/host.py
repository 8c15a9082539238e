"""AgentHost: the body of one Ray actor hosting many agents of one type (one shard of its keys).

The host builds its agents from the type's factory and runs their handlers. Each agent is bound to a
member RayAgentRuntime of the same job, so an agent's own ``send_message`` / ``publish_message``
reach agents in any actor, on any node. The driver (or a member) hands the host batches of envelopes
(one actor call for many messages); the host streams back an outcome per envelope as it finishes.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import ray

from flowgen.core.agent import Agent
from flowgen.core.cancellation import CancellationToken
from flowgen.core.ids import AgentId, TopicId
from flowgen.core.instantiation import AgentInstantiationContext, MessageHandlerContext
from flowgen.core.message_context import MessageContext
from flowgen.distributed.agent_state_store import AgentStates, open_agent_state_store
from flowgen.distributed.directory import Directory, stored_directory
from flowgen.distributed.eager import start_eagerly
from flowgen.distributed.in_process import InProcess
from flowgen.distributed.link_server import LinkServer
from flowgen.distributed.link_tls import link_tls_from_env
from flowgen.distributed.progress import set_progress_emitter
from flowgen.distributed.runtime import RayAgentRuntime
from flowgen.distributed.wire import Envelope, Outcome, decode_value, encode_failure, encode_value

_ID_CACHE = 100_000  # recipient strings whose parsed AgentId is kept
logger = logging.getLogger(__name__)


class AgentHost:
    """Hosts the agents of ``agent_type`` whose keys fall in this actor's shard."""

    def __init__(self, directory: Directory, agent_type: str, shard: int = 0) -> None:
        if ray.get_runtime_context().was_current_actor_reconstructed:
            # Recreated after a loss: the arguments are those of the first creation; the driver's
            # registrations and subscriptions since then are in the stored directory.
            directory = stored_directory(directory.runtime_name) or directory
        self._type = agent_type
        self._runtime_name = directory.runtime_name
        self._spec = directory.types[agent_type]
        # An agent's send to another agent of this actor is handled here, with no socket.
        self._here = InProcess(self)
        self._runtime = RayAgentRuntime.member(directory, ((agent_type, shard), self._here))
        self._agents: dict[AgentId, Agent] = {}
        self._making: dict[AgentId, asyncio.Task[Agent]] = {}
        self._handling: dict[str, asyncio.Task[tuple[int, Outcome]]] = {}
        # Sends cancelled before they arrived (Ray may start an async actor's calls out of order):
        # refused when they do arrive, so a cancelled send never runs late. Bounded, oldest first out.
        self._cancelled: dict[str, None] = {}
        self._node = ray.get_runtime_context().get_node_id()
        self._ids: dict[str, AgentId] = {}
        self._link: LinkServer | None = None
        # Where this actor keeps its agents' states (flowgen.distributed.agent_state_store).
        self._states = (
            AgentStates(open_agent_state_store(directory.state_store), directory.runtime_name)
            if self._spec.placement.keep_state
            else None
        )
        self._ray_envelopes = 0  # envelopes that came by Ray calls (the link counts its own)
        self._updates = 0  # directories the driver sent

    @property
    def node(self) -> str:
        return self._node

    def ping(self) -> str:
        """This actor's node: the driver asks it to know a recreated actor is up."""
        return self._node

    def update(self, directory: Directory) -> None:
        """Take the driver's latest registrations, subscriptions and serializers."""
        self._updates += 1
        self._runtime.adopt(directory)
        self._spec = directory.types[self._type]

    # ---------------------------------------------------------------- the direct link

    async def open_link(self) -> tuple[str, int, bytes] | None:
        """Open this actor's link server (once): its address on this node, its port and its token.

        Asked through Ray, whose channel is authenticated: the token travels only there. None when
        no server can listen here (the caller keeps using Ray calls). TLS when Ray's is on
        (link_tls.py); LinkTlsError when it is on but its files cannot be used.
        """
        if self._link is None:
            self._link = LinkServer(self)
        # TLS as the cluster's Ray (RAY_USE_TLS); a LinkTlsError (files missing) reaches the caller.
        tls = link_tls_from_env()
        try:
            return await self._link.open(
                ray.util.get_node_ip_address(),  # type: ignore[no-untyped-call]
                tls.server_context() if tls is not None else None,
            )
        except OSError as exc:
            logger.warning("no direct link server could listen on this node: %s", exc)
            return None

    def link_counts(self) -> dict[str, int]:
        """Envelopes received over the link, by Ray calls and from this actor's own agents (in
        process); link connections served and refused."""
        counts = dict(self._link.counts) if self._link is not None else {}
        return {
            "link_envelopes": counts.get("envelopes", 0),
            "link_connections": counts.get("connections", 0),
            "link_refused": counts.get("refused", 0),
            "ray_envelopes": self._ray_envelopes,
            "local_envelopes": self._here.envelopes,
        }

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
        if self._states is not None:
            saved = await self._states.load(str(agent_id))
            if saved is not None:
                await agent.load_state(saved)
        self._agents[agent_id] = agent
        return agent

    # ---------------------------------------------------------------- delivery

    async def deliver_one(self, envelope: Envelope) -> Outcome:
        """One envelope alone in its batch: a plain call, cheaper than a streaming one.

        Handled in the call's own task (no task of its own): ``cancel`` cancels that one.
        """
        self._ray_envelopes += 1
        message_id, task = envelope["message_id"], asyncio.current_task()
        cancellable = envelope["rpc"] and task is not None
        if cancellable:
            self._handling[message_id] = task  # type: ignore[assignment]
        try:
            return (await self._indexed(0, envelope))[1]
        finally:
            if cancellable:
                self._handling.pop(message_id, None)

    async def deliver(self, batch: list[Envelope]) -> AsyncIterator[list[tuple[int, Outcome]]]:
        """Handle every envelope concurrently; yield outcomes (by index in the batch) as they finish.

        A streaming reply: a slow handler never holds back the replies of the others in its batch,
        and outcomes that finish together leave together (one wake-up, one item, however many).
        Progress a handler pushes (envelopes that ask for it) leaves the same way, always ahead of
        that envelope's reply.
        """
        finished: list[tuple[int, Outcome]] = []
        woken = asyncio.Event()

        def push(index: int, chunk: bytes) -> None:
            finished.append((index, Outcome(progress=chunk)))
            woken.set()

        def collect(index: int, task: asyncio.Future[tuple[int, Outcome]]) -> None:
            # Every task reports exactly once, so the loop below always ends.
            error = asyncio.CancelledError("stopped") if task.cancelled() else task.exception()
            finished.append(task.result() if error is None else (index, self._failed(error)))
            woken.set()

        self._ray_envelopes += len(batch)
        tasks = [self.start(i, envelope, push) for i, envelope in enumerate(batch)]
        for i, task in enumerate(tasks):
            task.add_done_callback(functools.partial(collect, i))
        left = len(tasks)
        try:
            while left:
                await woken.wait()
                woken.clear()
                ready, finished = finished, []
                left -= sum(1 for _, outcome in ready if "progress" not in outcome)
                yield ready
        finally:
            for task in tasks:
                task.cancel()

    def _id(self, text: str) -> AgentId:
        """The AgentId a recipient string names (parsed once per agent, not once per message)."""
        agent_id = self._ids.get(text)
        if agent_id is None:
            agent_id = AgentId.from_str(text)
            if len(self._ids) < _ID_CACHE:
                self._ids[text] = agent_id
        return agent_id

    def _failed(self, error: BaseException) -> Outcome:
        return Outcome(failure=encode_failure(error, self._node))

    def start(
        self, index: int, envelope: Envelope, push: Callable[[int, bytes], None]
    ) -> asyncio.Future[tuple[int, Outcome]]:
        """Start handling ``envelope`` (eagerly, eager.py); a running send is registered for ``cancel``."""
        started = start_eagerly(self._indexed(index, envelope, push))
        if envelope["rpc"] and isinstance(started, asyncio.Task):  # still running: it can be cancelled
            self._handling[envelope["message_id"]] = started
            started.add_done_callback(self._forget(envelope["message_id"]))
        return started

    def _forget(self, message_id: str) -> Callable[[asyncio.Future[tuple[int, Outcome]]], None]:
        def forget(_: asyncio.Future[tuple[int, Outcome]]) -> None:
            self._handling.pop(message_id, None)

        return forget

    async def _indexed(
        self, index: int, envelope: Envelope, push: Callable[[int, bytes], None] | None = None
    ) -> tuple[int, Outcome]:
        if push is not None and envelope.get("progress"):  # set in this handler's own context (eager.py)
            set_progress_emitter(functools.partial(push, index))
        try:
            return index, await self._one(envelope)
        except asyncio.CancelledError:
            if asyncio.current_task().cancelling() > 1:  # type: ignore[union-attr]
                raise  # the actor itself is stopping, not just this call
            cancelled = asyncio.CancelledError(f"the caller cancelled the send to {envelope['recipient']}")
            return index, Outcome(failure=encode_failure(cancelled, self._node))

    async def _one(self, envelope: Envelope) -> Outcome:
        if envelope["message_id"] in self._cancelled:
            del self._cancelled[envelope["message_id"]]
            raise asyncio.CancelledError("the caller cancelled this send before it arrived")
        try:
            message = decode_value(self._runtime.registry, envelope["body"])
            sender = AgentId.from_str(envelope["sender"]) if envelope["sender"] else None
            topic = TopicId.from_str(envelope["topic"]) if envelope["topic"] else None
            recipients = envelope.get("recipients")
            if recipients is not None:
                return await self._publish(recipients, message, sender, topic, envelope["message_id"])
            recipient = self._id(envelope["recipient"])
            rpc = envelope["rpc"]
            reply = await self._handle(recipient, message, sender, topic, envelope["message_id"], rpc)
            return Outcome(body=encode_value(self._runtime.registry, reply if rpc else None))
        except Exception as exc:
            return Outcome(failure=encode_failure(exc, self._node))

    async def _publish(
        self, recipients: list[str], message: Any, sender: AgentId | None, topic: TopicId | None, mid: str
    ) -> Outcome:
        """Deliver one published message to every recipient here, concurrently; name the ones that failed."""
        ids = [self._id(recipient) for recipient in recipients]
        # Handlers that never wait finish here and now, without a task each (most of a delivery's
        # cost); the others go on concurrently in tasks of their own.
        started = [
            start_eagerly(self._handle(agent_id, message, sender, topic, mid, False)) for agent_id in ids
        ]
        if all(future.done() for future in started):
            results: list[Any] = [future.exception() or future.result() for future in started]
        else:
            results = await asyncio.gather(*started, return_exceptions=True)
        failed = {
            str(agent_id): encode_failure(result, self._node)
            for agent_id, result in zip(ids, results, strict=True)
            if isinstance(result, BaseException)
        }
        return Outcome(failed=failed) if failed else Outcome(body=encode_value(self._runtime.registry, None))

    async def _handle(
        self,
        recipient: AgentId,
        message: Any,
        sender: AgentId | None,
        topic: TopicId | None,
        message_id: str,
        rpc: bool,
    ) -> Any:
        agent = await self._agent(recipient)
        ctx = MessageContext(sender, topic, rpc, CancellationToken(), message_id)
        with MessageHandlerContext.populate_context(recipient):
            reply = await agent.on_message(message, ctx)
        if self._states is not None:
            await self._states.save(str(recipient), await agent.save_state())
        return reply

    async def cancel(self, message_id: str) -> bool:
        """Cancel the handler of a send still running; returns once it has stopped (False if none ran)."""
        task = self._handling.get(message_id)
        if task is None:
            self._cancelled[message_id] = None
            if len(self._cancelled) > 10_000:
                del self._cancelled[next(iter(self._cancelled))]
            return False
        task.cancel()
        await asyncio.wait([task])
        return True

    async def release(self, agents: list[str]) -> int:
        """Drop these agents (a released team's participants), closing them; how many were here.

        A send still on its way to one of them would make it again from its factory: the driver
        releases only participants no team can reach any more.
        """
        dropped = 0
        for text in agents:
            agent_id = AgentId.from_str(text)
            self._ids.pop(text, None)
            agent = self._agents.pop(agent_id, None)
            if agent is None:
                continue
            dropped += 1
            try:
                await agent.close()
            except Exception:  # one agent's close must not keep the others
                logger.exception("closing released agent %s failed", agent_id)
        return dropped

    def holding(self) -> dict[str, int]:
        """What this actor holds: agents in memory, recipes cached, the directory's size in bytes, and
        the directory updates it received."""
        from ray import cloudpickle

        from flowgen.distributed.recipes import cached_recipes

        return {
            "agents": len(self._agents),
            "recipes": cached_recipes(),
            "directory_bytes": len(cloudpickle.dumps(self._runtime._directory)),  # type: ignore[no-untyped-call]
            "updates": self._updates,
        }

    # ---------------------------------------------------------------- state

    async def agent_call(self, operation: str, agent: str, state_json: str) -> str:
        """Metadata, save_state or load_state of one hosted agent, as JSON text."""
        found = await self._agent(AgentId.from_str(agent))
        if operation == "metadata":
            return json.dumps(dict(found.metadata))
        if operation == "node":
            return json.dumps(self._node)
        if operation == "save_state":
            return json.dumps(dict(await found.save_state()))
        if operation == "load_state":
            await found.load_state(json.loads(state_json))
            if self._states is not None:  # a state loaded from outside is kept like a handler's
                await self._states.save(agent, await found.save_state())
            return "null"
        raise ValueError(f"unknown agent operation {operation!r}")

    async def save_all(self) -> str:
        """Every agent in memory here: its state by agent id, as JSON text."""
        return json.dumps(
            {str(agent_id): dict(await agent.save_state()) for agent_id, agent in self._agents.items()}
        )

    def deliveries(self) -> str:
        """The deliveries this actor's agents made since the last call, as JSON rows (they move)."""
        log = self._runtime.deliveries
        rows = [] if log is None else log.take_rows()
        return json.dumps(
            [
                [
                    kind,
                    began,
                    ended,
                    *(None if x is None else str(x) for x in ids),
                    type_name,
                    _error_name(error),
                ]
                for kind, began, ended, *ids, type_name, error in rows
            ]
        )

    async def close(self) -> None:
        """Close what this actor opened: its member runtime's links to other actors, its link server
        (ending the connections to it), then its agents. The driver asks this before ending the actor.
        """
        await self._runtime.close()
        if self._link is not None:
            await self._link.close()
        for agent in list(self._agents.values()):
            await agent.close()
        if self._states is not None:
            await self._states.aclose()


def _error_name(error: BaseException | str | None) -> str | None:
    return None if error is None else error if isinstance(error, str) else type(error).__name__
