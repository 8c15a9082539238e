"""ChatCompletionCache: answer a request seen before from a store instead of the model.

The key is a SHA-256 over everything that changes the answer: the messages, the tools offered and
the tool choice, the output format, the per-call create arguments, and the wrapped client's own
identity (its model and construction-time create arguments, where it reports them through
``cache_identity()``; otherwise its class and model_info). Two clients for different models never
share an entry, and a changed tool list misses.

A streamed reply is stored as its chunks and final result, and replayed as a stream; a stored reply
answers ``create`` as well. Replies served from the store carry ``cached=True`` and add nothing to
the wrapped client's usage. A stored value that is not a reply (a corrupt row, a foreign store) is a
miss with a warning, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from flowgen.core import CancellationToken
from flowgen.core.cache_store import CacheStore, InMemoryStore
from flowgen.models.client import ChatCompletionClient, JsonOutput, ToolChoice, Tools
from flowgen.models.types import CreateResult, LLMMessage, tool_schema
from flowgen.models.wrapped_client import WrappedChatCompletionClient

logger = logging.getLogger("flowgen.models.cache")

#: What a store holds under a key: a reply, or a streamed reply's chunks ending with the reply.
CHAT_CACHE_VALUE_TYPE = CreateResult | list[str | CreateResult]

_VALUE = TypeAdapter(CHAT_CACHE_VALUE_TYPE)


def cache_key(
    client: ChatCompletionClient,
    messages: Sequence[LLMMessage],
    tools: Tools,
    tool_choice: ToolChoice,
    json_output: JsonOutput,
    extra_create_args: Mapping[str, Any],
) -> str:
    """The store key of one request to ``client``."""
    identity = getattr(client, "cache_identity", None)
    data = {
        "client": identity()
        if callable(identity)
        else {"class": type(client).__qualname__, "info": client.model_info},
        "messages": [message.model_dump(mode="json") for message in messages],
        "tools": [tool_schema(tool) for tool in tools],
        "tool_choice": tool_choice if isinstance(tool_choice, str) else tool_schema(tool_choice)["name"],
        "json_output": _output_format(json_output),
        "extra_create_args": dict(extra_create_args),
    }
    text = json.dumps(data, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _output_format(json_output: JsonOutput) -> object:
    if isinstance(json_output, type) and issubclass(json_output, BaseModel):
        return json_output.model_json_schema()
    return json_output


class ChatCompletionCache(WrappedChatCompletionClient):
    """A client that answers repeated requests from ``store`` (in memory by default).

    Example:
        >>> import asyncio
        >>> from flowgen.models import ReplayChatCompletionClient, UserMessage
        >>> cache = ChatCompletionCache(ReplayChatCompletionClient(["forty-two"]))
        >>> ask = [UserMessage(content="the answer?", source="user")]
        >>> first = asyncio.run(cache.create(ask))
        >>> again = asyncio.run(cache.create(ask))  # the replay client has no second reply to give
        >>> again.content, again.cached
        ('forty-two', True)
    """

    def __init__(self, client: ChatCompletionClient, store: CacheStore[Any] | None = None) -> None:
        super().__init__(client)
        self.store: CacheStore[Any] = store if store is not None else InMemoryStore()

    def _lookup(self, key: str) -> CreateResult | list[str | CreateResult] | None:
        raw = self.store.get(key)
        if raw is None:
            return None
        try:
            value = raw if isinstance(raw, CreateResult) else _VALUE.validate_python(raw)
        except ValidationError as error:
            logger.warning("cache entry %s is not a model reply; treating it as a miss (%s)", key[:12], error)
            return None
        if isinstance(value, list) and not (value and isinstance(value[-1], CreateResult)):
            logger.warning(
                "cache entry %s is a stream without its final reply; treating it as a miss", key[:12]
            )
            return None
        return value

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        key = cache_key(self.client, messages, tools, tool_choice, json_output, extra_create_args)
        hit = self._lookup(key)
        if hit is not None:
            final = hit if isinstance(hit, CreateResult) else hit[-1]
            assert isinstance(final, CreateResult)
            return final.model_copy(update={"cached": True})
        result = await self.client.create(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )
        self.store.set(key, result)
        return result

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        key = cache_key(self.client, messages, tools, tool_choice, json_output, extra_create_args)
        hit = self._lookup(key)
        if hit is not None:
            for item in [hit] if isinstance(hit, CreateResult) else hit:
                yield item.model_copy(update={"cached": True}) if isinstance(item, CreateResult) else item
            return
        items: list[str | CreateResult] = []
        async for item in self.client.create_stream(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        ):
            items.append(item)
            yield item
        # Only a stream that ran to its final reply is stored: a broken one must be asked again.
        if items and isinstance(items[-1], CreateResult):
            self.store.set(key, items)
