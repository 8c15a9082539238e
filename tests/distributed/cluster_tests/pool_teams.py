"""Teams the run pool tests run on worker actors (importable by the workers through PYTHONPATH)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import ray

from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination
from flowgen.models import FunctionChatCompletionClient, LLMMessage, ReplayChatCompletionClient
from flowgen.models.function import CallInfo
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing.models import ScriptedModels

REPLIES = ["the plan is sound", "check the numbers", "agreed, ship it", "one more review", "done here"]
MESSAGES = 8  # the task and seven replies


def chat_team() -> RoundRobinGroupChat:
    """Two agents answering from a script: a pure function of the prompt, so every run is replayable."""
    models = ScriptedModels(REPLIES)
    return RoundRobinGroupChat(
        [
            AssistantAgent("writer", model_client=models.client()),
            AssistantAgent("critic", model_client=models.client()),
        ],
        termination_condition=MaxMessageTermination(MESSAGES),
    )


def replay_team() -> RoundRobinGroupChat:
    """Two agents replaying fixed replies: a team that dumps to a component config (JSON)."""
    return RoundRobinGroupChat(
        [
            AssistantAgent("writer", model_client=ReplayChatCompletionClient(["x", "y", "z"])),
            AssistantAgent("critic", model_client=ReplayChatCompletionClient(["p", "q", "r"])),
        ],
        termination_condition=MaxMessageTermination(5),
    )


def stalling_team(stall_node: str, after: int) -> RoundRobinGroupChat:
    """``chat_team`` whose model never answers on node ``stall_node`` (``"*"``: anywhere) once the
    prompt has ``after`` messages.

    A run on that node commits its first steps and then waits forever, until its node is killed; the
    same run continued anywhere else gives ``chat_team``'s transcript.
    """
    models = ScriptedModels(REPLIES)

    async def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        if len(messages) >= after and stall_node in ("*", ray.get_runtime_context().get_node_id()):
            await asyncio.Event().wait()
        return models.reply_for(messages)

    return RoundRobinGroupChat(
        [
            AssistantAgent("writer", model_client=FunctionChatCompletionClient(reply)),
            AssistantAgent("critic", model_client=FunctionChatCompletionClient(reply)),
        ],
        termination_condition=MaxMessageTermination(MESSAGES),
    )
