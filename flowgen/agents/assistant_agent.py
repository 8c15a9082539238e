"""AssistantAgent: a model with tools, handoffs, memory and structured output (AutoGen's behaviour)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel, ValidationError

from flowgen.agents.assistant_setup import ToolLike, as_handoffs, as_tools, check_model_features, check_names
from flowgen.agents.base_chat_agent import BaseChatAgent, final_response
from flowgen.agents.model_reply import (
    STRUCTURED_OUTPUT_ATTEMPTS,
    is_missing_content,
    no_content,
    parse_structured,
    retry_messages,
    structured_output_failed,
    valid_result,
)
from flowgen.agents.savepoint import LIST_ONLY_CONTEXTS, ContextSavepoint, context_savepoint
from flowgen.agents.tool_execution import Toolbox, run_tool_call, run_tool_calls
from flowgen.base import Handoff, Response, Savepoint
from flowgen.core import CancellationToken, FunctionCall, Image
from flowgen.errors import ConfigurationError, ModelClientError, ToolApprovalPending
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    MemoryQueryEvent,
    ModelClientStreamingChunkEvent,
    StructuredMessage,
    TextMessage,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
    build_tool_message_schemas,
)
from flowgen.model_context import (
    ChatCompletionContext,
    UnboundedChatCompletionContext,
    add_messages,
    shared_history,
)
from flowgen.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from flowgen.shared_fields_set import share_fields_set
from flowgen.telemetry import hooks
from flowgen.tools import BaseTool
from flowgen.valid_text import valid_text

if TYPE_CHECKING:
    from flowgen.agents.approval import ToolApprovalFunc
    from flowgen.memory import Memory
    from flowgen.tools.workbench import Workbench

DEFAULT_DESCRIPTION = "An agent that helps with tasks and can use tools."
DEFAULT_SYSTEM_MESSAGE = (
    "You are a helpful AI assistant. Use your tools to solve tasks. "
    "When the task is done, reply with TERMINATE."
)

SummaryFormatter = Callable[[FunctionCall, FunctionExecutionResult], str]
Event = BaseAgentEvent | BaseChatMessage


class _Call:
    """What one model call produced (filled in by the call)."""

    __slots__ = ("message_id", "result")

    def __init__(self) -> None:
        self.result: CreateResult
        self.message_id: str | None = None


class _Reply(NamedTuple):
    result: CreateResult
    message_id: str | None  # set when streamed: the chunks carry it, and so does the final message
    structured: BaseModel | None = None  # the reply parsed as output_content_type, when there is one


def _without_images(message: LLMMessage) -> LLMMessage:
    if (
        isinstance(message, UserMessage)
        and not isinstance(message.content, str)
        and any(isinstance(p, Image) for p in message.content)
    ):
        text = "\n".join("<image>" if isinstance(p, Image) else p for p in message.content)
        return UserMessage(content=text, source=message.source)
    return message


@functools.lru_cache(maxsize=256)
def _system_message(content: str) -> SystemMessage:
    """One SystemMessage per text, shared by the agents given it (nearly all use the default): the
    agent never changes it, and a server making agents per conversation would keep a copy in each."""
    return SystemMessage(content=content)


class AssistantAgent(BaseChatAgent):
    """An agent that answers with its model, calling tools and handing off as the model asks.

    Each turn: the new messages go into the model context, memory may add to it, the model is
    called; tool calls run (concurrently) and their results go back to the model up to
    ``max_tool_iterations`` times; the turn ends with the model's text (a StructuredMessage with
    ``output_content_type``), a reflection on the tool results, a ToolCallSummaryMessage, or a
    HandoffMessage.

    ``approval_func`` (flowgen's addition) is asked about every tool call before it runs: approve,
    refuse (the model reads why) or pause the run until a person answers
    (:mod:`flowgen.agents.approval`).

    Example:
        >>> import asyncio
        >>> from flowgen.models import ReplayChatCompletionClient
        >>> agent = AssistantAgent("assistant", ReplayChatCompletionClient(["Paris."]))
        >>> asyncio.run(agent.run(task="Capital of France?")).messages[-1].content
        'Paris.'
    """

    def __init__(
        self,
        name: str,
        model_client: ChatCompletionClient,
        *,
        tools: Sequence[ToolLike] | None = None,
        workbench: Workbench | Sequence[Workbench] | None = None,
        handoffs: Sequence[Handoff | str] | None = None,
        model_context: ChatCompletionContext | None = None,
        description: str = DEFAULT_DESCRIPTION,
        system_message: str | None = DEFAULT_SYSTEM_MESSAGE,
        model_client_stream: bool = False,
        reflect_on_tool_use: bool | None = None,
        max_tool_iterations: int = 1,
        tool_call_summary_format: str = "{result}",
        tool_call_summary_formatter: SummaryFormatter | None = None,
        output_content_type: type[BaseModel] | None = None,
        output_content_type_format: str | None = None,
        memory: Sequence[Memory] | None = None,
        metadata: dict[str, str] | None = None,
        approval_func: ToolApprovalFunc | None = None,
    ) -> None:
        super().__init__(name, description)
        self._workbenches: list[Workbench] = []
        if workbench is not None:
            if tools:
                raise ConfigurationError(
                    "Tools cannot be used with a workbench: pass tools=[...] or workbench=..., not both "
                    "(to combine them, put the tools in a StaticWorkbench)"
                )
            from flowgen.agents.workbench_tools import as_workbenches  # only agents with a workbench

            self._workbenches = as_workbenches(workbench)
        if max_tool_iterations < 1:
            raise ConfigurationError(f"max_tool_iterations must be at least 1, got {max_tool_iterations}")
        self._tools = as_tools(tools)
        self._handoffs = as_handoffs(name, handoffs)
        check_names(name, self._tools, self._handoffs)
        check_model_features(
            name,
            model_client.model_info,
            wants_tools=bool(self._tools or self._handoffs),  # a workbench's tools are known only when listed
            output_content_type=output_content_type,
        )
        self._memory = self._check_memory(memory)
        self._model_client = model_client
        self._model_context = model_context if model_context is not None else UnboundedChatCompletionContext()
        self._system_messages = (
            []
            if system_message is None
            else [
                _system_message(system_message)
                if type(system_message) is str
                else SystemMessage(content=system_message)
            ]
        )
        self._model_client_stream = model_client_stream
        self._vision = bool(model_client.model_info.get("vision", False))
        self._may_hold_images = not self._vision
        self._reflect_on_tool_use = (
            reflect_on_tool_use if reflect_on_tool_use is not None else output_content_type is not None
        )
        self._max_tool_iterations = max_tool_iterations
        self._tool_call_summary_format = tool_call_summary_format
        self._tool_call_summary_formatter = tool_call_summary_formatter
        self._output_content_type = output_content_type
        self._output_content_type_format = output_content_type_format
        self._structured_message_type: type[StructuredMessage[Any]] | None = (
            StructuredMessage[output_content_type] if output_content_type is not None else None  # type: ignore[valid-type]
        )
        self._metadata = dict(metadata or {})
        # Built once: the hot path hands the same list to every model call.
        handoff_tools = [h.handoff_tool for h in self._handoffs.values()]
        self._model_tools: list[BaseTool[Any, Any]] = [*self._tools, *handoff_tools]
        self._approval_func = approval_func
        approve = self._approve if approval_func is not None else None
        self._toolbox = Toolbox({t.name: t for t in self._model_tools}, frozenset(self._handoffs), approve)
        if self._model_tools or self._workbenches:
            build_tool_message_schemas()  # now rather than in the middle of the first tool call

    @staticmethod
    def _check_memory(memory: Sequence[Memory] | None) -> list[Memory]:
        if memory is None:
            return []
        from flowgen.memory import Memory  # here: most agents have no memory, and skip loading it

        if isinstance(memory, Memory) or not all(isinstance(m, Memory) for m in memory):
            raise ConfigurationError("memory must be a list of Memory objects, e.g. memory=[ListMemory()]")
        return list(memory)

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        # HandoffMessage is listed even without handoffs, as AutoGen does: teams register the
        # declared types to load saved threads, whatever the agent is configured with today.
        types: list[type[BaseChatMessage]] = [TextMessage, ToolCallSummaryMessage, HandoffMessage]
        if self._structured_message_type is not None:
            types.append(self._structured_message_type)
        return tuple(types)

    @property
    def model_context(self) -> ChatCompletionContext:
        return self._model_context

    @property
    def handoffs(self) -> Mapping[str, Handoff]:
        """The handoffs by tool name (``transfer_to_<target>`` by default)."""
        return self._handoffs

    @property
    def tools(self) -> Sequence[BaseTool[Any, Any]]:
        return tuple(self._tools)

    @property
    def metadata(self) -> dict[str, str]:
        return self._metadata

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        return await final_response(self.on_messages_stream(messages, cancellation_token))

    def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[Event | Response, None]:
        if self._approval_func is None:
            return self._respond(messages, cancellation_token)
        return self._respond_or_undo(messages, cancellation_token)

    async def _respond_or_undo(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[Event | Response, None]:
        """A turn that a paused tool approval undoes: the agent goes back to its savepoint before the turn.

        In a team the step's savepoint undoes it as well; this covers an agent run on its own.
        """
        before = await self.savepoint()
        try:
            async for item in self._respond(messages, cancellation_token):
                yield item
        except ToolApprovalPending:
            await before.restore()  # the turn runs again from the start with the answer
            raise

    async def _approve(self, call: FunctionCall) -> FunctionExecutionResult | None:
        """Ask approval_func about ``call``: None to run it, a refusal result, or ToolApprovalPending."""
        from flowgen.agents.approval import ToolApprovalRequest, ask

        assert self._approval_func is not None
        request = ToolApprovalRequest(
            agent=self.name, call=call, context=await self._model_context.get_messages()
        )
        answer = await ask(self._approval_func, request)
        if answer.approved:
            return None
        if answer.pause:
            raise ToolApprovalPending(self.name, f"{call.name}({call.arguments})", answer.reason)
        why = f": {answer.reason}" if answer.reason else ""
        return FunctionExecutionResult(
            content=f"Error: the call was refused{why}", name=call.name, call_id=call.id, is_error=True
        )

    async def _respond(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[Event | Response, None]:
        await self._add_messages(messages)
        # The context has them now; the list would otherwise live through the model call.
        del messages
        # Made once there is something to hold: in most turns not before the model call, which the
        # list would otherwise live through.
        inner: list[Event] | None = None
        if self._memory:  # most agents have none: skip the coroutine and its empty list
            inner = []
            for event in await self._memory_events():
                inner.append(event)
                yield event
        model_tools, toolbox = self._model_tools, self._toolbox
        if self._workbenches:  # listed once per turn: the same tools for every model call of the turn
            model_tools, toolbox = await self._workbench_toolbox()
        # Set by the first tool round (max_tool_iterations is at least 1): a turn that ends in text, nearly
        # every turn, makes no lists for them, which would live through the model call for nothing.
        calls: list[FunctionCall]
        results: list[FunctionExecutionResult]
        for _ in range(self._max_tool_iterations):
            reply: _Reply | None = None
            if self._model_client_stream or self._output_content_type is not None:
                if inner is None:
                    inner = []
                async for item in self._model_turn(cancellation_token, model_tools):
                    if isinstance(item, _Reply):
                        reply = item
                        continue
                    if isinstance(item, ThoughtEvent):
                        inner.append(item)
                    yield item
                assert reply is not None
            else:
                # The hot path: one plain call, without a generator to create and step through.
                client = self._model_client
                if hooks.observer is not None:  # telemetry on: this call is a span, metrics, a log line
                    client = hooks.observer.model(client, self.name)
                try:
                    result = await client.create(
                        await self._model_messages(),
                        tools=model_tools,
                        json_output=None,
                        cancellation_token=cancellation_token,
                    )
                except ValidationError as exc:
                    if is_missing_content(exc):
                        raise no_content(self.name, self._model_client) from exc
                    raise
                content = result.content
                if result.thought is not None or type(content) is not str or not content.isascii():
                    # Plain ASCII text (nearly every reply) needs no check: no call on the hot path.
                    result = valid_result(result)
                if inner is None:
                    inner = []
                if result.thought:
                    thought = ThoughtEvent(content=result.thought, source=self.name)
                    inner.append(thought)
                    yield thought
                await self._remember(result)
                reply = _Reply(result, None)
            if isinstance(reply.result.content, str):
                yield Response(chat_message=self._final_message(reply), inner_messages=inner)
                return
            calls = reply.result.content
            results = []
            if len(calls) == 1 and not toolbox.streams(calls[0]):
                # One call whose tool does not stream (every handoff): no generators to step through.
                request = ToolCallRequestEvent(
                    content=calls, source=self.name, models_usage=reply.result.usage
                )
                inner.append(request)
                yield request
                results.append(await run_tool_call(toolbox, calls[0], cancellation_token))
                await self._model_context.add_message(FunctionExecutionResultMessage(content=results))
                executed = ToolCallExecutionEvent(content=results, source=self.name)
                inner.append(executed)
                yield executed
            else:
                async for tool_event in self._run_tools(toolbox, reply.result, cancellation_token, results):
                    inner.append(tool_event)
                    yield tool_event
            handoff = self._handoff_message(reply.result, calls, results)
            if handoff is not None:
                yield Response(chat_message=handoff, inner_messages=inner)
                return
        assert inner is not None  # the loop ran: max_tool_iterations is at least 1
        if not self._reflect_on_tool_use:
            yield Response(chat_message=self._summary(calls, results), inner_messages=inner)
            return
        async for final in self._reflect(cancellation_token, calls, results, inner):
            yield final

    async def _workbench_toolbox(self) -> tuple[list[BaseTool[Any, Any]], Toolbox]:
        """The workbenches' tools now, with the handoffs (a handoff wins a name both use)."""
        from flowgen.agents.workbench_tools import list_workbench_tools

        listed = await list_workbench_tools(self._workbenches)
        handoffs = [h.handoff_tool for h in self._handoffs.values()]
        handoff_names = {h.name for h in handoffs}
        tools = [t for t in listed if t.name not in handoff_names] + handoffs
        return tools, Toolbox({t.name: t for t in tools}, frozenset(self._handoffs), self._toolbox.approve)

    async def _run_tools(
        self,
        toolbox: Toolbox,
        result: CreateResult,
        token: CancellationToken,
        results: list[FunctionExecutionResult],
    ) -> AsyncGenerator[Event, None]:
        """The request event, streamed inner events, and the execution event; fills ``results``."""
        calls = result.content
        assert isinstance(calls, list)
        yield ToolCallRequestEvent(content=calls, source=self.name, models_usage=result.usage)
        async for out in run_tool_calls(toolbox, calls, token):
            if isinstance(out, list):
                results.extend(out)
            else:
                yield out
        await self._model_context.add_message(FunctionExecutionResultMessage(content=results))
        yield ToolCallExecutionEvent(content=results, source=self.name)

    async def _reflect(
        self,
        token: CancellationToken,
        calls: list[FunctionCall],
        results: list[FunctionExecutionResult],
        inner: list[Event],
    ) -> AsyncGenerator[Event | Response, None]:
        """One more model call, without tools, to turn the tool results into an answer."""
        reply: _Reply | None = None
        async for item in self._model_turn(token, []):
            if isinstance(item, _Reply):
                reply = item
                continue
            if isinstance(item, ThoughtEvent):
                inner.append(item)
            yield item
        assert reply is not None
        if isinstance(reply.result.content, str):
            yield Response(chat_message=self._final_message(reply), inner_messages=inner)
        else:  # a model that calls tools when offered none: fall back to the tool results
            yield Response(chat_message=self._summary(calls, results), inner_messages=inner)

    def _add_messages(self, messages: Sequence[BaseChatMessage]) -> Awaitable[None]:
        """Add the new messages to the model context: converted now, added when the result is awaited.

        A plain function handing back add_messages' awaitable: a coroutine of its own around it would
        cost a frame on every turn.
        """
        # The context keeps what was said, images included (saved state too, as AutoGen's does); a
        # model without vision gets a text-only view of it in _model_messages.
        converted: list[LLMMessage] = []
        for message in messages:
            # The exact-type test first: an ABC isinstance check costs five times more, on every message.
            if type(message) is not TextMessage and isinstance(message, HandoffMessage):
                converted.extend(message.context)
            converted.append(message.to_model_message())
        if not self._vision and not self._may_hold_images:
            # Only list content can hold an image; text (nearly every message) is passed over at once,
            # in a plain loop: a generator per call costs more than the scan itself.
            for m in converted:
                if type(m.content) is not str and _without_images(m) is not m:
                    self._may_hold_images = True
                    break
        return add_messages(self._model_context, converted)

    async def _memory_events(self) -> list[MemoryQueryEvent]:
        events: list[MemoryQueryEvent] = []
        for memory in self._memory:
            update = await memory.update_context(self._model_context)
            if update is not None and update.memories.results:
                events.append(MemoryQueryEvent(content=list(update.memories.results), source=self.name))
        return events

    async def _model_messages(self) -> list[LLMMessage]:
        history = shared_history(self._model_context)  # no await for an unbounded context (most)
        if history is None:
            history = await self._model_context.get_messages()
        if self._may_hold_images:
            # Rescanned only while the history may hold an image: set when one arrives, and for
            # messages that did not come through _add_messages (initial ones, loaded state).
            compatible = [_without_images(m) for m in history]
            self._may_hold_images = any(a is not b for a, b in zip(compatible, history, strict=True))
            history = compatible
        # A fresh list either way: the client may keep it, and the history may be the context's own.
        return [*self._system_messages, *history] if self._system_messages else list(history)

    async def _model_turn(
        self, token: CancellationToken, tools: Sequence[BaseTool[Any, Any]]
    ) -> AsyncGenerator[ModelClientStreamingChunkEvent | ThoughtEvent | _Reply, None]:
        """Call the model (streaming chunks if asked), record its reply in the context, yield it last.

        With ``output_content_type``, a text reply failing the schema is not recorded: the model is
        asked again with the reply and its validation error added to that request only.
        """
        schema = self._output_content_type
        extra: list[LLMMessage] = []
        for attempt in range(1, STRUCTURED_OUTPUT_ATTEMPTS + 1):
            messages = await self._model_messages()
            messages.extend(extra)
            call = _Call()
            async for chunk in self._call_model(messages, tools, token, call):
                yield chunk
            result = call.result
            structured: BaseModel | None = None
            if schema is not None and isinstance(result.content, str):
                parsed = parse_structured(schema, result.content)
                if isinstance(parsed, ValidationError):
                    if attempt == STRUCTURED_OUTPUT_ATTEMPTS:
                        raise structured_output_failed(self.name, schema, parsed)
                    extra = retry_messages(result.content, parsed, schema, self.name)
                    continue
                structured = parsed
            if result.thought:
                yield ThoughtEvent(content=result.thought, source=self.name)
            await self._remember(result)
            yield _Reply(result, call.message_id, structured)
            return

    async def _call_model(
        self,
        messages: list[LLMMessage],
        tools: Sequence[BaseTool[Any, Any]],
        token: CancellationToken,
        call: _Call,
    ) -> AsyncGenerator[ModelClientStreamingChunkEvent, None]:
        """One model call; streamed chunks are yielded, the reply lands in ``call``."""
        json_output = self._output_content_type
        client = self._model_client
        if hooks.observer is not None:  # telemetry on: this call is a span, metrics, a log line
            client = hooks.observer.model(client, self.name)
        try:
            if not self._model_client_stream:
                created = await client.create(
                    messages, tools=tools, json_output=json_output, cancellation_token=token
                )
                call.result = valid_result(created)
                return
            call.message_id = str(uuid.uuid4())
            result: CreateResult | None = None
            async for chunk in client.create_stream(
                messages, tools=tools, json_output=json_output, cancellation_token=token
            ):
                if isinstance(chunk, CreateResult):
                    result = chunk
                else:
                    yield ModelClientStreamingChunkEvent(
                        content=valid_text(chunk), source=self.name, full_message_id=call.message_id
                    )
        except ValidationError as exc:
            if is_missing_content(exc):
                raise no_content(self.name, self._model_client) from exc
            raise
        if result is None:
            raise ModelClientError("the model's stream ended without a final CreateResult")
        call.result = valid_result(result)

    def _remember(self, result: CreateResult) -> Awaitable[None]:
        """Record the model's reply in the context (when the result is awaited).

        Hands back the context's own awaitable: a coroutine around it would cost a frame per model call.
        """
        try:
            message = share_fields_set(
                AssistantMessage(content=result.content, source=self.name, thought=result.thought)
            )
        except ValidationError as exc:
            if result.content is None:  # a custom client's reply built without validation
                raise no_content(self.name, self._model_client) from exc
            raise
        return self._model_context.add_message(message)

    def _final_message(self, reply: _Reply) -> BaseChatMessage:
        result = reply.result
        assert isinstance(result.content, str)
        ids = {"id": reply.message_id} if reply.message_id is not None else {}
        if self._structured_message_type is not None and reply.structured is not None:
            return self._structured_message_type(
                content=reply.structured,
                source=self.name,
                models_usage=result.usage,
                format_string=self._output_content_type_format,
                **ids,
            )
        return share_fields_set(
            TextMessage(content=result.content, source=self.name, models_usage=result.usage, **ids)
        )

    def _summary(
        self, calls: Sequence[FunctionCall], results: Sequence[FunctionExecutionResult]
    ) -> ToolCallSummaryMessage:
        lines: list[str] = []
        for call, result in zip(calls, results, strict=True):
            if self._tool_call_summary_formatter is not None:
                lines.append(self._tool_call_summary_formatter(call, result))
            else:
                lines.append(
                    self._tool_call_summary_format.format(
                        tool_name=call.name,
                        arguments=call.arguments,
                        result=result.content,
                        is_error=result.is_error,
                    )
                )
        return ToolCallSummaryMessage(
            content="\n".join(lines), source=self.name, tool_calls=list(calls), results=list(results)
        )

    def _handoff_message(
        self, result: CreateResult, calls: Sequence[FunctionCall], results: Sequence[FunctionExecutionResult]
    ) -> HandoffMessage | None:
        """The first handoff the model asked for, carrying the other calls and their results along."""
        handoffs = self._handoffs
        # Plain loops: these run on every handoff, and a generator per search costs more than the search.
        for requested in calls:
            if requested.name in handoffs:
                break
        else:
            return None
        handoff = handoffs[requested.name]
        # The handoff tool's result is the message handed over (its ``message`` unless overridden).
        content = handoff.message
        for r in results:
            if r.call_id == requested.id:
                content = r.content
                break
        others = [c for c in calls if c.name not in handoffs] if len(calls) > 1 else []
        context: list[LLMMessage] = []
        if others:
            ids = {c.id for c in others}
            context = [
                AssistantMessage(content=others, source=self.name, thought=result.thought),
                FunctionExecutionResultMessage(content=[r for r in results if r.call_id in ids]),
            ]
        elif result.thought:
            context = [AssistantMessage(content=result.thought, source=self.name)]
        return HandoffMessage(content=content, target=handoff.target, source=self.name, context=context)

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        await self._model_context.clear()

    async def savepoint(self) -> Savepoint:
        """The model context as it is (the only thing a turn changes): its list and length, for a built-in one."""
        context = self._model_context
        if type(context) in LIST_ONLY_CONTEXTS:  # every built-in context: nothing is copied
            return ContextSavepoint(context, self)
        return await context_savepoint(context, self)

    def _history_restored(self) -> None:
        """A savepoint put the model context back (the step it saved did not commit)."""
        # The restored history may hold images again: rescan it before the next model call.
        self._may_hold_images = not self._vision

    async def save_state(self) -> Mapping[str, Any]:
        # AssistantAgentState's dump, built directly: validating and re-dumping the whole context
        # would cost every checkpoint the length of the conversation.
        return {
            "type": "AssistantAgentState",
            "version": "1.0.0",
            "llm_context": await self._model_context.save_state(),
        }

    async def load_state(self, state: Mapping[str, Any]) -> None:
        from flowgen.agents.state import AssistantAgentState

        saved = AssistantAgentState.model_validate(state)
        await self._model_context.load_state(saved.llm_context)
        self._may_hold_images = not self._vision

    async def close(self) -> None:
        await self._model_client.close()
