"""Secrets out of everything telemetry writes: log lines, span attributes, span events.

Two nets: the values flowgen knows are secret (keys handed to model clients, and the environment's
``*_KEY`` / ``*_TOKEN`` / ``*_SECRET`` / ``*_PASSWORD`` variables), replaced wherever they appear; and
the shapes keys take in text (``sk-...`` keys, bearer tokens, ``api_key=...`` pairs, URL passwords),
for secrets flowgen was never told about (an SDK error message quoting a key).
"""

from __future__ import annotations

import os
import re

from flowgen.telemetry import hooks

REDACTED = "[REDACTED]"

_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$", re.IGNORECASE)
_PAIRS = re.compile(
    r"""((?:api[_-]?key|apikey|x-api-key|access[_-]?token|secret|password|authorization)["']?\s*[:=]\s*["']?)([^\s"',;}&]{6,})""",
    re.IGNORECASE,
)
_SHAPES = re.compile(
    r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-]{8,}|\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]{8,}|(?<=://)[^/\s:@]+:[^/\s@]+(?=@)",
    re.IGNORECASE,
)


def environment_secrets() -> set[str]:
    """The values of environment variables whose names say they hold a secret."""
    return {v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= 8}


class Redactor:
    """Replaces secrets in text; built once per telemetry set-up (the environment is read then).

    Example:
        >>> Redactor({"hunter2-password"}).redact("login with hunter2-password, key sk-abcdefgh123")
        'login with [REDACTED], key [REDACTED]'
    """

    __slots__ = ("_known",)

    def __init__(self, known: set[str] | None = None) -> None:
        self._known = environment_secrets() if known is None else set(known)

    def redact(self, text: str) -> str:
        for value in (*self._known, *hooks.secrets):
            if value in text:
                text = text.replace(value, REDACTED)
        # Shapes first: "Authorization: Bearer <token>" must lose the token, not just the word Bearer.
        text = _SHAPES.sub(REDACTED, text)
        return _PAIRS.sub(lambda m: m.group(1) + REDACTED, text)
