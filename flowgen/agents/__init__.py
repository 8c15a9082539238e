"""Agents (AutoGen's ``autogen_agentchat.agents``): BaseChatAgent, AssistantAgent, UserProxyAgent, SocietyOfMindAgent,
CodeExecutorAgent.

Each agent's module loads on first use (module ``__getattr__``): a program with assistants only does
not pay for importing the user proxy, the society of mind or the message filter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from flowgen.agents.approval import ApprovalResponse, ToolApprovalFunc, ToolApprovalRequest
    from flowgen.agents.assistant_agent import AssistantAgent
    from flowgen.agents.base_chat_agent import BaseChatAgent
    from flowgen.agents.code_executor_agent import ApprovalRequest, CodeExecutorAgent, CodeExecutorAgentState
    from flowgen.agents.message_filter import MessageFilterAgent, MessageFilterConfig, PerSourceFilter
    from flowgen.agents.society_of_mind import SocietyOfMindAgent, SocietyOfMindAgentState
    from flowgen.agents.state import AssistantAgentState, BaseState
    from flowgen.agents.user_proxy_agent import UserProxyAgent

_LAZY = {
    "ApprovalRequest": "flowgen.agents.code_executor_agent",
    "ApprovalResponse": "flowgen.agents.approval",
    "CodeExecutorAgent": "flowgen.agents.code_executor_agent",
    "CodeExecutorAgentState": "flowgen.agents.code_executor_agent",
    "AssistantAgent": "flowgen.agents.assistant_agent",
    "AssistantAgentState": "flowgen.agents.state",
    "BaseChatAgent": "flowgen.agents.base_chat_agent",
    "BaseState": "flowgen.agents.state",
    "MessageFilterAgent": "flowgen.agents.message_filter",
    "MessageFilterConfig": "flowgen.agents.message_filter",
    "PerSourceFilter": "flowgen.agents.message_filter",
    "SocietyOfMindAgent": "flowgen.agents.society_of_mind",
    "SocietyOfMindAgentState": "flowgen.agents.society_of_mind",
    "ToolApprovalFunc": "flowgen.agents.approval",
    "ToolApprovalRequest": "flowgen.agents.approval",
    "UserProxyAgent": "flowgen.agents.user_proxy_agent",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "ApprovalRequest",
    "ApprovalResponse",
    "CodeExecutorAgent",
    "CodeExecutorAgentState",
    "AssistantAgent",
    "AssistantAgentState",
    "BaseChatAgent",
    "BaseState",
    "MessageFilterAgent",
    "MessageFilterConfig",
    "PerSourceFilter",
    "SocietyOfMindAgent",
    "SocietyOfMindAgentState",
    "ToolApprovalFunc",
    "ToolApprovalRequest",
    "UserProxyAgent",
]
