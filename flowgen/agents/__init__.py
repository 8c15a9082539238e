"""Agents (AutoGen's ``autogen_agentchat.agents``): BaseChatAgent, AssistantAgent, UserProxyAgent, SocietyOfMindAgent."""

from flowgen.agents.assistant_agent import AssistantAgent
from flowgen.agents.base_chat_agent import BaseChatAgent
from flowgen.agents.message_filter import MessageFilterAgent, MessageFilterConfig, PerSourceFilter
from flowgen.agents.society_of_mind import SocietyOfMindAgent, SocietyOfMindAgentState
from flowgen.agents.state import AssistantAgentState, BaseState
from flowgen.agents.user_proxy_agent import UserProxyAgent

__all__ = [
    "AssistantAgent",
    "AssistantAgentState",
    "BaseChatAgent",
    "BaseState",
    "MessageFilterAgent",
    "MessageFilterConfig",
    "PerSourceFilter",
    "SocietyOfMindAgent",
    "SocietyOfMindAgentState",
    "UserProxyAgent",
]
