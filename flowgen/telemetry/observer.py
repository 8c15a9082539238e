"""Telemetry: the observer behind the hooks — spans, metrics and log lines of what flowgen records.

One object answers every hook (:mod:`flowgen.telemetry.hooks`); each of its three outputs is optional:
a tracer (spans), :class:`~flowgen.telemetry.metrics.Metrics`, and event log lines. The run and turn
hooks arrive through :class:`~flowgen.telemetry.recorder.ObservedRecorder`, the engine's own recorder
with the observer listening, so spans and metrics are built from the same events as the run trace.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from time import perf_counter
from typing import TYPE_CHECKING, Any

from flowgen.telemetry import hooks, semconv
from flowgen.telemetry.metrics import Metrics
from flowgen.telemetry.model_calls import ObservedModel
from flowgen.telemetry.redaction import Redactor

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer

    from flowgen.core import FunctionCall
    from flowgen.engine.recording import StopKind, TraceRecorder
    from flowgen.graph.spec import GraphSpec
    from flowgen.models.client import ChatCompletionClient
    from flowgen.models.types import CreateResult, FunctionExecutionResult

events = logging.getLogger("flowgen.events")


class RunScope:
    __slots__ = ("conversation", "previous", "span", "started", "team")

    def __init__(self, team: str, span: Span | None, previous: Context | None, conversation: str | None):
        self.team = team
        self.span = span
        self.previous = previous
        self.conversation = conversation
        self.started = perf_counter()


class TurnScope:
    __slots__ = ("agent", "previous", "span", "started")

    def __init__(self, agent: str, span: Span | None, previous: Context | None) -> None:
        self.agent = agent
        self.span = span
        self.previous = previous
        self.started = perf_counter()


class ModelCall:
    """One model call going on: what its span, metrics and log line need when it ends."""

    __slots__ = ("agent", "first_chunk", "model", "previous", "provider", "retries", "span", "started")

    def __init__(self, agent: str, provider: str, model: str | None) -> None:
        self.agent = agent
        self.provider = provider
        self.model = model
        self.span: Span | None = None
        self.previous: Context | None = None
        self.retries = 0
        self.first_chunk: float | None = None
        self.started = perf_counter()


class ToolScope:
    __slots__ = ("error_type", "span")

    def __init__(self, span: Span | None) -> None:
        self.span = span
        self.error_type: str | None = None


#: The model call / tool call going on in this task, for the hooks called from inside it.
_model_call: ContextVar[ModelCall | None] = ContextVar("flowgen_model_call", default=None)
_tool_call: ContextVar[ToolScope | None] = ContextVar("flowgen_tool_call", default=None)


class Telemetry:
    """The installed observer: spans (``tracer``), ``metrics`` and event logs, each optional.

    Made and installed by :func:`flowgen.telemetry.instrument`; usable as a context manager that
    uninstalls it on exit.
    """

    def __init__(
        self,
        *,
        tracer: Tracer | None,
        metrics: Metrics | None,
        logs: bool,
        capture_content: bool,
        core_deliveries: bool,
    ) -> None:
        self.tracer = tracer
        self.metrics = metrics
        self.logs = logs
        self.capture_content = capture_content
        self.core_deliveries = core_deliveries
        self.redactor = Redactor()
        #: flowgen.telemetry.spans, loaded with a tracer (it imports OpenTelemetry); resolved once here,
        #: since an import statement in a hook would cost a Python-level call each time.
        self._ops: Any = None
        if tracer is not None:
            from flowgen.telemetry import spans

            self._ops = spans

    def __enter__(self) -> Telemetry:
        return self

    def __exit__(self, *exc: object) -> None:
        if hooks.observer is self:
            hooks.observer = None

    def _leave(self, previous: Context | None) -> None:
        if previous is not None:
            self._ops.leave(previous)

    def _log(self, event: str, message: str, fields: dict[str, Any]) -> None:
        fields["event"] = event
        events.info(message, extra={"flowgen": fields})

    # ---------------------------------------------------------------- runs and turns (the engine)

    def recorder(self, spec: GraphSpec, team: str) -> TraceRecorder:
        from flowgen.telemetry.recorder import ObservedRecorder

        return ObservedRecorder(spec, self, team)

    def run_started(self, team: str, task: str) -> RunScope:
        metrics = self.metrics
        if metrics is not None:
            metrics.add("flowgen.runs.started", 1, team)
            metrics.add("flowgen.runs.active", 1, team)
        conversation = hooks.conversation_id.get()
        if self.tracer is None:
            return RunScope(team, None, None, conversation)

        attributes: dict[str, Any] = {
            semconv.OPERATION: semconv.INVOKE_WORKFLOW,
            semconv.WORKFLOW_NAME: team,
            semconv.AGENT_NAME: team,
        }
        if conversation is not None:
            attributes[semconv.CONVERSATION_ID] = conversation
        if self.capture_content and task:
            from flowgen.models.types import UserMessage

            attributes[semconv.INPUT_MESSAGES] = self._ops.messages_json(
                [UserMessage(content=task, source="user")], self.redactor
            )
        span = self.tracer.start_span(f"{semconv.INVOKE_WORKFLOW} {team}", attributes=attributes)
        return RunScope(team, span, self._ops.enter(span), conversation)

    def turn_started(self, run: RunScope, agent: str, turn: int) -> TurnScope:
        if run.span is None or self.tracer is None:
            return TurnScope(agent, None, None)
        attributes: dict[str, Any] = {
            semconv.OPERATION: semconv.INVOKE_AGENT,
            semconv.AGENT_NAME: agent,
            "flowgen.team": run.team,
            "flowgen.turn": turn,
        }
        if run.conversation is not None:
            attributes[semconv.CONVERSATION_ID] = run.conversation
        span = self.tracer.start_span(
            f"{semconv.INVOKE_AGENT} {agent}",
            context=self._ops.set_span_in_context(run.span),
            attributes=attributes,
        )
        return TurnScope(agent, span, self._ops.enter(span))

    def turn_finished(
        self, scope: TurnScope, duration: float | None, prompt: int, completion: int, error: str | None
    ) -> None:
        status = "ok" if error is None else "cancelled" if duration is None else "error"
        span = scope.span
        if span is not None:
            span.set_attributes({semconv.INPUT_TOKENS: prompt, semconv.OUTPUT_TOKENS: completion})
            if error is not None:
                self._ops.fail(
                    span,
                    self._ops.error_type(error) if duration is not None else "cancelled",
                    error,
                    self.redactor,
                )
            span.end()
        metrics = self.metrics
        if metrics is not None:
            metrics.add("flowgen.agent.turns", 1, scope.agent, status)
            if duration is not None:
                metrics.observe("flowgen.agent.turn.duration", duration, scope.agent)
        if self.logs:
            fields = {"agent": scope.agent, "duration_s": duration, "input_tokens": prompt}
            fields.update(output_tokens=completion, outcome=status)
            if error is not None:
                fields["error"] = error
            self._log("turn_finished", f"{scope.agent} finished its turn ({status})", fields)
        self._leave(scope.previous)  # last: the log line above carries the span's ids

    def run_stopped(self, run: RunScope, reason: str, stop: StopKind) -> None:
        span = run.span
        if span is not None:
            span.set_attribute("flowgen.stop.kind", stop)
            span.set_attribute("flowgen.stop.reason", self.redactor.redact(reason)[:1000])
            if stop == "error":
                self._ops.fail(span, self._ops.error_type(reason), reason, self.redactor)
            elif stop == "cancelled":
                self._ops.fail(span, "cancelled", "the run was cancelled", self.redactor)
            span.end()
        metrics = self.metrics
        if metrics is not None:
            metrics.add("flowgen.runs.finished", 1, run.team, stop)
            metrics.add("flowgen.runs.active", -1, run.team)
        if self.logs:
            fields: dict[str, Any] = {"team": run.team, "stop": stop, "reason": reason}
            fields["duration_s"] = perf_counter() - run.started
            self._log("run_stopped", f"{run.team} stopped ({stop})", fields)
        self._leave(run.previous)

    # ---------------------------------------------------------------- agents run outside a team

    def agent_started(self, name: str) -> TurnScope:
        """An ``invoke_agent`` span under the current span (a tool call's, or none)."""
        scope = TurnScope(name, None, None)
        if self.tracer is not None:
            attributes = {semconv.OPERATION: semconv.INVOKE_AGENT, semconv.AGENT_NAME: name}
            conversation = hooks.conversation_id.get()
            if conversation is not None:
                attributes[semconv.CONVERSATION_ID] = conversation
            scope.span = self.tracer.start_span(f"{semconv.INVOKE_AGENT} {name}", attributes=attributes)
            scope.previous = self._ops.enter(scope.span)
        return scope

    def agent_finished(self, scope: TurnScope, messages: Sequence[Any], error: BaseException | None) -> None:
        duration = perf_counter() - scope.started
        prompt = completion = 0
        for message in messages:
            usage = message.models_usage
            if usage is not None:
                prompt += usage.prompt_tokens
                completion += usage.completion_tokens
        if error is not None and _cancelled(error):
            self.turn_finished(scope, None, prompt, completion, "cancelled")
        else:
            text = None if error is None else f"{type(error).__name__}: {error}"
            self.turn_finished(scope, duration, prompt, completion, text)

    async def agent_stream(self, name: str, replies: AsyncIterator[Any]) -> AsyncIterator[Any]:
        scope = self.agent_started(name)
        seen: list[Any] = []
        try:
            async for item in replies:
                chat = getattr(item, "chat_message", None)  # the Response: its messages count
                if chat is not None:
                    seen.extend([*(item.inner_messages or ()), chat])
                yield item
        except BaseException as exc:
            self.agent_finished(scope, seen, exc)
            raise
        self.agent_finished(scope, seen, None)

    # ---------------------------------------------------------------- model calls

    def model(self, client: ChatCompletionClient, agent: str) -> ChatCompletionClient:
        return ObservedModel(client, self, agent)

    def model_started(
        self, client: ChatCompletionClient, agent: str, messages: Sequence[Any], streaming: bool
    ) -> ModelCall:
        provider, model, parameters = client._telemetry_request()
        call = ModelCall(agent, provider, model)
        if self.tracer is not None:
            attributes: dict[str, Any] = {
                semconv.OPERATION: semconv.CHAT,
                semconv.PROVIDER: provider,
                semconv.AGENT_NAME: agent,
                semconv.REQUEST_STREAM: streaming,
            }
            if model is not None:
                attributes[semconv.REQUEST_MODEL] = model
            for key, value in parameters.items():
                name = semconv.REQUEST_PARAMETERS.get(key)
                if name is not None and value is not None:
                    attributes[name] = [value] if isinstance(value, str) else value
            conversation = hooks.conversation_id.get()
            if conversation is not None:
                attributes[semconv.CONVERSATION_ID] = conversation
            if self.capture_content:
                attributes[semconv.INPUT_MESSAGES] = self._ops.messages_json(messages, self.redactor)
            name = f"{semconv.CHAT} {model}" if model else semconv.CHAT
            call.span = self.tracer.start_span(name, kind=self._ops.CLIENT, attributes=attributes)
            call.previous = self._ops.enter(call.span)
        _model_call.set(call)
        return call

    def model_finished(self, call: ModelCall, result: CreateResult | None, exc: BaseException | None) -> None:
        _model_call.set(None)
        duration = perf_counter() - call.started
        status = "ok" if exc is None else "cancelled" if _cancelled(exc) else "error"
        span = call.span
        if span is not None:
            ending: dict[str, Any] = {}
            if result is not None:
                reason = semconv.FINISH_REASON.get(result.finish_reason, result.finish_reason)
                ending[semconv.FINISH_REASONS] = (reason,)
                ending[semconv.INPUT_TOKENS] = result.usage.prompt_tokens
                ending[semconv.OUTPUT_TOKENS] = result.usage.completion_tokens
                if self.capture_content:
                    ending[semconv.OUTPUT_MESSAGES] = self._ops.output_json(
                        result.content, reason, self.redactor
                    )
            if call.first_chunk is not None:
                ending[semconv.TIME_TO_FIRST_CHUNK] = call.first_chunk - call.started
            span.set_attributes(ending)  # one call: each one takes the span's lock
            if exc is not None:
                self._ops.fail(span, type(exc).__name__, str(exc) or type(exc).__name__, self.redactor)
            span.end()
        model = call.model or "unknown"
        metrics = self.metrics
        if metrics is not None:
            metrics.add("flowgen.model.calls", 1, call.provider, model, status)
            metrics.observe("flowgen.model.duration", duration, call.provider, model)
            if call.first_chunk is not None:
                ttft = call.first_chunk - call.started
                metrics.observe("flowgen.model.time_to_first_token", ttft, call.provider, model)
            if result is not None:
                metrics.add("flowgen.model.tokens", result.usage.prompt_tokens, model, "input")
                metrics.add("flowgen.model.tokens", result.usage.completion_tokens, model, "output")
        if self.logs:
            fields: dict[str, Any] = {"agent": call.agent, "provider": call.provider, "model": model}
            fields.update(duration_s=duration, retries=call.retries, outcome=status)
            if result is not None:
                fields.update(
                    input_tokens=result.usage.prompt_tokens, output_tokens=result.usage.completion_tokens
                )
            if exc is not None:
                fields["error"] = f"{type(exc).__name__}: {exc}"
            self._log("model_call", f"{call.provider} model call for {call.agent} ({status})", fields)
        self._leave(call.previous)

    def model_response(self, response_id: str | None, response_model: str | None) -> None:
        call = _model_call.get()
        if call is None or call.span is None:
            return
        if response_id:
            call.span.set_attribute(semconv.RESPONSE_ID, response_id[:256])
        if response_model:
            call.span.set_attribute(semconv.RESPONSE_MODEL, response_model[:256])

    def model_retry(self, provider: str) -> None:
        if self.metrics is not None:
            self.metrics.add("flowgen.model.retries", 1, provider.lower())
        call = _model_call.get()
        if call is not None:
            call.retries += 1
            if call.span is not None:
                call.span.add_event("retry", {"flowgen.retry": call.retries})

    def http_headers(self) -> dict[str, str] | None:
        if self.tracer is None:
            return None
        from opentelemetry.propagate import inject

        headers: dict[str, str] = {}
        inject(headers)
        return headers or None

    # ---------------------------------------------------------------- tools

    def tool_call(
        self, call: FunctionCall, known: bool, run: Awaitable[FunctionExecutionResult]
    ) -> Awaitable[FunctionExecutionResult]:
        return self._tool_call(call, call.name if known else "unknown", run)

    async def _tool_call(
        self, call: FunctionCall, tool: str, run: Awaitable[FunctionExecutionResult]
    ) -> FunctionExecutionResult:
        scope = ToolScope(None)
        previous = None
        if self.tracer is not None:
            attributes: dict[str, Any] = {
                semconv.OPERATION: semconv.EXECUTE_TOOL,
                semconv.TOOL_NAME: tool,
                semconv.TOOL_CALL_ID: call.id[:256],
                semconv.TOOL_TYPE: "function",
            }
            if self.capture_content:
                attributes[semconv.TOOL_ARGUMENTS] = self.redactor.redact(call.arguments)
            scope.span = self.tracer.start_span(f"{semconv.EXECUTE_TOOL} {tool}", attributes=attributes)
            previous = self._ops.enter(scope.span)
        token = _tool_call.set(scope)
        started = perf_counter()
        result: FunctionExecutionResult | None = None
        try:
            result = await run
            return result
        finally:
            _tool_call.reset(token)
            self._tool_finished(scope, tool, call, result, perf_counter() - started, previous)

    def _tool_finished(
        self,
        scope: ToolScope,
        tool: str,
        call: FunctionCall,
        result: FunctionExecutionResult | None,
        duration: float,
        previous: Context | None,
    ) -> None:
        if result is None:
            status, error = "cancelled", "cancelled"
        elif result.is_error:
            status, error = "error", scope.error_type or "tool_error"
        else:
            status, error = "ok", None
        span = scope.span
        if span is not None:
            if self.capture_content and result is not None:
                span.set_attribute(semconv.TOOL_RESULT, self.redactor.redact(result.content))
            if error is not None:
                self._ops.fail(
                    span, error, result.content if result is not None else "cancelled", self.redactor
                )
            span.end()
        if self.metrics is not None:
            self.metrics.add("flowgen.tool.calls", 1, tool, status)
            self.metrics.observe("flowgen.tool.duration", duration, tool)
        if self.logs:
            fields: dict[str, Any] = {"tool": tool, "call_id": call.id[:256], "duration_s": duration}
            fields.update(arguments_chars=len(call.arguments), outcome=status)
            if result is not None:
                fields["result_chars"] = len(result.content)
            if error is not None:
                fields["error_type"] = error
            self._log("tool_executed", f"tool {tool} ran ({status})", fields)
        self._leave(previous)

    def tool_error(self, exc: BaseException) -> None:
        scope = _tool_call.get()
        if scope is not None:
            scope.error_type = type(exc).__name__

    # ---------------------------------------------------------------- agents, checkpoints, interventions

    def agent_created(self, name: str, kind: str) -> None:
        if self.logs:
            self._log("agent_created", f"{kind} {name} created", {"agent": name, "kind": kind})

    def model_fallback(self, model: str, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.add("flowgen.model.fallbacks", 1, model, reason)
        call = _model_call.get()
        if call is not None and call.span is not None:  # the chat span shows which models it passed over
            call.span.add_event(
                "fallback", {"flowgen.fallback.skipped": model, "flowgen.fallback.reason": reason}
            )

    def breaker_changed(self, model: str, state: str, previous: str) -> None:
        if self.metrics is None:
            return
        self.metrics.add("flowgen.model.breaker_transitions", 1, model, state)
        if state == "open" or previous == "open":
            self.metrics.add("flowgen.model.breakers_open", 1 if state == "open" else -1, model)

    def checkpoint_written(self, seconds: float, ok: bool) -> None:
        if self.metrics is not None:
            self.metrics.add("flowgen.checkpoint.writes", 1, "ok" if ok else "error")
            self.metrics.observe("flowgen.checkpoint.duration", seconds)

    def messages_dropped(self, count: int, intervention: str) -> None:
        if self.metrics is not None:
            self.metrics.add("flowgen.messages.dropped", count, intervention)

    # ---------------------------------------------------------------- the Core runtime

    def carry(self) -> dict[str, str]:
        return self.http_headers() or {}

    def delivery(
        self, operation: str, recipient: str, message_type: str, carried: Mapping[str, str] | None
    ) -> AbstractContextManager[Any]:
        return self._delivery(operation, recipient, message_type, carried)

    @contextmanager
    def _delivery(
        self, operation: str, recipient: str, message_type: str, carried: Mapping[str, str] | None
    ) -> Iterator[Span | None]:
        if self.tracer is None:
            yield None
            return
        from opentelemetry import context as otel_context
        from opentelemetry.propagate import extract
        from opentelemetry.trace import SpanKind

        parent = extract(dict(carried)) if carried else otel_context.get_current()
        if not self.core_deliveries:  # no span of our own: the handler's spans join the sender's trace
            previous = otel_context.get_current()
            otel_context.attach(parent)
            try:
                yield None
            finally:
                self._ops.leave(previous)
            return
        kind = SpanKind.PRODUCER if operation in ("send", "publish") else SpanKind.CONSUMER
        attributes = {"messaging.operation.name": operation, "messaging.destination.name": recipient}
        attributes["flowgen.message.type"] = message_type
        span = self.tracer.start_span(
            f"{operation} {recipient}", context=parent, kind=kind, attributes=attributes
        )
        previous_ctx = self._ops.enter(span)
        try:
            yield span
        except BaseException as exc:
            self._ops.fail(span, type(exc).__name__, str(exc), self.redactor)
            raise
        finally:
            span.end()
            self._ops.leave(previous_ctx)


def _cancelled(exc: BaseException) -> bool:
    import asyncio

    return isinstance(exc, asyncio.CancelledError | GeneratorExit)
