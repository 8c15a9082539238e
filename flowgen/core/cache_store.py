"""CacheStore and InMemoryStore: the key-value interface caches are written against (AutoGen Core's)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, TypeVar

T = TypeVar("T")


class CacheStore(ABC, Generic[T]):
    """A store of values by string key. Implementations own their storage's lifecycle."""

    @abstractmethod
    def get(self, key: str, default: T | None = None) -> T | None:
        """The value under ``key``, or ``default`` when there is none."""

    @abstractmethod
    def set(self, key: str, value: T) -> None:
        """Store ``value`` under ``key``, replacing what was there."""


class InMemoryStore(CacheStore[T]):
    """A dict in this process: gone when the process ends.

    Example:
        >>> store = InMemoryStore[int]()
        >>> store.set("a", 1)
        >>> store.get("a"), store.get("b", 0)
        (1, 0)
    """

    def __init__(self) -> None:
        self.store: dict[str, T] = {}

    def get(self, key: str, default: T | None = None) -> T | None:
        return self.store.get(key, default)

    def set(self, key: str, value: T) -> None:
        self.store[key] = value
