"""AutoGen AgentChat 0.7 running the shared AgentChat workloads (:mod:`.agentchat_work`)."""

from __future__ import annotations

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.messages import HandoffMessage, TextMessage
from autogen_core import FunctionCall
from autogen_core.models import ChatCompletionClient, CreateResult, RequestUsage

from benchmarks.frameworks.agentchat_work import Api, Workloads, bind

NAME = "autogen"

_work = Workloads(
    Api(
        ChatCompletionClient=ChatCompletionClient,
        CreateResult=CreateResult,
        RequestUsage=RequestUsage,
        FunctionCall=FunctionCall,
        AssistantAgent=AssistantAgent,
        MaxMessageTermination=MaxMessageTermination,
        TextMessage=TextMessage,
        HandoffMessage=HandoffMessage,
        teams_module="autogen_agentchat.teams",
    )
)

globals().update(bind(_work))  # round_robin, selector, swarm, ... as module functions


def version() -> str:
    """The installed autogen-agentchat version."""
    from importlib.metadata import version as dist_version  # only when asked: it costs start-up time

    return dist_version("autogen-agentchat")
