"""The HTTP client type the SDK-backed model clients accept for connection pooling.

The SDKs accept an ``httpx.AsyncClient`` (what applications already create, with their own
``httpx.Limits``) or the newer ``httpx2.AsyncClient`` they are built on. Only the type is named here:
nothing is imported at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    import httpx
    import httpx2

    HttpClient: TypeAlias = "httpx.AsyncClient | httpx2.AsyncClient"
else:
    HttpClient = object
