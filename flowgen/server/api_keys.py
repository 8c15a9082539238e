"""API keys, kept only as SHA-256 digests and checked in constant time.

A caller is known by the digest of its key (its *owner* id): threads are stored under it, so the
store never holds a key, and a key given again after a restart still owns its threads.

Example:
    >>> keys = ApiKeys(["s3cret"])
    >>> keys.owner_of("s3cret") == keys.owner_of("s3cret"), keys.owner_of("wrong")
    (True, None)
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

ANONYMOUS = "anonymous"
"""The owner of every thread when the server runs without keys (only on 127.0.0.1)."""


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """The accepted keys, as digests; :meth:`owner_of` says whose a presented key is."""

    __slots__ = ("_digests",)

    def __init__(self, keys: Iterable[str]) -> None:
        self._digests = tuple(dict.fromkeys(digest(k) for k in keys if k))

    def __bool__(self) -> bool:
        return bool(self._digests)

    def __repr__(self) -> str:
        return f"ApiKeys(<{len(self._digests)} keys>)"

    def owner_of(self, presented: str | None) -> str | None:
        """The owner id of ``presented``, or None when it is not an accepted key."""
        if not presented:
            return None
        candidate = digest(presented)
        found = None
        for known in self._digests:  # every digest compared: the time says nothing about which matched
            if hmac.compare_digest(candidate, known):
                found = known
        return found
