"""Agents (AutoGen's ``autogen_agentchat.agents``): BaseChatAgent, AssistantAgent, UserProxyAgent."""

from flowgen.agents.assistant_agent import AssistantAgent
from flowgen.agents.base_chat_agent import BaseChatAgent
from flowgen.agents.state import AssistantAgentState, BaseState
from flowgen.agents.user_proxy_agent import UserProxyAgent

__all__ = [
    "AssistantAgent",
    "AssistantAgentState",
    "BaseChatAgent",
    "BaseState",
    "UserProxyAgent",
]
