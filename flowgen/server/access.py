"""Who is calling: the owner id of the request's API key (and whether it is an admin key), or a 401.

Each request is authenticated once (the answer is kept on the request) and spends one token of its
key's rate limit then, so a route may ask :meth:`Access.caller` as often as it likes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from flowgen.errors import ConfigurationError, RequestError
from flowgen.server.api_keys import ANONYMOUS, ApiKeys
from flowgen.server.rate_limit import RateLimits
from flowgen.server.settings import LOOPBACK, ServerSettings


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: ``owner`` is its key's digest; an ``admin`` sees every thread."""

    owner: str
    admin: bool = False

    def may_see(self, owner: str) -> bool:
        return self.admin or owner == self.owner


class Access:
    """The server's keys, header and rate limits; :meth:`caller` authenticates one request."""

    __slots__ = ("_admins", "_header", "_keys", "_limits", "_open")

    def __init__(self, settings: ServerSettings, clock: Callable[[], float] | None = None) -> None:
        admin_keys = [k.get_secret_value() for k in settings.admin_api_keys]
        self._keys = ApiKeys([*(k.get_secret_value() for k in settings.api_keys), *admin_keys])
        self._admins = ApiKeys(admin_keys)
        self._header = settings.api_key_header
        self._open = settings.insecure_no_auth and not self._keys
        per_minute, burst = settings.rate_limit_per_minute, settings.burst
        self._limits = (
            RateLimits(per_minute, burst) if clock is None else RateLimits(per_minute, burst, clock)
        )
        if settings.insecure_no_auth and settings.host != LOOPBACK:
            raise ConfigurationError(
                f"--insecure-no-auth is allowed only on {LOOPBACK}, not {settings.host!r}; "
                "give API keys (--api-key or FLOWGEN_API_KEYS) to serve on another address"
            )
        if not self._keys and not settings.insecure_no_auth:
            raise ConfigurationError(
                "the server needs API keys: give --api-key KEY (or FLOWGEN_API_KEYS=k1,k2); "
                f"for a local trial without keys, use --insecure-no-auth on {LOOPBACK}"
            )

    @property
    def header(self) -> str:
        return self._header

    @property
    def open(self) -> bool:
        """True when the server runs without keys (``--insecure-no-auth`` on 127.0.0.1)."""
        return self._open

    def owner(self, request: Request) -> str:
        return self.caller(request).owner

    def caller(self, request: Request) -> Caller:
        known: Caller | None = getattr(request.state, "flowgen_caller", None)
        if known is None:
            known = self._authenticate(request)
            self._limits.take(known.owner)
            request.state.flowgen_caller = known
        return known

    def _authenticate(self, request: Request) -> Caller:
        if self._open:
            return Caller(ANONYMOUS)
        presented = request.headers.get(self._header)
        if presented is None:
            raise RequestError(401, "missing_api_key", f"send your API key in the {self._header} header")
        owner = self._keys.owner_of(presented)
        if owner is None:
            raise RequestError(401, "wrong_api_key", f"the key in the {self._header} header is not accepted")
        return Caller(owner, admin=self._admins.owner_of(presented) is not None)
