"""AgentTool and TeamTool: an agent or a whole team called by a model as a tool taking a ``task``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from flowgen.base import TaskResult, TaskRunner
from flowgen.core import CancellationToken
from flowgen.errors import ToolError
from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.tools.base import BaseTool


class TaskRunnerToolArgs(BaseModel):
    """The one argument of an agent or team tool."""

    model_config = ConfigDict(defer_build=True)  # built when the first agent or team tool is made

    task: Annotated[str, Field(description="The task to be executed.")]


class TaskRunnerTool(BaseTool[TaskRunnerToolArgs, TaskResult]):
    """Runs a TaskRunner on the model's ``task``; the result is rendered as text for the model."""

    def __init__(
        self,
        task_runner: TaskRunner,
        name: str,
        description: str,
        return_value_as_last_message: bool = False,
    ) -> None:
        self._task_runner = task_runner
        self._return_value_as_last_message = return_value_as_last_message
        # One run at a time: two calls in one reply would otherwise interleave the inner agent's
        # context ([q1, q2, a1, a2]) or find its team already running. The second waits its turn.
        self._one_at_a_time = asyncio.Lock()
        super().__init__(TaskRunnerToolArgs, TaskResult, name, description)

    async def run(self, args: TaskRunnerToolArgs, cancellation_token: CancellationToken) -> TaskResult:
        async with self._one_at_a_time:
            return await self._task_runner.run(task=args.task, cancellation_token=cancellation_token)

    async def run_stream(
        self, args: TaskRunnerToolArgs, cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        """The inner run's messages as they happen (the task first, as AutoGen streams it), then its TaskResult."""
        async with self._one_at_a_time:
            async for item in self._task_runner.run_stream(
                task=args.task, cancellation_token=cancellation_token
            ):
                yield item

    async def run_json_stream(
        self, args: Mapping[str, Any], cancellation_token: CancellationToken, call_id: str | None = None
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
        """Like :meth:`run_json`, streaming the inner run; the last item is the TaskResult."""
        async for item in self.run_stream(self.validate_args(args), cancellation_token):
            yield item

    def return_value_as_string(self, value: Any) -> str:
        if not isinstance(value, TaskResult):
            return super().return_value_as_string(value)
        if self._return_value_as_last_message:
            last = value.messages[-1] if value.messages else None
            if not isinstance(last, BaseChatMessage):
                raise ToolError(
                    f"tool {self.name!r} should return its last message, but the run ended without a chat "
                    "message; pass return_value_as_last_message=False to get the whole transcript"
                )
            return last.to_model_text()
        lines = [
            f"{m.source}: {m.to_model_text()}"
            for m in value.messages
            if isinstance(m, BaseChatMessage) and m.source != "user"
        ]
        return "\n\n".join(lines)

    async def save_state_json(self) -> Mapping[str, Any]:
        saver = getattr(self._task_runner, "save_state", None)
        return dict(await saver()) if saver is not None else {}

    async def load_state_json(self, state: Mapping[str, Any]) -> None:
        loader = getattr(self._task_runner, "load_state", None)
        if loader is not None:
            await loader(state)


class AgentTool(TaskRunnerTool):
    """An agent as a tool: named after the agent, described by its description.

    Example:
        >>> from flowgen.agents import AssistantAgent
        >>> from flowgen.models import ReplayChatCompletionClient
        >>> writer = AssistantAgent("writer", ReplayChatCompletionClient(["A poem."]), description="Writes poems.")
        >>> tool = AgentTool(writer)
        >>> tool.name, tool.schema["parameters"]["required"]
        ('writer', ['task'])
    """

    def __init__(self, agent: Any, return_value_as_last_message: bool = False) -> None:
        self._agent = agent
        super().__init__(agent, agent.name, agent.description, return_value_as_last_message)


class TeamTool(TaskRunnerTool):
    """A team as a tool, with the name and description the model sees.

    Example:
        >>> from flowgen.agents import AssistantAgent
        >>> from flowgen.models import ReplayChatCompletionClient
        >>> team = AssistantAgent("solo", ReplayChatCompletionClient(["done"]))  # any TaskRunner
        >>> TeamTool(team, name="writers", description="A writing team.").name
        'writers'
    """

    def __init__(
        self, team: TaskRunner, name: str, description: str, return_value_as_last_message: bool = False
    ) -> None:
        self._team = team
        super().__init__(team, name, description, return_value_as_last_message)
