"""CodeExecutorAgent: runs the code blocks it is sent, or, with a model, writes code, runs and fixes it.

AutoGen's agent and constructor, with its defects fixed (docs/migration.md):

- ```` ```bash ````, ```` ```shell ````, ```` ```py ```` and ```` ```python3 ```` fences count as their
  languages (``sh``, ``python``); AutoGen's agent skips them without a word.
- ``approval_func`` sees the real conversation: the agent records what it is sent in its model
  context in both modes, where AutoGen's shows an empty context to an agent without a model.
- A retry does not add the task to the model context again.
- ``on_reset`` clears the model context and restarts the executor; AutoGen's does nothing.
- The final Response carries the CodeGenerationEvents and CodeExecutionEvents as inner messages,
  not only the stream.
- A retry decision the model answers with invalid JSON ends the retries, where AutoGen crashes.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from flowgen.agents.approval import ApprovalResponse
from flowgen.agents.base_chat_agent import BaseChatAgent, final_response
from flowgen.agents.code_fences import FenceReader
from flowgen.agents.state import BaseState
from flowgen.base import Response
from flowgen.code_executors.executor import CodeExecutor
from flowgen.code_executors.types import CodeBlock, CodeResult
from flowgen.core import CancellationToken
from flowgen.errors import ToolApprovalPending, UnsupportedModelFeatureError
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    CodeExecutionEvent,
    CodeGenerationEvent,
    HandoffMessage,
    ModelClientStreamingChunkEvent,
    TextMessage,
    ThoughtEvent,
)
from flowgen.model_context import ChatCompletionContext, UnboundedChatCompletionContext
from flowgen.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    SystemMessage,
    UserMessage,
)

Event = BaseAgentEvent | BaseChatMessage


class RetryDecision(BaseModel):
    """The model's answer to "should the failed code be tried again?"."""

    reason: str
    retry: bool


class ApprovalRequest(BaseModel):
    """What an approval function is asked about: the code, and the conversation that led to it."""

    code: str
    context: list[LLMMessage]


SyncApprovalFunc = Callable[[ApprovalRequest], ApprovalResponse]
AsyncApprovalFunc = Callable[[ApprovalRequest], Awaitable[ApprovalResponse]]
ApprovalFuncType = SyncApprovalFunc | AsyncApprovalFunc


class CodeExecutorAgentState(BaseState):
    """A CodeExecutorAgent's state: its model context."""

    type: str = "CodeExecutorAgentState"
    llm_context: Mapping[str, Any] = Field(default_factory=lambda: {"messages": []})


