"""Caching model replies (AutoGen's ``autogen_ext.models.cache``): a client wrapping a client and a store."""

from __future__ import annotations

from flowgen.models.cache.client import CHAT_CACHE_VALUE_TYPE, ChatCompletionCache, cache_key
from flowgen.models.cache.sqlite_store import SqliteStore

__all__ = ["CHAT_CACHE_VALUE_TYPE", "ChatCompletionCache", "SqliteStore", "cache_key"]
