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


GATES = "flowgen-tests"  # the Ray namespace of the gates, so a served process's workers find them too


class Gate:
    """A Ray actor a model waits on, opened by the test: it holds a run mid-way, with no sleeps."""

    def __init__(self) -> None:
        self._open = asyncio.Event()

    async def wait(self) -> None:
        await self._open.wait()

    async def open(self) -> None:
        self._open.set()


def make_gate(name: str) -> object:
    """A closed gate named ``name`` (its handle; ``.open.remote()`` opens it), on the head node: the
    node the tests never kill."""
    options = {"name": name, "namespace": GATES, "max_concurrency": 1000, "num_cpus": 0}
    return ray.remote(Gate).options(resources={"head_node": 0.01}, **options).remote()  # type: ignore[attr-defined]


def gated_team(gate: str, after: int) -> RoundRobinGroupChat:
    """``chat_team`` whose model waits for gate ``gate`` once the prompt has ``after`` messages."""
    models = ScriptedModels(REPLIES)

    async def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        if len(messages) >= after:
            await ray.get_actor(gate, namespace=GATES).wait.remote()
        return models.reply_for(messages)

    return RoundRobinGroupChat(
        [
            AssistantAgent("writer", model_client=FunctionChatCompletionClient(reply)),
            AssistantAgent("critic", model_client=FunctionChatCompletionClient(reply)),
        ],
        termination_condition=MaxMessageTermination(MESSAGES),
    )


def held_team(stall_node: str, after: int, gate: str) -> RoundRobinGroupChat:
    """``chat_team`` whose model, once the prompt has ``after`` messages, never answers on node
    ``stall_node`` and waits for gate ``gate`` anywhere else."""
    models = ScriptedModels(REPLIES)

    async def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        if len(messages) >= after:
            if ray.get_runtime_context().get_node_id() == stall_node:
                await asyncio.Event().wait()
            await ray.get_actor(gate, namespace=GATES).wait.remote()
        return models.reply_for(messages)

    return RoundRobinGroupChat(
        [
            AssistantAgent("writer", model_client=FunctionChatCompletionClient(reply)),
            AssistantAgent("critic", model_client=FunctionChatCompletionClient(reply)),
        ],
        termination_condition=MaxMessageTermination(MESSAGES),
    )


def failing_team() -> RoundRobinGroupChat:
    """The writer answers; the critic's model is down (it raises)."""

    def down(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        raise RuntimeError("the model is down")

    return RoundRobinGroupChat(
        [
            AssistantAgent("writer", model_client=ScriptedModels(REPLIES).client()),
            AssistantAgent("critic", model_client=FunctionChatCompletionClient(down)),
        ],
        termination_condition=MaxMessageTermination(MESSAGES),
        durability="async",  # steps are written while the next runs: items wait for their write
    )
