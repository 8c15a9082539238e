"""RoutedAgent: handlers chosen by the message's exact type, declared with @message_handler/@event/@rpc.

Handlers of one type are tried in the order of their method names (as AutoGen does, by ``dir()``);
the first whose router accepts the message (``match=``, and for @event / @rpc whether the message is
a publish or a send) handles it. A type nobody handles goes to :meth:`RoutedAgent.on_unhandled_message`.
"""

from __future__ import annotations

import asyncio
import logging
import types
import typing
from collections.abc import Callable, Coroutine, Sequence
from functools import wraps
from typing import Any, ClassVar, Literal, TypeVar, cast, get_args, get_origin, overload

from flowgen.core.agent import BaseAgent
from flowgen.core.message_context import MessageContext
from flowgen.core.serialization import MessageSerializer, try_get_known_serializers_for_type
from flowgen.errors import CantHandleException

logger = logging.getLogger("flowgen.core")

AgentT = TypeVar("AgentT")
ReceivesT = TypeVar("ReceivesT")
ProducesT = TypeVar("ProducesT")

HandlerFunc = Callable[[AgentT, ReceivesT, MessageContext], Coroutine[Any, Any, ProducesT]]
Router = Callable[[Any, MessageContext], bool]


class AnyType:
    """Stands for ``typing.Any`` in a handler's produced types: any return value is accepted."""


def get_types(annotation: object) -> tuple[type[Any], ...] | None:
    """The runtime classes an annotation stands for: a union's members, a generic's origin, Any."""
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        found: list[type[Any]] = []
        for arg in get_args(annotation):
            inner = get_types(arg)
            if inner is None:
                return None
            found.extend(inner)
        return tuple(found)
    if annotation is Any:
        return (AnyType,)
    if annotation is None or annotation is types.NoneType:
        return (types.NoneType,)
    if isinstance(origin, type):
        # list[str], dict[str, int]: Python cannot check the parameters at run time; route on the origin.
        return (origin,)
    if isinstance(annotation, type):
        return (annotation,)
    return None


def _signature_types(
    func: Callable[..., Any], decorator: str
) -> tuple[tuple[type[Any], ...], tuple[type[Any], ...]]:
    hints = typing.get_type_hints(func)
    if "message" not in hints:
        raise AssertionError(
            f"@{decorator} {func.__qualname__}: annotate the 'message' parameter with its type"
        )
    if "return" not in hints:
        raise AssertionError(
            f"@{decorator} {func.__qualname__}: annotate the return type (use -> None for none)"
        )
    targets = get_types(hints["message"])
    if targets is None:
        raise AssertionError(
            f"@{decorator} {func.__qualname__}: {hints['message']!r} is not a class or union"
        )
    produces = get_types(hints["return"])
    if produces is None:
        raise AssertionError(f"@{decorator} {func.__qualname__}: {hints['return']!r} is not a class or union")
    return targets, produces


def _build(
    func: HandlerFunc[Any, Any, Any],
    *,
    strict: bool,
    match: Router | None,
    kind: Literal["message_handler", "event", "rpc"],
) -> Any:
    targets, produces = _signature_types(func, kind)
    accepts_any = AnyType in produces
    if kind == "event":
        produces = (types.NoneType,)

    @wraps(func)
    async def wrapper(self: Any, message: Any, ctx: MessageContext) -> Any:
        if type(message) not in targets:
            if strict:
                raise CantHandleException(f"message type {type(message).__name__} is not one of {targets}")
            logger.warning("message type %s is not one of %s", type(message).__name__, targets)
        value = await func(self, message, ctx)
        if not accepts_any and type(value) not in produces:
            if strict:
                raise ValueError(
                    f"{func.__qualname__} returned {type(value).__name__}, not one of its declared {produces}"
                )
            logger.warning("%s returned %s, not one of %s", func.__qualname__, type(value).__name__, produces)
        return None if kind == "event" else value

    if kind == "event":
        router: Router = (lambda m, c: not c.is_rpc and match(m, c)) if match else (lambda m, c: not c.is_rpc)
    elif kind == "rpc":
        router = (lambda m, c: c.is_rpc and match(m, c)) if match else (lambda m, c: c.is_rpc)
    else:
        router = match or (lambda m, c: True)
    handler = cast(Any, wrapper)
    handler.target_types = list(targets)
    handler.produces_types = list(produces)
    handler.is_message_handler = True
    handler.router = router
    return handler


def _decorator(kind: Literal["message_handler", "event", "rpc"]) -> Callable[..., Any]:
    def decorate(func: Any = None, *, strict: bool = True, match: Router | None = None) -> Any:
        if func is None:
            return lambda f: _build(f, strict=strict, match=match, kind=kind)
        if callable(func):
            return _build(func, strict=strict, match=match, kind=kind)
        raise ValueError(f"@{kind} takes a handler function, or only keyword arguments (strict=, match=)")

    return decorate


