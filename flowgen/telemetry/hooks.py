"""The hook interface: how the engine, the agents, the model clients and the tools report to telemetry.

Nothing here imports OpenTelemetry or prometheus_client. :data:`observer` is ``None`` until
:func:`flowgen.telemetry.instrument` (or :func:`flowgen.telemetry.configure_logging`) installs one, and
every hook site reads it first, so a program that configures no telemetry pays one module attribute
read per model call, tool call and run — nothing per message, and no object is made.

Hook sites (each one line where it sits):

- the engine's recorder (``flowgen.engine.scheduler``): ``observer.recorder(spec, team)`` replaces the
  plain :class:`~flowgen.engine.recording.TraceRecorder`; its run/node events become the team span,
  the turn spans, the run and turn metrics and the run/turn log lines — the trace, exported;
- the agent's model calls (``AssistantAgent``): ``observer.model(client, agent)`` wraps the client for
  one call: the ``chat {model}`` span, model metrics and log line;
- the network clients: ``observer.http_headers()`` (the W3C ``traceparent`` of the current span, sent
  with each SDK request), ``observer.model_response(id, model)`` and ``observer.model_retry(provider)``;
- tool execution: ``observer.tool_call(call, known, run)`` around each call's awaitable, and
  ``observer.tool_error(exc)`` when a tool raised;
- fallback chains (``FallbackChatCompletionClient``): ``observer.model_fallback(model, reason)`` when a
  call moves past a model, and ``observer.breaker_changed(model, state, previous)`` when a model's
  circuit breaker changes state;
- agents: ``observer.agent_created(name, kind)``; an agent run outside a team (``agent.run`` /
  ``run_stream``, as AgentTool does) is an ``invoke_agent`` span too: ``observer.agent_started(name)``
  and ``observer.agent_finished(scope, messages, error)``, or ``observer.agent_stream(name, replies)``.

Hooks for the parts that run beyond one team (documented here so that they need not import
telemetry): ``observer.checkpoint_written(seconds, ok)`` after each checkpoint write,
``observer.messages_dropped(count, intervention)`` when an intervention handler drops messages, and,
for the Core runtime, ``observer.carry()`` (a dict of W3C trace-context headers to put in a message's
envelope when it is sent or published) and ``observer.delivery(operation, recipient, message_type,
carried)`` (a context manager around handling a delivered message: the handler's spans join the
sender's trace; a delivery span of its own only when ``instrument(core_deliveries=True)``). A runtime
constructed with ``tracer_provider=`` (as AutoGen's are) keeps
:func:`flowgen.telemetry.runtime_observer` of that provider and calls the same two methods on it.

:data:`conversation_id` is the thread id of the run going on, when there is one: the durable-runs
layer (or the application) sets it with :func:`flowgen.telemetry.conversation`; spans carry it as
``gen_ai.conversation.id``.

Secret values that do not look like keys (an ``api_key=`` of any shape) are registered with
:func:`add_secret` by the clients that receive them, and redacted from every log line and span.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
    from contextlib import AbstractContextManager

    from flowgen.core import FunctionCall
    from flowgen.messages import BaseAgentEvent, BaseChatMessage
    from flowgen.models.client import ChatCompletionClient
    from flowgen.models.types import FunctionExecutionResult


class Observer(Protocol):
    """What a hook site may call on the installed observer (see the module docstring)."""

    # The graph and the recorder are typed loosely: this module sits below the engine, which calls it.
    def recorder(self, spec: Any, team: str) -> Any: ...

    def model(self, client: ChatCompletionClient, agent: str) -> ChatCompletionClient: ...

    def model_response(self, response_id: str | None, response_model: str | None) -> None: ...

    def model_retry(self, provider: str) -> None: ...

    def http_headers(self) -> dict[str, str] | None: ...

    def tool_call(
        self, call: FunctionCall, known: bool, run: Awaitable[FunctionExecutionResult]
    ) -> Awaitable[FunctionExecutionResult]: ...

    def tool_error(self, exc: BaseException) -> None: ...

    def agent_created(self, name: str, kind: str) -> None: ...

    def agent_started(self, name: str) -> Any: ...

    def agent_finished(
        self, scope: Any, messages: Sequence[BaseAgentEvent | BaseChatMessage], error: BaseException | None
    ) -> None: ...

    def agent_stream(
        self, name: str, replies: AsyncIterator[BaseAgentEvent | BaseChatMessage | Any]
    ) -> AsyncIterator[BaseAgentEvent | BaseChatMessage | Any]: ...

    def model_fallback(self, model: str, reason: str) -> None: ...

    def breaker_changed(self, model: str, state: str, previous: str) -> None: ...

    def checkpoint_written(self, seconds: float, ok: bool) -> None: ...

    def messages_dropped(self, count: int, intervention: str) -> None: ...

    def carry(self) -> dict[str, str]: ...

    def delivery(
        self, operation: str, recipient: str, message_type: str, carried: Mapping[str, str] | None
    ) -> AbstractContextManager[Any]: ...


#: The installed observer; None when no telemetry is configured (the hook sites test this first).
observer: Observer | None = None

#: The thread id of the run going on, if it has one (spans carry it as ``gen_ai.conversation.id``).
conversation_id: ContextVar[str | None] = ContextVar("flowgen_conversation_id", default=None)

#: Secret values to redact wherever they would appear (API keys handed to clients).
secrets: set[str] = set()


def add_secret(value: str | None) -> None:
    """Redact ``value`` from logs and spans from now on (values under 8 characters are not secrets)."""
    if value and len(value) >= 8:
        secrets.add(value)
