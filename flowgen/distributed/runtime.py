"""RayAgentRuntime: the AgentRuntime protocol over a Ray cluster.

The driver (this object) keeps the subscriptions and the serializers; each registered agent type
lives in Ray actors (AgentHost), one per shard of its keys, placed by the type's Placement. Sends
and publishes leave as JSON envelopes, batched per actor; replies and failures come back the same
way. Inside an actor, agents are bound to a member runtime that finds the driver's actors by name,
so agents reach each other across actors and nodes too (docs/distributed.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import logging
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import ray
from ray.exceptions import ActorDiedError, RayError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from flowgen.core.cancellation import CancellationToken
from flowgen.core.delivery import DeliveryLog
from flowgen.core.idempotence import idempotent_types
from flowgen.core.ids import AgentId, AgentMetadata, AgentType, TopicId
from flowgen.core.interception import Interception
from flowgen.core.intervention import DropMessage, InterventionHandler
from flowgen.core.message_context import MessageContext
from flowgen.core.serialization import (
    MessageSerializer,
    SerializationRegistry,
    try_get_known_serializers_for_type,
)
from flowgen.distributed.agent_state_store import (
    AgentStates,
    AgentStateSource,
    open_agent_state_store,
    resolve_state_source,
)
from flowgen.distributed.directory import (
    AgentTypeSpec,
    Directory,
    forget_directory,
    store_directory,
)
from flowgen.distributed.in_process import InProcess
from flowgen.distributed.link import Link
from flowgen.distributed.link_tls import link_tls_from_env
from flowgen.distributed.outbox import OnProgress, Outbox
from flowgen.distributed.placement import Placement
from flowgen.distributed.wire import Envelope, ExceptionTypes, Outcome, decode_value, encode_value
from flowgen.errors import (
    AgentUnavailableError,
    LinkLostError,
    LinkTlsError,
    NotAccessibleError,
    UndeliverableException,
)

if TYPE_CHECKING:
    from flowgen.base import ChatAgent, Team
    from flowgen.core.agent import Agent
    from flowgen.core.subscriptions import Subscription
    from flowgen.distributed.participant_leases import ParticipantLeases
    from flowgen.messages import BaseAgentEvent, BaseChatMessage

T = TypeVar("T", bound="Agent")
_CANCEL_TIMEOUT_S = 10.0
_CLOSE_TIMEOUT_S = 5.0  # how long a stopping driver waits for its host actors to close
logger = logging.getLogger(__name__)


class RayAgentRuntime:
    """Agents hosted by Ray actors on any node of a cluster.

    ``address`` is a cluster address (``"auto"``, ``"127.0.0.1:6379"``, ``"ray://..."``) or None to
    start a local Ray in this process. If Ray is already initialised in this process, it is used as is
    and left running on close. ``placements`` gives agent types their Placement (also settable per
    registration). ``name`` names this runtime's host actors (``flowgen.<name>.<type>.<shard>``);
    a random one by default. ``intervention_handlers`` see every send, publish and response, as in
    the single-process runtime (flowgen.core.interception); ``record_deliveries`` keeps a
    :class:`DeliveryLog` of the deliveries this process makes in ``deliveries``.
    ``direct`` (on by default) sends messages to each host actor over a direct TCP link the actor
    opens on request (flowgen.distributed.link), not by a Ray call each; off, every batch is a Ray
    call. Ray still places, restarts and watches the actors either way.
    ``state_store`` is where the host actors of types placed with ``keep_state`` keep their agents'
    states: None for the cluster's key-value store (forgotten when the runtime stops), a SQLite path,
    a ``postgresql://`` URL or a function making an AgentStateStore for a store outside the cluster,
    which keeps them until :meth:`forget_saved_states`; a runtime given the same ``name`` later (on a
    new cluster too) gives its agents their saved states (flowgen.distributed.agent_state_store).

    The driver creates every host actor (all shards of a type, at registration or at start), so the
    actors' lifetime is the driver's. Each host actor runs a *member* runtime with a copy of the
    driver's directory, through which its agents send and publish to agents in any actor (over
    direct links of its own to the actors they send to, unless ``direct`` is off); stopping the
    driver asks each host actor to close them, its link server and its agents, then ends it.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        placements: Mapping[str, Placement] | None = None,
        init_options: Mapping[str, Any] | None = None,
        name: str | None = None,
        intervention_handlers: Sequence[InterventionHandler] | None = None,
        record_deliveries: bool = False,
        direct: bool = True,
        state_store: AgentStateSource = None,
    ) -> None:
        self._address = address
        self._direct = direct
        self._init_options = dict(init_options or {})
        self._placements = dict(placements or {})
        self._directory = Directory(
            runtime_name=name or uuid.uuid4().hex[:12],
            intervention_handlers=list(intervention_handlers or ()),
            record_deliveries=record_deliveries,
            direct=direct,
            state_store=resolve_state_source(state_store, name),
        )
        # On the wall clock: rows gathered from the actors' processes line up with the driver's.
        self.deliveries: DeliveryLog | None = DeliveryLog(time.time) if record_deliveries else None
        self._interception = Interception(self._directory.intervention_handlers, self.deliveries)
        self._hosts: dict[tuple[str, int], tuple[Any, Outbox | InProcess]] = {}
        # In a host actor's member runtime: the actor's own (type, shard) and its in-process way in.
        self._here: tuple[tuple[str, int], InProcess] | None = None
        self._registry = SerializationRegistry()
        self._exceptions = ExceptionTypes()
        self._in_flight: set[asyncio.Future[Outcome]] = set()
        # Directory updates sent by the synchronous serializer/exception registrations: an async
        # actor may run tasks out of submission order, so messages wait until the hosts have them.
        self._unsettled: list[Any] = []
        self._idempotent: dict[str, frozenset[type[Any]]] = {}
        self._owns_ray = False
        self._started = False
        self._is_member = False
        self._leases: ParticipantLeases | None = None  # team participants hosted, made on first use
        #: Directory updates sent to host actors and their bytes (tests and benchmarks read them).
        self._counts = {"directory_updates": 0, "directory_bytes_sent": 0}

    @classmethod
    def member(
        cls, directory: Directory, here: tuple[tuple[str, int], InProcess] | None = None
    ) -> RayAgentRuntime:
        """The runtime a host actor binds its agents to: it finds the driver's actors by name.

        ``here`` is the actor's own (agent type, shard) and its in-process delivery: an agent's send
        to an agent of the same actor goes straight to the handler (flowgen.distributed.in_process).
        """
        # An agent's own sends go over direct links to the actors it sends to, as the driver's do.
        runtime = cls(direct=directory.direct)
        runtime._here = here
        runtime._is_member = True
        runtime._started = True
        runtime.adopt(directory)
        return runtime

    def adopt(self, directory: Directory) -> None:
        """Take ``directory`` as this member's view of the agent types and subscriptions."""
        self._directory = directory
        if directory.record_deliveries and self.deliveries is None:
            self.deliveries = DeliveryLog(time.time)
        self._interception = Interception(directory.intervention_handlers, self.deliveries)
        self._registry.add_serializer(list(directory.serializers))
        for cls in directory.exception_types:
            self._exceptions.add(cls)

    @property
    def registry(self) -> SerializationRegistry:
        return self._registry

    def start_recording(self) -> DeliveryLog:
        """Record every delivery from now on, the actors' too; returns the log (``deliveries``)."""
        if self.deliveries is None:
            self.deliveries = self._interception.log = DeliveryLog(time.time)
            self._directory.record_deliveries = True
            self._share_directory()
        return self.deliveries

    async def collect_deliveries(self) -> DeliveryLog:
        """The log with what the agents in every host actor sent since the last collection merged in.

        The driver records what it sends and publishes as it happens; an agent's own sends are
        recorded in its actor's process and gathered here (the rows move: each is collected once).
        """
        log = self.start_recording()
        texts = await asyncio.gather(*(handle.deliveries.remote() for handle, _ in self._hosts.values()))
        for text in texts:
            log.merge([_delivery_row(row) for row in json.loads(text)])
        return log

    def agent_classes(self) -> dict[str, type[Any] | None]:
        """Each registered agent type and the class its factory makes (None when it did not say)."""
        return {name: spec.expected_class for name, spec in self._directory.types.items()}

    @property
    def subscriptions(self) -> Sequence[Subscription]:
        return tuple(self._directory.subscriptions)

    def hosted_participant(
        self,
        participant: ChatAgent | Team,
        agent_id: AgentId,
        message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] = (),
    ) -> ChatAgent | Team:
        """A team's participant hosted in a Ray actor (see flowgen.distributed.participants)."""
        from flowgen.distributed.participants import host_participant

        return host_participant(self, participant, agent_id, message_types)

    def participant_leases(self) -> ParticipantLeases:
        """The team participants this runtime hosts (made on the first one, in the running loop)."""
        if self._leases is None:
            from flowgen.distributed.participant_leases import ParticipantLeases

            self._leases = ParticipantLeases(self, self._directory.runtime_name)
        return self._leases

    async def release_unused(self, *, collect: bool = True) -> None:
        """Release now the participants of every team no longer referenced, and wait until their actors
        have dropped them (docs/distributed.md, "Teams on Ray").

        It happens by itself in the loop turn after Python collects a team; this does it at once. With
        ``collect`` (the default) the garbage collector runs first, for teams held in reference cycles.
        """
        if collect:
            gc.collect()
        if self._leases is not None:
            await self._leases.release_now()

    def hosting_counts(self) -> dict[str, int]:
        """What this runtime holds and has sent for teams: live participants, recipes in the store,
        directory updates and their bytes, recipes stored, release calls."""
        counts: dict[str, int] = {
            **self._counts,
            "agent_types": len(self._directory.types),
            "participants": 0,
            "recipes": 0,
        }
        if self._leases is not None:
            counts.update(self._leases.counts, **self._leases.recipes.counts)
            counts["participants"], counts["recipes"] = len(self._leases), len(self._leases.recipes)
        return counts

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Connect to the cluster (or start a local Ray). Blocks while Ray connects."""
        if self._started:
            raise RuntimeError("the runtime is already started")
        if not ray.is_initialized():
            ray.init(address=self._address, **self._init_options)
            self._owns_ray = True
        self._started = True
        for name in self._directory.types:
            self._make_hosts(name)

    async def stop(self) -> None:
        """Stop at once: calls in flight are cancelled; the host actors are ended."""
        if not self._started:
            raise RuntimeError("the runtime is not started")
        self._started = False
        if self._leases is not None:
            await self._leases.close()
            self._leases = None
        for _, outbox in self._hosts.values():
            await outbox.close()
        if not self._is_member:
            handles = [handle for handle, _ in self._hosts.values()]
            await _close_hosts(handles)
            for handle in handles:
                ray.kill(handle, no_restart=True)
        self._hosts.clear()
        if not self._is_member:
            forget_directory(self._directory.runtime_name)
            if self._directory.state_store is None:  # the cluster's memory; an outside store keeps them
                await self.forget_saved_states()

    async def forget_saved_states(self) -> None:
        """Delete every agent state this runtime's name keeps in its ``state_store``.

        The agents in memory keep theirs (and save it again on their next message). The cluster's
        key-value store needs Ray connected (start the runtime first); an outside store does not.
        """
        states = AgentStates(
            open_agent_state_store(self._directory.state_store), self._directory.runtime_name
        )
        try:
            await states.forget()
        finally:
            await states.aclose()

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
        if self._is_member:
            raise NotAccessibleError(
                "agent types are registered with the driver's runtime, not from an agent"
            )
        if name in self._directory.types:
            raise ValueError(f"agent type {name!r} is already registered")
        chosen = placement or self._placements.get(name) or Placement()
        self._directory.types[name] = AgentTypeSpec(agent_factory, expected_class, chosen)
        if expected_class is not None:
            # The replies come back here: learn their serializers from the handlers' return types.
            self._add_serializers(_reply_serializers(expected_class))
        if self._started:
            await self._publish_directory()
            self._make_hosts(name)
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
        self._add_serializers(list(serializer) if isinstance(serializer, Sequence) else [serializer])
        self._unsettled.extend(self._share_directory())

    def _add_serializers(self, added: list[MessageSerializer[Any]]) -> None:
        self._registry.add_serializer(added)
        self._directory.serializers.extend(added)

    def add_exception_type(self, cls: type[BaseException]) -> None:
        """Let exceptions of ``cls`` raised by remote agents come back as themselves."""
        self._exceptions.add(cls)
        self._directory.exception_types.append(cls)
        self._unsettled.extend(self._share_directory())

    def _share_directory(self) -> list[Any]:
        """Store the current directory and send it to every host actor; the calls' references."""
        if self._is_member or not self._started:
            return []
        size = store_directory(self._directory)
        self._counts["directory_updates"] += len(self._hosts)
        self._counts["directory_bytes_sent"] += size * len(self._hosts)
        return [handle.update.remote(self._directory) for handle, _ in self._hosts.values()]

    async def _settle_directory(self) -> None:
        """Wait until every host has the directory updates sent without waiting.

        Every sender waits for all of them, not only the first: updates leave the list once they
        have arrived, so a send made while another is waiting does not go ahead of them.
        """
        refs = list(self._unsettled)
        with contextlib.suppress(RayError):  # a lost host fails the message itself, clearly
            await asyncio.gather(*refs)
        settled = set(refs)
        self._unsettled = [ref for ref in self._unsettled if ref not in settled]

    async def _publish_directory(self) -> None:
        """Share the current directory; returns once every host actor has it."""
        await asyncio.gather(*self._share_directory())

    async def add_subscription(self, subscription: Subscription) -> None:
        subscriptions = self._directory.subscriptions
        if any(s.id == subscription.id for s in subscriptions):
            raise ValueError(f"a subscription with id {subscription.id!r} already exists")
        subscriptions.append(subscription)
        await self._publish_directory()

    async def remove_subscription(self, id: str) -> None:
        subscriptions = self._directory.subscriptions
        for i, subscription in enumerate(subscriptions):
            if subscription.id == id:
                del subscriptions[i]
                await self._publish_directory()
                return
        raise LookupError(f"no subscription with id {id!r}")

    # ---------------------------------------------------------------- hosts

    def host_of(self, agent_id: AgentId) -> tuple[tuple[str, int], Any]:
        """The (agent type, shard) of the actor hosting ``agent_id``, and that actor's handle."""
        handle, _ = self._host_for(agent_id)
        spec = self._directory.types[agent_id.type]
        return (agent_id.type, spec.placement.shard_of(agent_id.key)), handle

    def _outbox_for(self, agent_id: AgentId) -> Outbox | InProcess:
        return self._host_for(agent_id)[1]

    def _host_for(self, agent_id: AgentId) -> tuple[Any, Outbox | InProcess]:
        if not self._started:
            raise RuntimeError("the runtime is not started: call runtime.start() first")
        spec = self._directory.types.get(agent_id.type)
        if spec is None:
            raise UndeliverableException(f"no agent type {agent_id.type!r} is registered")
        shard = spec.placement.shard_of(agent_id.key)
        host = self._hosts.get((agent_id.type, shard))
        if host is None:
            if not self._is_member:
                self._make_hosts(agent_id.type)
                return self._hosts[(agent_id.type, shard)]
            here = self._here
            if here is not None and here[0] == (agent_id.type, shard):  # this very actor
                actor = ray.get_runtime_context().current_actor
                host = self._hosts[(agent_id.type, shard)] = (actor, here[1])
                return host
            # A member finds the driver's actor by name (a blocking lookup, once per actor).
            name = self._directory.actor_name(agent_id.type, shard)
            handle = ray.get_actor(name)
            host = self._hosts[(agent_id.type, shard)] = (handle, self._outbox(handle, name))
        return host

    def _outbox(self, handle: Any, actor_name: str) -> Outbox:
        open_link = functools.partial(self._open_link, handle, actor_name) if self._direct else None
        return Outbox(
            handle.deliver.options(num_returns="streaming").remote,
            lambda envelope: asyncio.wrap_future(handle.deliver_one.remote(envelope).future()),
            self._unavailable,
            open_link,
        )

    async def _open_link(self, handle: Any, actor_name: str, on_lost: Callable[[Link], None]) -> Link | None:
        """The actor's direct link, asked of it through Ray (a RayError says the actor is unavailable).

        None, and Ray calls for that actor, when it offers no link or its address cannot be reached.
        """
        address = await handle.open_link.remote()
        if address is None:
            logger.info("host actor %s offers no direct link: using Ray calls", actor_name)
            return None
        host, port, token = address
        tls = link_tls_from_env()  # TLS as the cluster's Ray; LinkTlsError when its files are unusable
        try:
            link = await Link.open(
                host, port, token, self._unavailable, on_lost, tls.client_context() if tls else None
            )
        except ssl.SSLError as exc:  # Ray calls stay encrypted by Ray's own TLS: no plaintext fallback
            logger.warning(
                "the direct link of host actor %s at %s:%d failed its TLS handshake (%s): using Ray calls",
                actor_name, host, port, exc.reason or type(exc).__name__,
            )  # fmt: skip
            return None
        except (OSError, TimeoutError) as exc:
            logger.info(
                "the direct link of host actor %s at %s:%d cannot be reached (%s): using Ray calls",
                actor_name, host, port, type(exc).__name__,
            )  # fmt: skip
            return None
        logger.debug("direct link to host actor %s open at %s:%d", actor_name, host, port)
        return link

    def _make_hosts(self, name: str) -> None:
        """Create every shard's actor of agent type ``name`` (the driver owns them all)."""
        from flowgen.distributed.host import AgentHost  # the host binds its agents to a member runtime

        placement = self._directory.types[name].placement
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
        store_directory(self._directory)
        for shard in range(placement.shards):
            if (name, shard) in self._hosts:
                continue
            actor_name = self._directory.actor_name(name, shard)
            handle = actor_class.options(name=actor_name, **options).remote(self._directory, name, shard)
            self._hosts[(name, shard)] = (handle, self._outbox(handle, actor_name))

    def _unavailable(self, exc: BaseException, envelope: Envelope) -> BaseException:
        if isinstance(exc, LinkTlsError):  # the actor's TLS files are unusable: say so, not "died"
            return exc
        if isinstance(exc, (RayError, LinkLostError)):
            error = AgentUnavailableError(
                f"agent {envelope['recipient']} is unavailable: the Ray actor hosting it died or cannot "
                f"be reached ({type(exc).__name__}: {exc}); the call may not have run",
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
        """Deliver ``message`` to ``recipient`` on whatever node hosts it and return its reply.

        At most once: if the actor hosting the recipient is lost meanwhile, this raises
        AgentUnavailableError naming the agent. A message whose handler is marked ``@idempotent`` is
        sent once more instead, to the actor Ray recreated (within the type's
        ``Placement.retry_timeout``).
        """
        return await self.send_with_progress(
            message,
            recipient,
            None,
            sender=sender,
            cancellation_token=cancellation_token,
            message_id=message_id,
        )

    async def send_with_progress(
        self,
        message: Any,
        recipient: AgentId,
        on_progress: OnProgress | None,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """``send_message``, also handing ``on_progress`` each chunk the handler pushes before replying."""
        if not isinstance(recipient, AgentId):
            raise TypeError(f"recipient must be an AgentId, not {recipient!r}")
        if cancellation_token is not None and cancellation_token.is_cancelled():
            raise asyncio.CancelledError(f"the send to {recipient} was cancelled before delivery")
        if self._unsettled:
            await self._settle_directory()
        mid = message_id or uuid.uuid4().hex
        if self._interception.handlers:
            ctx = MessageContext(sender, None, True, cancellation_token or CancellationToken(), mid)
            message = await self._interception.send(message, ctx, recipient)
        log = self.deliveries
        began = log.begin() if log is not None else 0.0
        try:
            reply = await self._delivered(message, recipient, sender, mid, on_progress, cancellation_token)
        except BaseException as exc:
            if log is not None:
                log.send(began, sender, recipient, message, exc)
            raise
        if log is not None:
            log.send(began, sender, recipient, message, None)
        if self._interception.handlers:
            reply = await self._interception.response(reply, recipient, sender)
        return reply

    async def _delivered(
        self,
        message: Any,
        recipient: AgentId,
        sender: AgentId | None,
        message_id: str,
        on_progress: OnProgress | None,
        cancellation_token: CancellationToken | None,
    ) -> Any:
        """The reply: sent once, and once more to a recreated actor when the handler is idempotent."""
        try:
            return await self._send_once(
                message, recipient, sender, message_id, on_progress, cancellation_token
            )
        except AgentUnavailableError as lost:
            if type(message) not in self._idempotent_types(recipient.type):
                raise
            return await self._retry_once(
                message, recipient, sender, message_id, on_progress, cancellation_token, lost
            )

    async def _send_once(
        self,
        message: Any,
        recipient: AgentId,
        sender: AgentId | None,
        message_id: str,
        on_progress: OnProgress | None,
        cancellation_token: CancellationToken | None,
    ) -> Any:
        envelope = self._envelope(message, recipient, sender, None, message_id)
        future = self._track(self._outbox_for(recipient).put(envelope, on_progress))
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

    async def _retry_once(
        self,
        message: Any,
        recipient: AgentId,
        sender: AgentId | None,
        message_id: str,
        on_progress: OnProgress | None,
        cancellation_token: CancellationToken | None,
        lost: AgentUnavailableError,
    ) -> Any:
        """The one retry of an idempotent handler, bounded in time: Ray queues it until the actor is back."""
        timeout = self._directory.types[recipient.type].placement.retry_timeout
        try:
            async with asyncio.timeout(timeout):
                await self._until_back(recipient)
                return await self._send_once(
                    message, recipient, sender, message_id, on_progress, cancellation_token
                )
        except TimeoutError:
            raise AgentUnavailableError(
                f"agent {recipient} is unavailable: its actor was lost during an idempotent call, and "
                f"the one retry found no actor back within {timeout:g} s (Placement.retry_timeout)",
                agent=str(recipient),
            ) from lost
        except AgentUnavailableError as again:
            again.add_note(f"the call to {recipient} was retried once (its handler is idempotent)")
            raise

    async def resend_once(self, message: Any, recipient: AgentId, lost: AgentUnavailableError) -> Any:
        """Send ``message`` once more, once the recipient's actor is back: as for an @idempotent call.

        For a message whose handler is idempotent though its class is not marked (a participant's
        ``restore``); ``lost`` is the failure of the first send.
        """
        return await self._retry_once(message, recipient, None, uuid.uuid4().hex, None, None, lost)

    async def wait_until_back(self, recipient: AgentId, lost: AgentUnavailableError) -> None:
        """Return once the recipient's actor answers again (within ``Placement.retry_timeout``).

        ``lost`` is the failure that made the caller wait; AgentUnavailableError if none is back.
        """
        timeout = self._directory.types[recipient.type].placement.retry_timeout
        try:
            async with asyncio.timeout(timeout):
                await self._until_back(recipient)
        except TimeoutError:
            raise AgentUnavailableError(
                f"agent {recipient} is unavailable: its actor was lost and none was back within "
                f"{timeout:g} s (Placement.retry_timeout)",
                agent=str(recipient),
            ) from lost

    async def _until_back(self, recipient: AgentId) -> None:
        """Wait until Ray has recreated the recipient's actor: it refuses calls while restarting."""
        handle, _ = self._host_for(recipient)
        pause = 0.05
        while True:
            try:
                await handle.ping.remote()
                return
            except ActorDiedError as gone:
                raise AgentUnavailableError(
                    f"agent {recipient} is unavailable: its actor was lost and Ray will not recreate it "
                    "(Placement.max_restarts used up)",
                    agent=str(recipient),
                ) from gone
            except RayError:
                await asyncio.sleep(pause)  # Ray tells no event for "restarted"; ask again shortly
                pause = min(pause * 2, 1.0)

    def _idempotent_types(self, agent_type: str) -> frozenset[type[Any]]:
        found = self._idempotent.get(agent_type)
        if found is None:
            spec = self._directory.types.get(agent_type)
            cls = spec.expected_class if spec is not None else None
            found = self._idempotent[agent_type] = idempotent_types(cls) if cls is not None else frozenset()
        return found

    async def _cancel_remote(self, recipient: AgentId, message_id: str) -> None:
        handle, outbox = self._host_for(recipient)
        # Bounded: the actor may be gone (a lost actor's calls fail only once Ray notices). A link
        # that breaks meanwhile needs no cancel: the actor cancels what a lost connection started.
        with contextlib.suppress(RayError, LinkLostError, TimeoutError):
            async with asyncio.timeout(_CANCEL_TIMEOUT_S):
                link = outbox.link
                if link is not None:
                    await link.cancel(message_id)
                elif isinstance(outbox, InProcess):
                    await outbox.cancel(message_id)
                else:
                    await handle.cancel.remote(message_id)

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
        if self._unsettled:
            await self._settle_directory()
        mid = message_id or uuid.uuid4().hex
        if self._interception.handlers:
            ctx = MessageContext(sender, topic_id, False, cancellation_token or CancellationToken(), mid)
            message = await self._interception.publish(message, ctx)
            if message is DropMessage:
                return
        subscriptions = self._directory.subscriptions
        recipients = {s.map_to_agent(topic_id) for s in subscriptions if s.is_match(topic_id)}
        recipients.discard(sender)  # type: ignore[arg-type]
        log = self.deliveries
        # One envelope per host actor, naming all its recipients; the message is encoded once.
        by_host: dict[Outbox | InProcess, list[AgentId]] = {}
        for recipient in sorted(recipients, key=str):
            if recipient.type not in self._directory.types:
                logger.warning("publish to %s: no agent type %r is registered", topic_id, recipient.type)
                continue
            by_host.setdefault(self._outbox_for(recipient), []).append(recipient)
        if not by_host:
            return
        body = encode_value(self._registry, message)
        origin = str(sender) if sender is not None else None
        topic = str(topic_id)
        for outbox, ids in by_host.items():
            names = [str(agent_id) for agent_id in ids]
            envelope = Envelope(
                rpc=False, recipient=names[0], sender=origin, topic=topic, message_id=mid, body=body,
                recipients=names,
            )  # fmt: skip
            future = self._track(outbox.put(envelope))
            future.add_done_callback(_log_publish_failure(names))
            if log is not None:
                began = log.begin()
                for agent_id in ids:
                    future.add_done_callback(
                        _record_publish(self, log, began, sender, agent_id, topic_id, message)
                    )

    # ---------------------------------------------------------------- state

    async def _agent_call(
        self, operation: str, agent: AgentId, state: Mapping[str, Any] | None = None
    ) -> Any:
        handle, _ = self._host_for(agent)
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

    async def agent_node(self, agent: AgentId) -> str:
        """The id of the Ray node whose actor hosts ``agent`` (the agent is made there if need be)."""
        node: str = await self._agent_call("node", agent)
        return node

    async def agent_save_state(self, agent: AgentId) -> Mapping[str, Any]:
        state: Mapping[str, Any] = await self._agent_call("save_state", agent)
        return state

    async def agent_load_state(self, agent: AgentId, state: Mapping[str, Any]) -> None:
        await self._agent_call("load_state", agent, state)

    async def save_state(self) -> Mapping[str, Any]:
        """Every agent held in memory by every host actor: state by agent id (JSON-able)."""
        if self._is_member:
            raise NotAccessibleError("the runtime's state is saved from the driver, not from an agent")
        saved: dict[str, Any] = {}
        texts = await asyncio.gather(*(handle.save_all.remote() for handle, _ in self._hosts.values()))
        for text in texts:
            saved.update(json.loads(text))
        return saved

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Load each agent's state (by agent id, as save_state gave it) into its host actor."""
        for key, agent_state in state.items():
            agent_id = AgentId.from_str(key)
            if agent_id.type in self._directory.types:
                await self.agent_load_state(agent_id, agent_state)


async def _close_hosts(handles: list[Any]) -> None:
    """Ask each host actor to close what it opened (its links, its server, its agents) before it ends.

    Bounded: an actor lost or hanging in an agent's close cannot hold up the stop; ending its process
    closes its sockets anyway.
    """
    calls = [handle.close.remote() for handle in handles]
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(_CLOSE_TIMEOUT_S):
            await asyncio.gather(*calls, return_exceptions=True)


def _reply_serializers(agent_class: type[Any]) -> list[MessageSerializer[Any]]:
    """Serializers for every type the class's handlers (inherited ones too) declare they return."""
    return [
        serializer
        for klass in agent_class.__mro__
        for attribute in vars(klass).values()
        for produced in getattr(attribute, "produces_types", ())
        for serializer in try_get_known_serializers_for_type(produced)
    ]


def _log_publish_failure(recipients: list[str]) -> Callable[[asyncio.Future[Outcome]], None]:
    def check(future: asyncio.Future[Outcome]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            logger.error("publish to %s failed: %s", ", ".join(recipients), error)
            return
        outcome = future.result()
        failed = outcome.get("failed", {})
        if "failure" in outcome:  # the envelope as a whole (its message could not be read)
            failed = dict.fromkeys(recipients, outcome["failure"])
        for recipient, failure in failed.items():
            logger.error(
                "publish handler of %s raised %s: %s", recipient, failure["type"], failure["message"]
            )

    return check


def _record_publish(
    runtime: RayAgentRuntime,
    log: DeliveryLog,
    began: float,
    sender: AgentId | None,
    recipient: AgentId,
    topic_id: TopicId,
    message: Any,
) -> Callable[[asyncio.Future[Outcome]], None]:
    """Records one publish delivery in ``log`` once its outcome is in."""

    def record(future: asyncio.Future[Outcome]) -> None:
        error: BaseException | None
        if future.cancelled():
            error = asyncio.CancelledError()
        elif future.exception() is not None:
            error = future.exception()
        else:
            outcome = future.result()
            # The envelope as a whole failed (its message could not be read), or this recipient did.
            failure = outcome.get("failure") or outcome.get("failed", {}).get(str(recipient))
            error = runtime._exceptions.rebuild(failure, str(recipient)) if failure else None
        log.publish(began, sender, recipient, topic_id, message, error)

    return record


def _delivery_row(row: list[Any]) -> tuple[Any, ...]:
    """A row of an actor's delivery log, as ``AgentHost.deliveries`` sent it, with its ids rebuilt."""
    kind, began, ended, sender, recipient, topic, message_type, error = row
    return (
        kind,
        began,
        ended,
        None if sender is None else AgentId.from_str(sender),
        None if recipient is None else AgentId.from_str(recipient),
        None if topic is None else TopicId.from_str(topic),
        message_type,
        error,
    )
