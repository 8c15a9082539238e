"""TLS on the direct link, following the cluster's own TLS settings.

The link bypasses Ray's channels, so when Ray encrypts them (``RAY_USE_TLS=1`` with
``RAY_TLS_SERVER_CERT``, ``RAY_TLS_SERVER_KEY`` and ``RAY_TLS_CA_CERT`` set on every node and the
driver) the link must be encrypted too, or the cluster's messages would travel in clear. Both ends
use the same files as Ray, read where the link is opened: the host actor's server presents the
certificate and requires a client certificate signed by the CA (mutual TLS, as Ray does); the
connecting side presents the same certificate and verifies the server's against the CA.

Host names are not checked by default: a link is dialled by the node's IP address, and a cluster's
node certificates are often issued without it (one certificate for every node, or per DNS name). The
chain must lead to the cluster's CA, which only the cluster's members hold certificates from, and the
actor's token is still required on top. ``LinkTls(check_hostname=True)`` also requires the server's
certificate to name the address dialled.

When TLS is asked for but cannot be set up, opening the link fails with :class:`LinkTlsError` naming
the variable and the file: never a silent fall back to plaintext. With ``RAY_USE_TLS`` off, nothing
here runs beyond one look at the environment when a link is opened.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

from flowgen.errors import LinkTlsError

USE_TLS = "RAY_USE_TLS"
CERT = "RAY_TLS_SERVER_CERT"
KEY = "RAY_TLS_SERVER_KEY"
CA = "RAY_TLS_CA_CERT"


@dataclass(frozen=True, slots=True)
class LinkTls:
    """The files both ends of a TLS link use: this process's certificate and key, the cluster's CA."""

    cert: str
    key: str
    ca: str
    check_hostname: bool = False

    def server_context(self) -> ssl.SSLContext:
        """For the host actor's server: presents the certificate, requires a client's from the CA."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.verify_mode = ssl.CERT_REQUIRED
        self._load(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """For the connecting side: presents the certificate, verifies the server's against the CA."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = self.check_hostname
        context.verify_mode = ssl.CERT_REQUIRED
        self._load(context)
        return context

    def _load(self, context: ssl.SSLContext) -> None:
        # Only the cluster's CA is trusted: never the system's store (create_default_context would
        # load it, and with names unchecked any publicly issued certificate would then pass).
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        _readable(CA, self.ca)
        _readable(CERT, self.cert)
        _readable(KEY, self.key)
        try:
            context.load_verify_locations(cafile=self.ca)
        except (ssl.SSLError, ValueError) as exc:
            raise LinkTlsError(
                f"{CA}={self.ca} holds no usable CA certificate ({_reason(exc)}): give a PEM file"
            ) from None
        try:
            context.load_cert_chain(self.cert, self.key)
        except (ssl.SSLError, ValueError) as exc:
            raise LinkTlsError(
                f"{CERT}={self.cert} and {KEY}={self.key} are not a usable certificate and key pair "
                f"({_reason(exc)}): give the PEM certificate and its unencrypted private key"
            ) from None


def link_tls_from_env(environ: Mapping[str, str] | None = None) -> LinkTls | None:
    """The link's TLS files when Ray's TLS is on (``RAY_USE_TLS`` is 1 or true), else None."""
    env = os.environ if environ is None else environ
    if env.get(USE_TLS, "0").strip().lower() not in ("1", "true"):
        return None
    missing = [name for name in (CERT, KEY, CA) if not env.get(name)]
    if missing:
        raise LinkTlsError(
            f"{USE_TLS} is on but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
            f"set {CERT}, {KEY} and {CA} to the cluster's PEM files (as Ray needs), "
            f"or turn {USE_TLS} off"
        )
    return LinkTls(cert=env[CERT], key=env[KEY], ca=env[CA])


def _readable(variable: str, path: str) -> None:
    """Name the variable and the file when it cannot be read (the content is never quoted)."""
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise LinkTlsError(
            f"{variable}={path} cannot be read ({exc.strerror or type(exc).__name__}): "
            "the direct link's TLS needs it"
        ) from None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "reason", None) or type(exc).__name__
