"""RayAgentRuntime: the AgentRuntime protocol over a Ray cluster.

The driver (this object) keeps the subscriptions and the serializers; each registered agent type
lives in Ray actors (AgentHost), one per shard of its keys, placed by the type's Placement. Sends
and publishes leave as JSON envelopes, batched per actor; replies and failures come back the same
way. Agents reach each other through the driver's runtime only when they share an actor (see
docs/distributed.md for what is built and what is not).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import ray
from ray.exceptions import RayError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from flowgen.core.cancellation import CancellationToken
from flowgen.core.ids import AgentId, AgentMetadata, AgentType, TopicId
from flowgen.core.serialization import (
    MessageSerializer,
    SerializationRegistry,
    try_get_known_serializers_for_type,
)
from flowgen.distributed.host import AgentHost
from flowgen.distributed.outbox import Outbox
from flowgen.distributed.placement import Placement
from flowgen.distributed.wire import Envelope, ExceptionTypes, Outcome, decode_value, encode_value
from flowgen.errors import (
    AgentUnavailableError,
    ConfigurationError,
    NotAccessibleError,
    UndeliverableException,
)

if TYPE_CHECKING:
    from flowgen.core.agent import Agent
    from flowgen.core.subscriptions import Subscription

T = TypeVar("T", bound="Agent")
logger = logging.getLogger(__name__)


class _AgentTypeEntry:
    __slots__ = ("expected_class", "factory", "hosts", "placement")

    def __init__(
        self, factory: Callable[[], Any], expected_class: type[Any] | None, placement: Placement
    ) -> None:
        self.factory = factory
        self.expected_class = expected_class
        self.placement = placement
        self.hosts: dict[int, tuple[Any, Outbox]] = {}


class RayAgentRuntime:
    """Agents hosted by Ray actors on any node of a cluster.

    ``address`` is a cluster address (``"auto"``, ``"127.0.0.1:6379"``, ``"ray://..."``) or None to
    start a local Ray in this process. If Ray is already initialised in this process, it is used as is
    and left running on close. ``placements`` gives agent types their Placement (also settable per
    registration).
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        placements: Mapping[str, Placement] | None = None,
        init_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._address = address
        self._init_options = dict(init_options or {})
        self._placements = dict(placements or {})
        self._types: dict[str, _AgentTypeEntry] = {}
        self._subscriptions: list[Subscription] = []
        self._registry = SerializationRegistry()
        self._serializers: list[MessageSerializer[Any]] = []
        self._exceptions = ExceptionTypes()
        self._in_flight: set[asyncio.Future[Outcome]] = set()
        self._owns_ray = False
        self._started = False

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Connect to the cluster (or start a local Ray). Blocks while Ray connects."""
        if self._started:
            raise RuntimeError("the runtime is already started")
        if not ray.is_initialized():
            ray.init(address=self._address, **self._init_options)
            self._owns_ray = True
        self._started = True

    async def stop(self) -> None:
        """Stop at once: calls in flight are cancelled; the host actors are ended."""
        if not self._started:
            raise RuntimeError("the runtime is not started")
        self._started = False
        for entry in self._types.values():
            for handle, outbox in entry.hosts.values():
                await outbox.close()
                ray.kill(handle, no_restart=True)
            entry.hosts.clear()

    async def wait_until_idle(self) -> None:
        """Wait until every send and publish made from this process so far has been handled."""
        while self._in_flight:
            await asyncio.wait(list(self._in_flight))

    async def stop_when_idle(self) -> None:
        """Wait until every send and publish made from this process has been handled, then stop."""
        await self.wait_until_idle()
        await self.stop()

    async def close(self) -> None:
        """Stop (if started) and disconnect from Ray if this runtime connected."""
        if self._started:
            await self.stop()
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False

    # ---------------------------------------------------------------- registration

    async def register_factory(
        self,
        type: str | AgentType,
        agent_factory: Callable[[], T | Awaitable[T]],
        *,
        expected_class: type[T] | None = None,
        placement: Placement | None = None,
    ) -> AgentType:
        name = type.type if isinstance(type, AgentType) else type
        if name in self._types:
            raise ValueError(f"agent type {name!r} is already registered")
        chosen = placement or self._placements.get(name) or Placement()
        self._types[name] = _AgentTypeEntry(agent_factory, expected_class, chosen)
        if expected_class is not None:
            # The replies come back here: learn their serializers from the handlers' return types.
            self.add_message_serializer(_reply_serializers(expected_class))
        return AgentType(name)

    async def register_agent_instance(self, agent_instance: Agent, agent_id: AgentId) -> AgentId:
        raise NotAccessibleError(
            "a RayAgentRuntime hosts agents in Ray actors built from a factory: use register_factory "
            "(or BaseAgent.register) instead of register_agent_instance"
        )

    async def try_get_underlying_agent_instance(self, id: AgentId, type: type[T] = ...) -> T:  # type: ignore[assignment]
        raise NotAccessibleError(f"agent {id} lives in a Ray actor; this process holds no instance of it")

    async def get(
        self, id_or_type: AgentId | AgentType | str, /, key: str = "default", *, lazy: bool = True
    ) -> AgentId:
        if isinstance(id_or_type, AgentId):
            return id_or_type
        name = id_or_type.type if isinstance(id_or_type, AgentType) else id_or_type
        return AgentId(name, key)

    def add_message_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        added = list(serializer) if isinstance(serializer, Sequence) else [serializer]
        self._registry.add_serializer(added)
        self._serializers.extend(added)
        for entry in self._types.values():
            for handle, _ in entry.hosts.values():
                handle.add_serializers.remote(added)

    def add_exception_type(self, cls: type[BaseException]) -> None:
        """Let exceptions of ``cls`` raised by remote agents come back as themselves."""
        self._exceptions.add(cls)

    async def add_subscription(self, subscription: Subscription) -> None:
        if any(s.id == subscription.id for s in self._subscriptions):
            raise ValueError(f"a subscription with id {subscription.id!r} already exists")
        self._subscriptions.append(subscription)

    async def remove_subscription(self, id: str) -> None:
        for i, subscription in enumerate(self._subscriptions):
            if subscription.id == id:
                del self._subscriptions[i]
                return
        raise LookupError(f"no subscription with id {id!r}")

    # ---------------------------------------------------------------- hosts

    def _outbox_for(self, agent_id: AgentId) -> Outbox:
        if not self._started:
            raise RuntimeError("the runtime is not started: call runtime.start() first")
        entry = self._types.get(agent_id.type)
        if entry is None:
            raise UndeliverableException(f"no agent type {agent_id.type!r} is registered")
        shard = entry.placement.shard_of(agent_id.key)
        host = entry.hosts.get(shard)
        if host is None:
            handle = self._make_host(agent_id.type, entry)
            outbox = Outbox(
                handle.deliver.options(num_returns="streaming").remote,
                handle.deliver_one.remote,
                self._unavailable,
            )
            host = entry.hosts[shard] = (handle, outbox)
        return host[1]

    def _make_host(self, name: str, entry: _AgentTypeEntry) -> Any:
        placement = entry.placement
        options: dict[str, Any] = {
            "num_cpus": placement.num_cpus,
            "max_restarts": placement.max_restarts,
            "max_task_retries": 0,  # at-most-once: a call in flight when the actor dies fails
        }
        if placement.resources:
            options["resources"] = dict(placement.resources)
        if placement.node_id is not None:
            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(placement.node_id, soft=False)
        actor_class = ray.remote(AgentHost)
        return actor_class.options(**options).remote(
            name, entry.factory, entry.expected_class, list(self._serializers)
        )

    def _unavailable(self, exc: BaseException, envelope: Envelope) -> BaseException:
        if isinstance(exc, RayError):
            error = AgentUnavailableError(
                f"agent {envelope['recipient']} is unavailable: the Ray actor hosting it died or cannot "
                f"be reached ({type(exc).__name__}); the call may not have run",
                agent=envelope["recipient"],
            )
            error.__cause__ = exc
            return error
        return exc

    # ---------------------------------------------------------------- messaging

    def _envelope(
        self, message: Any, recipient: AgentId, sender: AgentId | None, topic: TopicId | None, message_id: str
    ) -> Envelope:
        return Envelope(
            rpc=topic is None,
            recipient=str(recipient),
            sender=str(sender) if sender is not None else None,
            topic=str(topic) if topic is not None else None,
            message_id=message_id,
            body=encode_value(self._registry, message),
        )

    def _track(self, future: asyncio.Future[Outcome]) -> asyncio.Future[Outcome]:
        self._in_flight.add(future)
        future.add_done_callback(self._in_flight.discard)
        return future

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Deliver ``message`` to ``recipient`` on whatever node hosts it and return its reply."""
        if not isinstance(recipient, AgentId):
            raise TypeError(f"recipient must be an AgentId, not {recipient!r}")
        if cancellation_token is not None and cancellation_token.is_cancelled():
            raise asyncio.CancelledError(f"the send to {recipient} was cancelled before delivery")
        outbox = self._outbox_for(recipient)
        envelope = self._envelope(message, recipient, sender, None, message_id or uuid.uuid4().hex)
        future = self._track(outbox.put(envelope))
        if cancellation_token is not None:
            cancellation_token.link_future(future)
        try:
            outcome = await future
        except asyncio.CancelledError:
            # The caller gave up: stop the remote handler too, and return only once it has stopped.
            await self._cancel_remote(recipient, envelope["message_id"])
            raise
        if "failure" in outcome:
            raise self._exceptions.rebuild(outcome["failure"], str(recipient))
        return decode_value(self._registry, outcome["body"])

    async def _cancel_remote(self, recipient: AgentId, message_id: str) -> None:
        entry = self._types[recipient.type]
        host = entry.hosts.get(entry.placement.shard_of(recipient.key))
        if host is None:
            return
        with contextlib.suppress(RayError):
            await host[0].cancel.remote(message_id)

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> None:
        """Queue ``message`` for every subscriber of ``topic_id`` (never the sender); returns at once."""
        if not self._started:
            raise RuntimeError("the runtime is not started: call runtime.start() first")
        recipients = {s.map_to_agent(topic_id) for s in self._subscriptions if s.is_match(topic_id)}
        recipients.discard(sender)  # type: ignore[arg-type]
        mid = message_id or uuid.uuid4().hex
        for recipient in sorted(recipients, key=str):
            if recipient.type not in self._types:
                logger.warning("publish to %s: no agent type %r is registered", topic_id, recipient.type)
                continue
            future = self._track(
                self._outbox_for(recipient).put(self._envelope(message, recipient, sender, topic_id, mid))
            )
            future.add_done_callback(_log_publish_failure(str(recipient)))

    # ---------------------------------------------------------------- state

    async def _agent_call(
        self, operation: str, agent: AgentId, state: Mapping[str, Any] | None = None
    ) -> Any:
        self._outbox_for(agent)  # makes the host if needed and checks the type
        entry = self._types[agent.type]
        handle, _ = entry.hosts[entry.placement.shard_of(agent.key)]
        try:
            text = await handle.agent_call.remote(operation, str(agent), json.dumps(state or {}))
        except RayError as exc:
            raise AgentUnavailableError(
                f"agent {agent} is unavailable: its Ray actor died or cannot be reached", agent=str(agent)
            ) from exc
        return json.loads(text)

    async def agent_metadata(self, agent: AgentId) -> AgentMetadata:
        found = await self._agent_call("metadata", agent)
        return AgentMetadata(type=found["type"], key=found["key"], description=found["description"])

    async def agent_save_state(self, agent: AgentId) -> Mapping[str, Any]:
        state: Mapping[str, Any] = await self._agent_call("save_state", agent)
        return state

    async def agent_load_state(self, agent: AgentId, state: Mapping[str, Any]) -> None:
        await self._agent_call("load_state", agent, state)

    async def save_state(self) -> Mapping[str, Any]:
        raise ConfigurationError(
            "RayAgentRuntime.save_state is not built yet: save agents one by one with agent_save_state"
        )

    async def load_state(self, state: Mapping[str, Any]) -> None:
        raise ConfigurationError(
            "RayAgentRuntime.load_state is not built yet: load agents one by one with agent_load_state"
        )


def _reply_serializers(agent_class: type[Any]) -> list[MessageSerializer[Any]]:
    """Serializers for every type the class's handlers (inherited ones too) declare they return."""
    return [
        serializer
        for klass in agent_class.__mro__
        for attribute in vars(klass).values()
        for produced in getattr(attribute, "produces_types", ())
        for serializer in try_get_known_serializers_for_type(produced)
    ]


def _log_publish_failure(recipient: str) -> Callable[[asyncio.Future[Outcome]], None]:
    def check(future: asyncio.Future[Outcome]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            logger.error("publish to %s failed: %s", recipient, error)
        elif "failure" in future.result():
            failure = future.result()["failure"]
            logger.error(
                "publish handler of %s raised %s: %s", recipient, failure["type"], failure["message"]
            )

    return check
