"""Who is calling: the owner id of the request's API key, or a 401 saying how to authenticate."""

from __future__ import annotations

from starlette.requests import Request

from flowgen.errors import ConfigurationError, RequestError
from flowgen.server.api_keys import ANONYMOUS, ApiKeys
from flowgen.server.settings import LOOPBACK, ServerSettings


class Access:
    """The server's keys and header; :meth:`owner` authenticates one request."""

    __slots__ = ("_header", "_keys", "_open")

    def __init__(self, settings: ServerSettings) -> None:
        self._keys = ApiKeys(k.get_secret_value() for k in settings.api_keys)
        self._header = settings.api_key_header
        self._open = settings.insecure_no_auth and not self._keys
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

    def owner(self, request: Request) -> str:
        if self._open:
            return ANONYMOUS
        presented = request.headers.get(self._header)
        if presented is None:
            raise RequestError(401, "missing_api_key", f"send your API key in the {self._header} header")
        owner = self._keys.owner_of(presented)
        if owner is None:
            raise RequestError(401, "wrong_api_key", f"the key in the {self._header} header is not accepted")
        return owner
