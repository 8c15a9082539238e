"""SingleThreadedAgentRuntime: AutoGen Core's in-process runtime, on one asyncio loop.

How messages travel (and why it is cheap):

- ``send_message`` runs the recipient's handler in the caller's own task: an RPC needs no queue, no
  future and no task, and the handler's exception reaches the caller with its type. Only a send given
  a cancellation token runs its handler in a task of its own, so the token can cancel it.
- ``publish_message`` appends one slotted envelope to a deque; a processor task (started by
  :meth:`start`) resolves the topic's recipients (cached per topic) and awaits each handler inline.
  A handler that suspends would hold up every later delivery, so a watchdog callback, armed once per
  burst of work, notices when the processor yielded to the loop inside a handler: that processor is
  then left to finish the handler and a fresh processor takes over the queue. Handlers that never
  wait cost no task at all; handlers that do wait run concurrently, as in AutoGen.

Agents are virtual actors: with ``evict_idle_after`` set, an agent idle that long is saved
(``save_state``), closed and dropped, and made again from its factory, with ``load_state``, on its
next message. See docs/migration.md for every difference from AutoGen's runtime.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
import warnings
from array import array
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flowgen.core.agent import Agent
from flowgen.core.cancellation import CancellationToken
from flowgen.core.delivery import DeliveryLog, HandlerFailure
from flowgen.core.idle_agents import IdleAgents
from flowgen.core.ids import AgentId, AgentMetadata, AgentType, TopicId
from flowgen.core.instantiation import AgentInstantiationContext, MessageHandlerContext
from flowgen.core.interception import Interception
from flowgen.core.intervention import DropMessage, InterventionHandler
from flowgen.core.message_context import MessageContext
from flowgen.core.serialization import MessageSerializer, SerializationRegistry
from flowgen.core.subscriptions import Subscription
from flowgen.errors import UndeliverableException
from flowgen.telemetry import hooks

logger = logging.getLogger("flowgen.core")

T = TypeVar("T", bound=Agent)

_HANDLER_VAR = MessageHandlerContext._VAR


class _Publish:
    """One published message on its way; ``cursor`` is the next recipient to deliver to."""

    __slots__ = (
        "carried",
        "cursor",
        "message",
        "message_id",
        "recipients",
        "sender",
        "seq",
        "token",
        "topic_id",
    )

    def __init__(
        self,
        message: Any,
        topic_id: TopicId,
        sender: AgentId | None,
        token: CancellationToken,
        message_id: str,
        seq: int,
    ) -> None:
        self.seq = seq
        self.message = message
        self.topic_id = topic_id
        self.sender = sender
        self.token = token
        self.message_id = message_id
        self.recipients: tuple[AgentId, ...] | None = None
        self.cursor = 0
        #: The publisher's trace context (W3C headers), when tracing is on: handlers join its trace.
        self.carried: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class _Factory:
    make: Callable[[], Any]
    expected_class: type[Any] | None
    takes_two: bool


class SingleThreadedAgentRuntime:
    """An AgentRuntime on one asyncio loop: send (RPC), publish (pub/sub), interventions, state.

    Args:
        intervention_handlers: Called in order for every send, publish and response; each sees the
            message as the previous one left it, and may return ``DropMessage``.
        ignore_unhandled_exceptions: When True (the default), an exception in a publish handler is
            recorded (:attr:`handler_failures`) and logged; when False it also stops the runtime and
            is raised by ``stop`` / ``stop_when_idle``.
        tracer_provider: an OpenTelemetry TracerProvider: every delivery becomes a span there (AutoGen
            takes the same); without one, deliveries follow flowgen.telemetry.instrument().
        evict_idle_after: Seconds an agent may stay idle before it is saved and dropped (None: never).
        state_store: Where evicted agents' states wait for their next message (default: a dict).
        record_deliveries: Keep a :class:`DeliveryLog` of every delivery (sender, recipient or topic,
            message type, duration, outcome) for ``visualize`` and ``flowgen check``.
        clock: The monotonic clock eviction reads (tests pass a fake one).
    """

    def __init__(
        self,
        *,
        intervention_handlers: list[InterventionHandler] | None = None,
        ignore_unhandled_exceptions: bool = True,
        tracer_provider: object | None = None,
        evict_idle_after: float | None = None,
        state_store: MutableMapping[str, Mapping[str, Any]] | None = None,
        record_deliveries: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if evict_idle_after is not None and evict_idle_after <= 0:
            raise ValueError(
                f"evict_idle_after must be a positive number of seconds, got {evict_idle_after!r}"
            )
        self._interventions: tuple[InterventionHandler, ...] = tuple(intervention_handlers or ())
        self._ignore_unhandled_exceptions = ignore_unhandled_exceptions
        # Deliveries traced to the provider given here, whether or not telemetry was installed.
        self._tracing: hooks.Observer | None = _tracing_for(tracer_provider)
        self._factories: dict[str, _Factory] = {}
        self._instance_types: dict[str, type[Any]] = {}
        self._agents: dict[AgentId, Agent] = {}
        self._activating: dict[AgentId, asyncio.Future[Agent]] = {}
        self._subscriptions: list[Subscription] = []
        self._recipients: dict[TopicId, tuple[AgentId, ...]] = {}
        self._serializers = SerializationRegistry()
        # Publishing and processing.
        self._queue: deque[_Publish] = deque()
        self._processor: asyncio.Task[None] | None = None
        self._processors: set[asyncio.Task[None]] = set()
        self._wake: asyncio.Future[None] | None = None
        self._in_handler = False
        self._watch_armed = False
        self._started = False
        self._background_exception: BaseException | None = None
        self._published = 0
        self._dispatch_waiters: list[asyncio.Future[None]] = []
        # Idle and stop conditions: work = queued publishes + handlers running.
        self._work = 0
        self._idle_waiters: list[asyncio.Future[None]] = []
        self._conditions: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        # The message counter is a raw machine integer: an int object kept across a burst of
        # sessions would keep some of the burst's memory from being given back after eviction.
        self._ids = array("q", [0])
        self._id_prefix = uuid.uuid4().hex[:12] + "-"
        # Virtual actors.
        self._idle = IdleAgents(evict_idle_after, clock) if evict_idle_after is not None else None
        self._evictable: set[str] = set()
        self.declared_handled_types: dict[str, tuple[type[Any], ...]] = {}
        self._state_store: MutableMapping[str, Mapping[str, Any]] = {} if state_store is None else state_store
        self._sweeper: asyncio.Task[None] | None = None
        # What happened.
        self.handler_failures: deque[HandlerFailure] = deque(maxlen=1000)
        self.deliveries: DeliveryLog | None = DeliveryLog(time.monotonic) if record_deliveries else None
        self._interception = Interception(self._interventions, self.deliveries, self._publish_failed)
        # A raw machine integer too: the count's int, made right after a sweep freed a burst of
        # agents, could land in the freed memory and keep it from being given back.
        self._evicted = array("q", [0])
        self._slow_path = evict_idle_after is not None or record_deliveries

    # ---------------------------------------------------------------- registration

    @property
    def unprocessed_messages_count(self) -> int:
        """Published messages not yet handed to their recipients."""
        return len(self._queue)

    @property
    def evictions(self) -> int:
        """How many agents idle eviction saved and dropped so far."""
        return self._evicted[0]

    @property
    def _known_agent_names(self) -> set[str]:
        return set(self._factories)

    async def register_factory(
        self,
        type: str | AgentType,
        agent_factory: Callable[[], T | Awaitable[T]],
        *,
        expected_class: type[T] | None = None,
    ) -> AgentType:
        """Register ``agent_factory`` to make agents of ``type`` on first use."""
        agent_type = AgentType(type) if isinstance(type, str) else type
        if agent_type.type in self._factories:
            raise ValueError(f"agent type {agent_type.type!r} is already registered; pick another type name")
        AgentId(agent_type.type, "default")  # validates the type name now, not at the first message
        try:
            takes_two = len(inspect.signature(agent_factory).parameters) == 2
        except (TypeError, ValueError):
            takes_two = False
        self._factories[agent_type.type] = _Factory(agent_factory, expected_class, takes_two)
        self._evictable.add(agent_type.type)
        return agent_type

    async def register_agent_instance(self, agent_instance: Agent, agent_id: AgentId) -> AgentId:
        """Register an already built agent under ``agent_id`` (it is never evicted)."""
        if agent_id in self._agents:
            raise ValueError(f"an agent with id {agent_id} is already registered")
        known = self._instance_types.get(agent_id.type)
        if known is None:
            if agent_id.type in self._factories:
                raise ValueError(
                    f"agent type {agent_id.type!r} has a factory: instances and factories cannot share a type"
                )
            self._instance_types[agent_id.type] = type(agent_instance)
            self._factories[agent_id.type] = _Factory(_no_factory(agent_id.type), None, False)
        elif known is not type(agent_instance):
            raise ValueError(
                f"agent type {agent_id.type!r} holds {known.__name__} instances, not {type(agent_instance).__name__}"
            )
        await agent_instance.bind_id_and_runtime(id=agent_id, runtime=self)  # type: ignore[arg-type]
        self._agents[agent_id] = agent_instance
        return agent_id

    async def add_subscription(self, subscription: Subscription) -> None:
        if any(existing == subscription for existing in self._subscriptions):
            raise ValueError(f"subscription {subscription!r} already exists")
        self._subscriptions.append(subscription)
        self._recipients.clear()

    async def remove_subscription(self, id: str) -> None:
        kept = [s for s in self._subscriptions if s.id != id]
        if len(kept) == len(self._subscriptions):
            raise ValueError(f"no subscription has id {id!r}")
        self._subscriptions = kept
        self._recipients.clear()

    @property
    def subscriptions(self) -> Sequence[Subscription]:
        return tuple(self._subscriptions)

    def start_recording(self) -> DeliveryLog:
        """Record every delivery from now on (as ``record_deliveries=True`` does); returns the log."""
        if self.deliveries is None:
            self.deliveries = self._interception.log = DeliveryLog(time.monotonic)
            self._slow_path = True
        return self.deliveries

    def agent_classes(self) -> dict[str, type[Any] | None]:
        """Each registered agent type and the class it makes (None when a factory did not say)."""
        return {
            name: self._instance_types.get(name, factory.expected_class)
            for name, factory in self._factories.items()
        }

    def declare_handled_types(self, agent_type: str, types: Sequence[type[Any]]) -> None:
        """Record which message types an agent type takes when its class cannot say (closure agents)."""
        self.declared_handled_types[agent_type] = tuple(types)

    def add_message_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        self._serializers.add_serializer(serializer)

    # ---------------------------------------------------------------- agents

    async def get(
        self, id_or_type: AgentId | AgentType | str, /, key: str = "default", *, lazy: bool = True
    ) -> AgentId:
        """The id of an agent of a type (key ``key``); with ``lazy=False`` the agent is made now."""
        if isinstance(id_or_type, AgentId):
            agent_id = id_or_type
        else:
            agent_id = AgentId(id_or_type.type if isinstance(id_or_type, AgentType) else id_or_type, key)
        if not lazy:
            await self._get_agent(agent_id)
        return agent_id

    async def _get_agent(self, agent_id: AgentId) -> Agent:
        agent = self._agents.get(agent_id)
        return agent if agent is not None else await self._activate(agent_id)

    async def _activate(self, agent_id: AgentId) -> Agent:
        existing = self._agents.get(agent_id)
        if existing is not None:
            return existing
        pending = self._activating.get(agent_id)
        if pending is not None:
            return await asyncio.shield(pending)
        factory = self._factories.get(agent_id.type)
        if factory is None:
            raise UndeliverableException(
                f"no agent type {agent_id.type!r} is registered (recipient {agent_id}); register it with "
                f"SomeAgent.register(runtime, {agent_id.type!r}, factory) first"
            )
        future: asyncio.Future[Agent] = asyncio.get_running_loop().create_future()
        self._activating[agent_id] = future
        try:
            agent = await self._make(factory, agent_id)
            saved = self._state_store.pop(str(agent_id), None)
            if saved is not None:
                await agent.load_state(saved)
            self._agents[agent_id] = agent
            if self._idle is not None:
                self._idle.made(agent_id)
            future.set_result(agent)
            return agent
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            del self._activating[agent_id]

    async def _make(self, factory: _Factory, agent_id: AgentId) -> Agent:
        with AgentInstantiationContext.populate_context((self, agent_id)):
            if factory.takes_two:
                warnings.warn(
                    "factories taking (runtime, agent_id) are deprecated: use AgentInstantiationContext",
                    DeprecationWarning,
                    stacklevel=3,
                )
                made = factory.make(self, agent_id)  # type: ignore[call-arg]
            else:
                made = factory.make()
            agent = await made if inspect.isawaitable(made) else made
        if factory.expected_class is not None and not isinstance(agent, factory.expected_class):
            raise ValueError(
                f"the factory for {agent_id.type!r} made a {type(agent).__name__}, not the registered "
                f"{factory.expected_class.__name__}"
            )
        await agent.bind_id_and_runtime(id=agent_id, runtime=self)
        return cast(Agent, agent)

    async def try_get_underlying_agent_instance(self, id: AgentId, type: type[T] = Agent) -> T:  # type: ignore[assignment]
        if id.type not in self._factories:
            raise UndeliverableException(f"no agent type {id.type!r} is registered")
        agent = await self._get_agent(id)
        if not isinstance(agent, type):
            raise TypeError(f"agent {id} is a {agent.__class__.__name__}, not a {type.__name__}")
        return agent

    async def agent_metadata(self, agent: AgentId) -> AgentMetadata:
        return (await self._get_agent(agent)).metadata

    async def agent_save_state(self, agent: AgentId) -> Mapping[str, Any]:
        return await (await self._get_agent(agent)).save_state()

    async def agent_load_state(self, agent: AgentId, state: Mapping[str, Any]) -> None:
        await (await self._get_agent(agent)).load_state(state)

    async def save_state(self) -> Mapping[str, Any]:
        """Every agent's state by id, evicted agents included."""
        state: dict[str, Any] = {key: dict(saved) for key, saved in self._state_store.items()}
        for agent_id, agent in list(self._agents.items()):
            state[str(agent_id)] = dict(await agent.save_state())
        return state

    async def load_state(self, state: Mapping[str, Any]) -> None:
        for key, agent_state in state.items():
            agent_id = AgentId.from_str(key)
            if agent_id.type in self._factories:
                await (await self._get_agent(agent_id)).load_state(agent_state)

    def live_agents(self) -> Iterator[AgentId]:
        """The ids of the agents held in memory now."""
        return iter(list(self._agents))

    # ---------------------------------------------------------------- send

    def _next_id(self) -> str:
        ids = self._ids
        ids[0] += 1
        return self._id_prefix + str(ids[0])

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Deliver ``message`` to ``recipient`` and return its handler's reply (or raise its exception)."""
        agent = self._agents.get(recipient)
        if agent is None and not isinstance(recipient, AgentId):
            raise TypeError(
                f"recipient must be an AgentId (e.g. AgentId('worker', 'default')), not {recipient!r}"
            )
        if agent is None and recipient.type not in self._factories:
            raise UndeliverableException(
                f"cannot send {type(message).__name__} to {recipient}: no agent type {recipient.type!r} is "
                "registered"
            )
        if cancellation_token is None:
            token = CancellationToken()
        elif cancellation_token.is_cancelled():
            # AutoGen still runs the handler of a send whose token was cancelled before it was sent.
            raise asyncio.CancelledError(f"the send to {recipient} was cancelled before delivery")
        else:
            token = cancellation_token
        ctx = MessageContext(sender, None, True, token, message_id or self._next_id())
        if self._interventions:
            message = await self._interception.send(message, ctx, recipient)
        if self._queue and self._started:
            await self._dispatched(self._published)
            agent = self._agents.get(recipient)  # a publish meanwhile may have made it
        if agent is None:
            agent = await self._activate(recipient)
        log = self.deliveries
        began = log.begin() if log is not None else 0.0
        self._enter(recipient)
        handler_var = _HANDLER_VAR.set(recipient)
        try:
            call = agent.on_message(message, ctx)
            if cancellation_token is not None:
                call = _cancellable(call, cancellation_token)
            observer = self._tracing or hooks.observer
            if observer is not None:
                call = _traced(observer, "send", recipient, message, None, call)
            response = await call
        except BaseException as e:
            if log is not None:
                log.send(began, sender, recipient, message, e)
            raise
        finally:
            _HANDLER_VAR.reset(handler_var)
            self._leave(recipient)
        if log is not None:
            log.send(began, sender, recipient, message, None)
        if self._interventions:
            response = await self._interception.response(response, recipient, sender)
        return response

    # ---------------------------------------------------------------- publish

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> None:
        """Queue ``message`` for every subscription matching ``topic_id`` (never the sender itself)."""
        if not isinstance(topic_id, TopicId):
            raise TypeError(f"topic_id must be a TopicId (e.g. TopicId('news', 'default')), not {topic_id!r}")
        token = CancellationToken() if cancellation_token is None else cancellation_token
        mid = message_id or self._next_id()
        if self._interventions:
            ctx = MessageContext(sender, topic_id, False, token, mid)
            dropped_or_message = await self._interception.publish(message, ctx)
            if dropped_or_message is DropMessage:
                return
            message = dropped_or_message
        self._published += 1
        envelope = _Publish(message, topic_id, sender, token, mid, self._published)
        observer = self._tracing or hooks.observer
        if observer is not None:
            envelope.carried = observer.carry()
        self._queue.append(envelope)
        self._work += 1
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def _publish_failed(self, message: Any, ctx: MessageContext, error: Exception, stage: str) -> None:
        self._record_failure(None, message, ctx.topic_id, error, stage=stage)

    def _recipients_of(self, topic_id: TopicId) -> tuple[AgentId, ...]:
        found = self._recipients.get(topic_id)
        if found is None:
            found = tuple(s.map_to_agent(topic_id) for s in self._subscriptions if s.is_match(topic_id))
            self._recipients[topic_id] = found
        return found

    async def _dispatched(self, upto: int) -> None:
        """Wait until every publish queued before this send has reached all its recipients.

        A send is delivered in the sender's task, straight away; AutoGen queues it behind earlier
        publishes, so an agent that publishes and then sends sees the publish handled first. This
        keeps that order (the publish's handlers have started when the send is delivered).
        """
        loop = asyncio.get_running_loop()
        while self._started and self._queue and self._queue[0].seq <= upto:
            waiter = loop.create_future()
            self._dispatch_waiters.append(waiter)
            await waiter

    def _wake_dispatch_waiters(self) -> None:
        waiters, self._dispatch_waiters = self._dispatch_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # ---------------------------------------------------------------- the processor

    def start(self) -> None:
        """Start delivering published messages (on the running loop)."""
        if self._started:
            raise RuntimeError("the runtime is already started; stop it before starting it again")
        asyncio.get_running_loop()  # a clear error now rather than at the first publish
        self._started = True
        self._background_exception = None
        self._spawn_processor()
        if self._idle is not None:
            self._sweeper = asyncio.get_running_loop().create_task(
                self._sweep_forever(), name="flowgen-evictor"
            )

    def _spawn_processor(self) -> None:
        task = asyncio.get_running_loop().create_task(self._process(), name="flowgen-runtime")
        self._processor = task
        self._processors.add(task)
        task.add_done_callback(self._processors.discard)

    def _watch(self) -> None:
        """Runs when the loop got control back: if a handler is suspended, hand the queue over."""
        self._watch_armed = False
        if self._in_handler and self._started:
            self._in_handler = False
            self._spawn_processor()

    async def _process(self) -> None:
        me = asyncio.current_task()
        queue = self._queue
        loop = asyncio.get_running_loop()
        while self._processor is me:
            if not queue:
                self._wake = wake = loop.create_future()
                await wake
                continue
            envelope = queue[0]
            recipients = envelope.recipients
            if recipients is None:
                recipients = envelope.recipients = self._recipients_of(envelope.topic_id)
            cursor = envelope.cursor
            if cursor >= len(recipients) or envelope.token._cancelled:
                queue.popleft()
                if self._dispatch_waiters:
                    self._wake_dispatch_waiters()
                self._done_one()
                continue
            recipient = recipients[cursor]
            envelope.cursor = cursor + 1
            if recipient == envelope.sender:
                continue
            if not self._watch_armed:
                self._watch_armed = True
                loop.call_soon(self._watch)
            self._in_handler = True
            agent = self._agents.get(recipient)
            if agent is None or self._slow_path:
                await self._deliver(envelope, recipient)
            else:
                # The common case, inlined: a live agent, no eviction bookkeeping, no recording.
                self._work += 1
                handler_var = _HANDLER_VAR.set(recipient)
                try:
                    await agent.on_message(
                        envelope.message,
                        MessageContext(
                            envelope.sender, envelope.topic_id, False, envelope.token, envelope.message_id
                        ),
                    )
                except Exception as e:
                    self._record_failure(recipient, envelope.message, envelope.topic_id, e, stage="handler")
                except asyncio.CancelledError as e:
                    if _being_cancelled():
                        raise  # stop() is cancelling this processor
                    self._record_failure(recipient, envelope.message, envelope.topic_id, e, stage="handler")
                finally:
                    _HANDLER_VAR.reset(handler_var)
                    self._done_one()
            if self._processor is me:
                self._in_handler = False

    async def _deliver(self, envelope: _Publish, recipient: AgentId) -> None:
        message = envelope.message
        log = self.deliveries
        began = log.begin() if log is not None else 0.0
        self._enter(recipient)
        handler_var = _HANDLER_VAR.set(recipient)
        try:
            agent = self._agents.get(recipient)
            if agent is None:
                agent = await self._activate(recipient)
            ctx = MessageContext(
                envelope.sender, envelope.topic_id, False, envelope.token, envelope.message_id
            )
            observer = self._tracing or hooks.observer
            if observer is None:
                await agent.on_message(message, ctx)
            else:
                await _traced(
                    observer, "process", recipient, message, envelope.carried, agent.on_message(message, ctx)
                )
        except (Exception, asyncio.CancelledError) as e:
            if isinstance(e, asyncio.CancelledError) and _being_cancelled():
                raise  # stop() is cancelling this processor
            if log is not None:
                log.publish(began, envelope.sender, recipient, envelope.topic_id, message, e)
            self._record_failure(recipient, message, envelope.topic_id, e, stage="handler")
        else:
            if log is not None:
                log.publish(began, envelope.sender, recipient, envelope.topic_id, message, None)
        finally:
            _HANDLER_VAR.reset(handler_var)
            self._leave(recipient)

    def _record_failure(
        self,
        agent_id: AgentId | None,
        message: Any,
        topic_id: TopicId | None,
        error: BaseException,
        *,
        stage: str,
    ) -> None:
        failure = HandlerFailure(agent_id, type(message).__name__, topic_id, error, stage)
        self.handler_failures.append(failure)
        logger.error(
            "publish %s of %s on topic %s failed in %s: %r",
            "to " + str(agent_id) if agent_id is not None else "",
            failure.message_type,
            topic_id,
            stage,
            error,
            exc_info=error,
        )
        if not self._ignore_unhandled_exceptions and self._background_exception is None:
            self._background_exception = error
            self._work -= len(self._queue)  # what was queued will not be delivered
            self._queue.clear()
            self._settle()
            self._wake_dispatch_waiters()

    # ---------------------------------------------------------------- work accounting

    def _enter(self, agent_id: AgentId) -> None:
        self._work += 1
        if self._idle is not None:
            self._idle.enter(agent_id)

    def _leave(self, agent_id: AgentId) -> None:
        if self._idle is not None:
            self._idle.leave(agent_id)
        self._done_one()

    def _done_one(self) -> None:
        self._work -= 1
        if self._conditions:
            self._check_conditions()
        if not self._work and self._idle_waiters:
            self._settle()

    def _settle(self) -> None:
        waiters, self._idle_waiters = self._idle_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _check_conditions(self) -> None:
        kept = []
        for condition, future in self._conditions:
            if future.done():
                continue
            try:
                met = condition()
            except Exception as e:
                future.set_exception(e)
                continue
            if met:
                future.set_result(None)
            else:
                kept.append((condition, future))
        self._conditions = kept

    # ---------------------------------------------------------------- stopping

    async def stop(self) -> None:
        """Stop delivering at once: queued publishes are discarded, running publish handlers cancelled."""
        if not self._started:
            raise RuntimeError("the runtime is not started")
        self._started = False
        self._processor = None
        dropped = len(self._queue)
        self._queue.clear()
        self._work -= dropped
        me = asyncio.current_task()
        tasks = [t for t in self._processors if t is not me]
        if self._sweeper is not None:
            tasks.append(self._sweeper)
            self._sweeper = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._in_handler = False
        self._wake = None
        self._settle()
        self._wake_dispatch_waiters()
        self._raise_background()

    def _raise_background(self) -> None:
        error, self._background_exception = self._background_exception, None
        if error is not None:
            raise error

    async def stop_when_idle(self) -> None:
        """Wait until nothing is queued or being handled (messages made meanwhile included), then stop."""
        if not self._started:
            raise RuntimeError("the runtime is not started")
        while self._work > 0 and self._background_exception is None:
            waiter = asyncio.get_running_loop().create_future()
            self._idle_waiters.append(waiter)
            await waiter
        await self.stop()

    async def stop_when(self, condition: Callable[[], bool]) -> None:
        """Stop once ``condition()`` holds; it is checked now and after every delivery (no polling)."""
        if not self._started:
            raise RuntimeError("the runtime is not started")
        if not condition():
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._conditions.append((condition, future))
            await future
        await self.stop()

    async def close(self) -> None:
        """Stop (if started) and close every agent held in memory."""
        if self._started:
            await self.stop()
        for agent in list(self._agents.values()):
            await agent.close()

    # ---------------------------------------------------------------- virtual actors

    async def evict_idle(self) -> int:
        """Save, close and drop every agent idle for ``evict_idle_after`` seconds; return how many."""
        idle = self._idle
        if idle is None:
            return 0
        saved: list[tuple[AgentId, Agent, Mapping[str, Any]]] = []
        for agent_id in idle.stale():
            agent = self._agents.get(agent_id)
            if agent is not None and agent_id.type in self._evictable:
                saved.append((agent_id, agent, await agent.save_state()))
        # No await from here until the states are stored: a message arriving meanwhile cannot make
        # an agent again before its state is in the store.
        batch: dict[str, Mapping[str, Any]] = {}
        dropped: list[Agent] = []
        for agent_id, agent, state in saved:
            if not idle.still_stale(agent_id):
                continue  # used while the others were being saved: its saved state is stale
            if state:
                batch[str(agent_id)] = dict(state)
            del self._agents[agent_id]
            idle.forget(agent_id)
            dropped.append(agent)
        self._state_store.update(batch)
        del saved, batch
        count = len(dropped)
        while dropped:
            await dropped.pop().close()
        if count:
            # Made only now that the dropped agents are freed: objects that outlive a sweep, made
            # while the burst's memory is still in use, would land there and keep it from the system.
            # A dict keeps its table at its largest size after deletions; copies are sized to what is
            # left, so the memory of a burst of sessions is given back.
            self._agents = dict(self._agents)
            self._activating = dict(self._activating)
            idle.compact()
            self._evicted[0] += count
        return count

    async def _sweep_forever(self) -> None:
        assert self._idle is not None
        while True:
            # A timer, not synchronisation: eviction is housekeeping, checked twice per idle period.
            await asyncio.sleep(self._idle.after / 2)
            try:
                await self.evict_idle()
            except Exception:
                logger.exception("evicting idle agents failed; they stay in memory")
            if self._conditions:  # stop_when(lambda: runtime.evictions ...) hears of sweeps too
                self._check_conditions()