class CodeExecutorAgent(BaseChatAgent):
    """Runs code blocks with a :class:`~flowgen.code_executors.CodeExecutor`.

    Without ``model_client`` it runs the fenced code blocks of the messages it is sent (from
    ``sources`` only, when given) and replies with their output. With one, it asks the model to write
    code for the task, runs it, asks the model whether to retry after an error (up to
    ``max_retries_on_error`` times; the model must support structured output), and replies with the
    model's reflection on the result.

    Use a :class:`~flowgen.code_executors.SandboxedCodeExecutor` for code a model wrote; with an
    executor that isolates nothing and no ``approval_func``, the agent warns.

    Example:
        >>> import asyncio
        >>> from flowgen.code_executors import SandboxedCodeExecutor
        >>> async def main() -> str:
        ...     async with SandboxedCodeExecutor(timeout=10) as executor:
        ...         agent = CodeExecutorAgent("runner", executor)
        ...         result = await agent.run(task="```python\\nprint(6 * 7)\\n```")
        ...     return result.messages[-1].to_text()
        >>> asyncio.run(main())
        '42\\n'
    """

    DEFAULT_TERMINAL_DESCRIPTION = (
        "Runs the Python (```python) and shell (```sh) code blocks it is sent and replies with their "
        "output; it does nothing else."
    )
    DEFAULT_AGENT_DESCRIPTION = (
        "Writes Python and shell code for a task, runs it, fixes errors, and reports the result."
    )
    DEFAULT_SYSTEM_MESSAGE = (
        "You solve tasks by writing code that is run for you: Python in ```python blocks, shell scripts "
        "in ```sh blocks. The output comes back to you, so print what you need to see, and handle "
        "errors and edge cases."
    )
    NO_CODE_BLOCKS_FOUND_MESSAGE = (
        "There was no code block to run. Send code in a fenced block marked with its language, "
        "such as ```python or ```sh."
    )
    DEFAULT_SUPPORTED_LANGUAGES = ["python", "sh"]

    component_type = "agent"

    def __init__(
        self,
        name: str,
        code_executor: CodeExecutor,
        *,
        model_client: ChatCompletionClient | None = None,
        model_context: ChatCompletionContext | None = None,
        model_client_stream: bool = False,
        max_retries_on_error: int = 0,
        description: str | None = None,
        system_message: str | None = DEFAULT_SYSTEM_MESSAGE,
        sources: Sequence[str] | None = None,
        supported_languages: list[str] | None = None,
        approval_func: ApprovalFuncType | None = None,
    ) -> None:
        if description is None:
            description = (
                self.DEFAULT_TERMINAL_DESCRIPTION if model_client is None else self.DEFAULT_AGENT_DESCRIPTION
            )
        super().__init__(name=name, description=description)
        if not isinstance(code_executor, CodeExecutor):
            raise TypeError(
                f"code_executor must be a CodeExecutor (e.g. SandboxedCodeExecutor()), got {type(code_executor).__name__}"
            )
        if max_retries_on_error < 0:
            raise ValueError(f"max_retries_on_error must be 0 or more, got {max_retries_on_error}")
        if max_retries_on_error > 0 and (
            model_client is None or not model_client.model_info.get("structured_output", False)
        ):
            raise UnsupportedModelFeatureError(
                f"agent {name!r} has max_retries_on_error={max_retries_on_error}, which needs a model client "
                "whose model_info says structured_output=True (the retry decision is structured output)"
            )
        if approval_func is None and not getattr(code_executor, "isolates_code", False):
            warnings.warn(
                f"CodeExecutorAgent {name!r} runs code with {type(code_executor).__name__}, which does not "
                "isolate it, and without an approval_func: use SandboxedCodeExecutor for code a model wrote, "
                "or pass approval_func to review code before it runs",
                UserWarning,
                stacklevel=2,
            )
        self._code_executor = code_executor
        self._model_client = model_client
        self._model_context = model_context if model_context is not None else UnboundedChatCompletionContext()
        self._model_client_stream = model_client_stream
        self._max_retries_on_error = max_retries_on_error
        self._system_messages = [SystemMessage(content=system_message)] if system_message is not None else []
        self._sources = list(sources) if sources is not None else None
        self._supported_languages = list(supported_languages or self.DEFAULT_SUPPORTED_LANGUAGES)
        self._fences = FenceReader(self._supported_languages)
        self._approval_func = approval_func

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return (TextMessage,)

    @property
    def model_context(self) -> ChatCompletionContext:
        return self._model_context

    @property
    def supported_languages(self) -> list[str]:
        return list(self._supported_languages)

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        return await final_response(self.on_messages_stream(messages, cancellation_token))

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[Event | Response, None]:
        # Recorded once per call, in both modes: the approval function and the model see them.
        await self._record(messages)
        if self._model_client is None:
            yield await self._run_sent_code(messages, cancellation_token)
            return
        async for item in self._write_run_and_reflect(self._model_client, cancellation_token):
            yield item

    async def _run_sent_code(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        blocks = await self.extract_code_blocks_from_messages(messages)
        if not blocks:
            return Response(
                chat_message=TextMessage(content=self.NO_CODE_BLOCKS_FOUND_MESSAGE, source=self.name)
            )
        result = await self.execute_code_block(blocks, cancellation_token)
        return Response(chat_message=TextMessage(content=result.output, source=self.name))

    async def _write_run_and_reflect(
        self, client: ChatCompletionClient, token: CancellationToken
    ) -> AsyncGenerator[Event | Response, None]:
        inner: list[Event] = []
        for attempt in range(self._max_retries_on_error + 1):
            result: CreateResult | None = None
            async for item in self._call_model(client, token, inner):
                if isinstance(item, CreateResult):
                    result = item
                else:
                    yield item
            assert result is not None
            text = result.content if isinstance(result.content, str) else str(result.content)
            blocks = self._fences.blocks(text)
            if not blocks:
                yield Response(
                    chat_message=TextMessage(content=text, source=self.name, models_usage=result.usage),
                    inner_messages=inner,
                )
                return
            generation = CodeGenerationEvent(
                retry_attempt=attempt, content=text, code_blocks=blocks, source=self.name
            )
            inner.append(generation)
            yield generation
            outcome = await self.execute_code_block(blocks, token)
            await self._model_context.add_message(UserMessage(content=outcome.output, source=self.name))
            execution = CodeExecutionEvent(retry_attempt=attempt, result=outcome, source=self.name)
            inner.append(execution)
            yield execution
            if outcome.exit_code == 0 or attempt == self._max_retries_on_error:
                break
            decision = await self._retry_decision(client, outcome, token)
            if decision is None or not decision.retry:
                break
            correction = CodeGenerationEvent(
                retry_attempt=attempt,
                content=f"Attempt number: {attempt + 1}\nProposed correction: {decision.reason}",
                code_blocks=[],
                source=self.name,
            )
            inner.append(correction)
            yield correction
        async for reflected in self._reflect(client, token, inner):
            yield reflected

    async def _call_model(
        self, client: ChatCompletionClient, token: CancellationToken, inner: list[Event]
    ) -> AsyncGenerator[ModelClientStreamingChunkEvent | ThoughtEvent | CreateResult, None]:
        """One model call: chunks while streaming, its thought, then the result (recorded in the context)."""
        messages = [*self._system_messages, *await self._model_context.get_messages()]
        result: CreateResult | None = None
        if self._model_client_stream:
            async for chunk in client.create_stream(messages, cancellation_token=token):
                if isinstance(chunk, CreateResult):
                    result = chunk
                else:
                    yield ModelClientStreamingChunkEvent(content=chunk, source=self.name)
        else:
            result = await client.create(messages, cancellation_token=token)
        if result is None:
            raise RuntimeError("the model's stream ended without a final result")
        if result.thought:
            thought = ThoughtEvent(content=result.thought, source=self.name)
            inner.append(thought)
            yield thought
        await self._model_context.add_message(
            AssistantMessage(content=result.content, source=self.name, thought=result.thought)
        )
        yield result

    async def _retry_decision(
        self, client: ChatCompletionClient, outcome: CodeResult, token: CancellationToken
    ) -> RetryDecision | None:
        """Ask the model whether to try again; None when its answer is not a valid decision."""
        question = UserMessage(
            content=(
                f"Running the code failed:\n{outcome.output}\n\nShould it be tried again? Answer with "
                "'retry' (true or false) and 'reason': what went wrong, and how a new attempt would fix it."
            ),
            source=self.name,
        )
        history = await self._model_context.get_messages()
        # The question and its answer stay out of the context: the next attempt sees the failure only.
        reply = await client.create(
            [*self._system_messages, *history, question], json_output=RetryDecision, cancellation_token=token
        )
        try:
            return RetryDecision.model_validate_json(str(reply.content))
        except ValidationError:
            return None

    async def _reflect(
        self, client: ChatCompletionClient, token: CancellationToken, inner: list[Event]
    ) -> AsyncGenerator[Event | Response, None]:
        result: CreateResult | None = None
        async for item in self._call_model(client, token, inner):
            if isinstance(item, CreateResult):
                result = item
            else:
                yield item
        assert result is not None
        yield Response(
            chat_message=TextMessage(
                content=str(result.content), source=self.name, models_usage=result.usage
            ),
            inner_messages=inner,
        )

    async def extract_code_blocks_from_messages(self, messages: Sequence[BaseChatMessage]) -> list[CodeBlock]:
        """The supported code blocks in the text messages from ``sources`` (all senders when None)."""
        blocks: list[CodeBlock] = []
        for message in messages:
            if self._sources is not None and message.source not in self._sources:
                continue
            if isinstance(message, TextMessage):
                blocks.extend(self._fences.blocks(message.content))
        return blocks

    async def execute_code_block(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CodeResult:
        """Ask for approval (when an approval function is set), run the blocks, and word the output."""
        if self._approval_func is not None:
            verdict = await self._approval(code_blocks)
            if not verdict.approved and verdict.pause:
                # A person must decide: a team stops here, interrupted, and runs this turn again when
                # resumed (with a checkpointer, from another process too).
                first = code_blocks[0].code.strip().splitlines()[0] if code_blocks[0].code.strip() else ""
                raise ToolApprovalPending(
                    self.name, f"code ({len(code_blocks)} block(s): {first[:60]!r})", verdict.reason
                )
            if not verdict.approved:
                return CodeResult(
                    exit_code=1, output=f"The code was not run: it was not approved ({verdict.reason})."
                )
        result = await self._code_executor.execute_code_blocks(
            code_blocks, cancellation_token=cancellation_token
        )
        if not result.output.strip():
            result.output = (
                f"The code ran and printed nothing (exit code {result.exit_code}). "
                "Print the values you need to see."
            )
        elif result.exit_code != 0:
            result.output = f"The code failed with exit code {result.exit_code}. Its output:\n{result.output}"
        return result

    async def _approval(self, code_blocks: list[CodeBlock]) -> ApprovalResponse:
        assert self._approval_func is not None
        code = "\n\n".join(f"```{b.language}\n{b.code}\n```" for b in code_blocks)
        context = [*self._system_messages, *await self._model_context.get_messages()]
        verdict = self._approval_func(ApprovalRequest(code=code, context=context))
        if inspect.isawaitable(verdict):
            verdict = await verdict
        if not isinstance(verdict, ApprovalResponse):
            raise TypeError(f"approval_func must return an ApprovalResponse, got {type(verdict).__name__}")
        return verdict

    async def _record(self, messages: Sequence[BaseChatMessage]) -> None:
        for message in messages:
            if isinstance(message, HandoffMessage):
                for llm_message in message.context:
                    await self._model_context.add_message(llm_message)
            await self._model_context.add_message(message.to_model_message())

    async def on_reset(self, cancellation_token: CancellationToken) -> None:
        """Forget the conversation and restart the executor (a Jupyter kernel loses its variables)."""
        await self._model_context.clear()
        await self._code_executor.restart()

    async def save_state(self) -> Mapping[str, Any]:
        return CodeExecutorAgentState(llm_context=await self._model_context.save_state()).model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        await self._model_context.load_state(CodeExecutorAgentState.model_validate(state).llm_context)
