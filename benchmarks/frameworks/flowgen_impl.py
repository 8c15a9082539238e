"""flowgen running the shared AgentChat workloads (:mod:`.agentchat_work`): AutoGen's code, flowgen's imports.

A team class flowgen does not provide yet is left out; its workloads then report "unavailable".
"""

from __future__ import annotations

import importlib
from typing import Any

from benchmarks.frameworks.agentchat_work import Api, Workloads
from flowgen.core import FunctionCall
from flowgen.messages import HandoffMessage, TextMessage
from flowgen.models import ChatCompletionClient, CreateResult, RequestUsage

NAME = "flowgen"


def _optional(module: str, name: str) -> Any:
    """``module.name``, or None while flowgen does not provide it yet."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _required(module: str, name: str) -> Any:
    found = _optional(module, name)
    if found is None:
        raise ImportError(f"{module}.{name} is not available yet")
    return found


_work = Workloads(
    Api(
        ChatCompletionClient=ChatCompletionClient,
        CreateResult=CreateResult,
        RequestUsage=RequestUsage,
        FunctionCall=FunctionCall,
        AssistantAgent=_required("flowgen.agents", "AssistantAgent"),
        MaxMessageTermination=_required("flowgen.conditions", "MaxMessageTermination"),
        TextMessage=TextMessage,
        HandoffMessage=HandoffMessage,
        RoundRobinGroupChat=_optional("flowgen.teams", "RoundRobinGroupChat"),
        SelectorGroupChat=_optional("flowgen.teams", "SelectorGroupChat"),
        Swarm=_optional("flowgen.teams", "Swarm"),
        GraphFlow=_optional("flowgen.teams", "GraphFlow"),
        DiGraphBuilder=_optional("flowgen.teams", "DiGraphBuilder"),
    )
)

round_robin = _work.round_robin
selector = _work.selector
swarm = _work.swarm
fan_out = _work.fan_out
conversation = _work.conversation
idle_team = _work.idle_team
one_turn = _work.one_turn


def version() -> str:
    """The installed flowgen version."""
    from importlib.metadata import version as dist_version  # only when asked: it costs start-up time

    return dist_version("flowgen")