def _being_cancelled() -> bool:
    """Whether the running task itself was asked to stop (not merely a handler raising CancelledError)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _no_factory(agent_type: str) -> Callable[[], Agent]:
    def refuse() -> Agent:
        raise UndeliverableException(
            f"agent type {agent_type!r} holds only registered instances and has no factory: a message "
            "reached a key that was never registered (check the subscriptions, or register the "
            "agent with skip_class_subscriptions=False)"
        )

    return refuse


async def _cancellable(handling: Awaitable[Any], token: CancellationToken) -> Any:
    """Run a handler in its own task that ``token`` cancels (as AutoGen does for every send)."""
    task = asyncio.ensure_future(handling)
    token.link_future(task)
    try:
        return await task
    except asyncio.CancelledError:
        task.cancel()
        raise


def _tracing_for(tracer_provider: object | None) -> hooks.Observer | None:
    """The observer of a runtime given ``tracer_provider=`` (as AutoGen's runtimes take one)."""
    if tracer_provider is None:
        return None
    from flowgen import telemetry  # the optional extra, only when a provider was given

    observer: hooks.Observer = telemetry.runtime_observer(tracer_provider)  # type: ignore[arg-type]
    return observer


async def _traced(
    observer: hooks.Observer,
    operation: str,
    recipient: AgentId,
    message: Any,
    carried: dict[str, str] | None,
    call: Awaitable[Any],
) -> Any:
    """Run a handler inside its delivery's trace context (and span, when deliveries are traced)."""
    with observer.delivery(operation, str(recipient), type(message).__name__, carried):
        return await call
