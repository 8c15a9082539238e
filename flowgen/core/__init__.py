"""AutoGen Core's names (``autogen_core``): identifiers, agents, subscriptions and the actor runtime.

Code written for ``autogen_core`` runs after changing that import to ``flowgen.core``. Everything
but the cancellation token and function call loads on first use (module ``__getattr__``): most
programs never touch the actor runtime, and every program imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.core.cancellation import CancellationToken
from flowgen.core.function_call import FunctionCall, Image
from flowgen.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from flowgen.core.agent import Agent, BaseAgent, handles
    from flowgen.core.agent_runtime import AgentRuntime
    from flowgen.core.cache_store import CacheStore, InMemoryStore
    from flowgen.core.closure_agent import ClosureAgent, ClosureContext
    from flowgen.core.component import Component
    from flowgen.core.component_config import (
        ComponentModel,
        ComponentSpec,
        dump_component,
        load_component,
        register_component,
    )
    from flowgen.core.component_files import component_text, load_component_file, save_component_file
    from flowgen.core.default_topic import DefaultTopicId
    from flowgen.core.delivery import Delivery, DeliveryLog, HandlerFailure
    from flowgen.core.idempotence import idempotent
    from flowgen.core.ids import AgentId, AgentMetadata, AgentType, TopicId
    from flowgen.core.instantiation import (
        AgentInstantiationContext,
        MessageHandlerContext,
        SubscriptionInstantiationContext,
    )
    from flowgen.core.intervention import DefaultInterventionHandler, DropMessage, InterventionHandler
    from flowgen.core.memory_content import MemoryContent, MemoryMimeType
    from flowgen.core.message_context import MessageContext
    from flowgen.core.routed_agent import RoutedAgent, SequentialRoutedAgent, event, message_handler, rpc
    from flowgen.core.serialization import (
        JSON_DATA_CONTENT_TYPE,
        DataclassJsonMessageSerializer,
        MessageSerializer,
        PydanticJsonMessageSerializer,
        UnknownPayload,
        try_get_known_serializers_for_type,
    )
    from flowgen.core.single_threaded_runtime import SingleThreadedAgentRuntime
    from flowgen.core.state_store import SqliteStateStore
    from flowgen.core.subscriptions import (
        DefaultSubscription,
        Subscription,
        TypePrefixSubscription,
        TypeSubscription,
        default_subscription,
        type_subscription,
    )
    from flowgen.errors import (
        CantHandleException,
        MessageDroppedException,
        NotAccessibleError,
        UndeliverableException,
    )

_LAZY = {
    "Agent": "flowgen.core.agent",
    "Component": "flowgen.core.component",
    "ComponentModel": "flowgen.core.component_config",
    "ComponentSpec": "flowgen.core.component_config",
    "component_text": "flowgen.core.component_files",
    "dump_component": "flowgen.core.component_config",
    "load_component": "flowgen.core.component_config",
    "load_component_file": "flowgen.core.component_files",
    "register_component": "flowgen.core.component_config",
    "save_component_file": "flowgen.core.component_files",
    "AgentId": "flowgen.core.ids",
    "CacheStore": "flowgen.core.cache_store",
    "InMemoryStore": "flowgen.core.cache_store",
    "AgentInstantiationContext": "flowgen.core.instantiation",
    "AgentMetadata": "flowgen.core.ids",
    "AgentRuntime": "flowgen.core.agent_runtime",
    "AgentType": "flowgen.core.ids",
    "BaseAgent": "flowgen.core.agent",
    "CantHandleException": "flowgen.errors",
    "ClosureAgent": "flowgen.core.closure_agent",
    "ClosureContext": "flowgen.core.closure_agent",
    "DataclassJsonMessageSerializer": "flowgen.core.serialization",
    "DefaultInterventionHandler": "flowgen.core.intervention",
    "DefaultSubscription": "flowgen.core.subscriptions",
    "DefaultTopicId": "flowgen.core.default_topic",
    "Delivery": "flowgen.core.delivery",
    "DeliveryLog": "flowgen.core.delivery",
    "DropMessage": "flowgen.core.intervention",
    "HandlerFailure": "flowgen.core.delivery",
    "InterventionHandler": "flowgen.core.intervention",
    "JSON_DATA_CONTENT_TYPE": "flowgen.core.serialization",
    "MemoryContent": "flowgen.core.memory_content",
    "MemoryMimeType": "flowgen.core.memory_content",
    "MessageContext": "flowgen.core.message_context",
    "MessageDroppedException": "flowgen.errors",
    "MessageHandlerContext": "flowgen.core.instantiation",
    "MessageSerializer": "flowgen.core.serialization",
    "NotAccessibleError": "flowgen.errors",
    "PydanticJsonMessageSerializer": "flowgen.core.serialization",
    "RoutedAgent": "flowgen.core.routed_agent",
    "SequentialRoutedAgent": "flowgen.core.routed_agent",
    "SingleThreadedAgentRuntime": "flowgen.core.single_threaded_runtime",
    "SqliteStateStore": "flowgen.core.state_store",
    "Subscription": "flowgen.core.subscriptions",
    "SubscriptionInstantiationContext": "flowgen.core.instantiation",
    "TopicId": "flowgen.core.ids",
    "TypePrefixSubscription": "flowgen.core.subscriptions",
    "TypeSubscription": "flowgen.core.subscriptions",
    "UndeliverableException": "flowgen.errors",
    "UnknownPayload": "flowgen.core.serialization",
    "default_subscription": "flowgen.core.subscriptions",
    "event": "flowgen.core.routed_agent",
    "handles": "flowgen.core.agent",
    "idempotent": "flowgen.core.idempotence",
    "message_handler": "flowgen.core.routed_agent",
    "rpc": "flowgen.core.routed_agent",
    "try_get_known_serializers_for_type": "flowgen.core.serialization",
    "type_subscription": "flowgen.core.subscriptions",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "Agent",
    "AgentId",
    "CacheStore",
    "AgentInstantiationContext",
    "AgentMetadata",
    "AgentRuntime",
    "AgentType",
    "BaseAgent",
    "CancellationToken",
    "CantHandleException",
    "ClosureAgent",
    "ClosureContext",
    "DataclassJsonMessageSerializer",
    "DefaultInterventionHandler",
    "DefaultSubscription",
    "DefaultTopicId",
    "Delivery",
    "DeliveryLog",
    "DropMessage",
    "Component",
    "ComponentModel",
    "ComponentSpec",
    "FunctionCall",
    "HandlerFailure",
    "Image",
    "InMemoryStore",
    "InterventionHandler",
    "JSON_DATA_CONTENT_TYPE",
    "MemoryContent",
    "MemoryMimeType",
    "MessageContext",
    "MessageDroppedException",
    "MessageHandlerContext",
    "MessageSerializer",
    "NotAccessibleError",
    "PydanticJsonMessageSerializer",
    "RoutedAgent",
    "SequentialRoutedAgent",
    "SingleThreadedAgentRuntime",
    "SqliteStateStore",
    "Subscription",
    "SubscriptionInstantiationContext",
    "TopicId",
    "TypePrefixSubscription",
    "TypeSubscription",
    "UndeliverableException",
    "UnknownPayload",
    "default_subscription",
    "event",
    "handles",
    "idempotent",
    "message_handler",
    "rpc",
    "try_get_known_serializers_for_type",
    "type_subscription",
    "component_text",
    "dump_component",
    "load_component",
    "load_component_file",
    "register_component",
    "save_component_file",
]
