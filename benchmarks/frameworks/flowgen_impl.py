"""flowgen running the shared AgentChat workloads (:mod:`.agentchat_work`): AutoGen's code, flowgen's imports.

Team classes are imported when a workload first needs one (``flowgen.teams`` loads each lazily).
"""

from __future__ import annotations

from benchmarks.frameworks.agentchat_work import Api, Workloads, bind
from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination
from flowgen.core import FunctionCall
from flowgen.messages import HandoffMessage, TextMessage
from flowgen.models import ChatCompletionClient, CreateResult, RequestUsage

NAME = "flowgen"


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
        teams_module="flowgen.teams",
    )
)

globals().update(bind(_work))  # round_robin, selector, swarm, ... as module functions


def version() -> str:
    """The installed flowgen version."""
    from importlib.metadata import version as dist_version  # only when asked: it costs start-up time

    return dist_version("flowgen")