@overload
def message_handler(
    func: HandlerFunc[AgentT, ReceivesT, ProducesT],
) -> HandlerFunc[AgentT, ReceivesT, ProducesT]: ...
@overload
def message_handler(
    func: None = None, *, strict: bool = ..., match: Router | None = ...
) -> Callable[[HandlerFunc[AgentT, ReceivesT, ProducesT]], HandlerFunc[AgentT, ReceivesT, ProducesT]]: ...
def message_handler(func: Any = None, *, strict: bool = True, match: Router | None = None) -> Any:
    """Handle sends and publishes of the annotated message type(s); the return value is the reply."""
    return _decorator("message_handler")(func, strict=strict, match=match)


@overload
def event(func: HandlerFunc[AgentT, ReceivesT, None]) -> HandlerFunc[AgentT, ReceivesT, None]: ...
@overload
def event(
    func: None = None, *, strict: bool = ..., match: Router | None = ...
) -> Callable[[HandlerFunc[AgentT, ReceivesT, None]], HandlerFunc[AgentT, ReceivesT, None]]: ...
def event(func: Any = None, *, strict: bool = True, match: Router | None = None) -> Any:
    """Handle only *published* messages of the annotated type(s); returns nothing."""
    return _decorator("event")(func, strict=strict, match=match)


@overload
def rpc(func: HandlerFunc[AgentT, ReceivesT, ProducesT]) -> HandlerFunc[AgentT, ReceivesT, ProducesT]: ...
@overload
def rpc(
    func: None = None, *, strict: bool = ..., match: Router | None = ...
) -> Callable[[HandlerFunc[AgentT, ReceivesT, ProducesT]], HandlerFunc[AgentT, ReceivesT, ProducesT]]: ...
def rpc(func: Any = None, *, strict: bool = True, match: Router | None = None) -> Any:
    """Handle only *sent* messages (send_message) of the annotated type(s); the return value is the reply."""
    return _decorator("rpc")(func, strict=strict, match=match)


class RoutedAgent(BaseAgent):
    """An agent whose handlers are its decorated methods, routed by the message's exact type.

    Example:
        >>> from flowgen.core import SingleThreadedAgentRuntime, AgentId
        >>> class Echo(RoutedAgent):
        ...     @message_handler
        ...     async def echo(self, message: str, ctx: MessageContext) -> str:
        ...         return message.upper()
        >>> async def main() -> str:
        ...     runtime = SingleThreadedAgentRuntime()
        ...     await Echo.register(runtime, "echo", lambda: Echo("echoes"))
        ...     runtime.start()
        ...     reply = await runtime.send_message("hi", AgentId("echo", "default"))
        ...     await runtime.stop()
        ...     return reply
        >>> asyncio.run(main())
        'HI'
    """

    _routes: ClassVar[dict[type[Any], tuple[Any, ...]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Built once per class: agents of one type share the table, so 100,000 agents cost one table.
        routes: dict[type[Any], list[Any]] = {}
        for handler in cls._discover_handlers():
            for target in handler.target_types:
                routes.setdefault(target, []).append(handler)
        cls._routes = {target: tuple(found) for target, found in routes.items()}

    def __init__(self, description: str) -> None:
        super().__init__(description)

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        handlers = self._routes.get(type(message))
        if handlers is not None:
            for handler in handlers:
                if handler.router(message, ctx):
                    return await handler(self, message, ctx)
        return await self.on_unhandled_message(message, ctx)

    async def on_unhandled_message(self, message: Any, ctx: MessageContext) -> Any:
        """No handler took the message. A send raises CantHandleException; a publish is ignored.

        AutoGen returns None to a sender here, which hides the mistake; a publish is broadcast, so
        agents ignoring types they do not handle is normal and only logged.
        """
        if ctx.is_rpc:
            raise CantHandleException(
                f"{type(self).__name__} has no handler for {type(message).__name__} sent by {ctx.sender}: "
                "add a @message_handler or @rpc method taking that type"
            )
        logger.info("%s ignored a published %s", type(self).__name__, type(message).__name__)
        return None

    @classmethod
    def _discover_handlers(cls) -> Sequence[Any]:
        found: list[Any] = []
        for name in dir(cls):
            attr = getattr(cls, name, None)
            if callable(attr) and getattr(attr, "is_message_handler", False) is True:
                found.append(attr)
        return found

    @classmethod
    def _handles_types(cls) -> list[tuple[type[Any], list[MessageSerializer[Any]]]]:
        found = list(cls.internal_extra_handles_types)
        for handler in cls._discover_handlers():
            for target in handler.target_types:
                serializers = try_get_known_serializers_for_type(target)
                if serializers:
                    found.append((target, serializers))
        return found

    @classmethod
    def handled_types(cls) -> list[type[Any]]:
        """Every message type some handler of this class accepts (used by ``flowgen check``)."""
        return list(cls._routes)


class SequentialRoutedAgent(RoutedAgent):
    """A RoutedAgent that handles messages of the listed types one at a time, in arrival order.

    Other types are still handled concurrently, as in RoutedAgent.
    """

    def __init__(self, description: str, sequential_message_types: Sequence[type[Any]]) -> None:
        super().__init__(description)
        self._sequential_message_types = tuple(sequential_message_types)
        # asyncio.Lock hands itself to waiters in the order they queued: arrival order.
        self._sequence_lock = asyncio.Lock()

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        if isinstance(message, self._sequential_message_types):
            async with self._sequence_lock:
                return await super().on_message_impl(message, ctx)
        return await super().on_message_impl(message, ctx)
