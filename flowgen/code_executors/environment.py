"""The environment executed code sees: an allowlist of the host's variables, never the rest.

API keys and tokens live in the environment; code written by a model must not read them. Only the
variables named here (or in an executor's ``env_allowlist``) pass through, plus what the caller sets
explicitly with ``environment=``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

#: What a program needs to find its tools and print text, and nothing that holds a credential.
DEFAULT_ENV_ALLOWLIST: tuple[str, ...] = (
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "TZ",
    "TMPDIR",
    "USER",
    "LOGNAME",
    "SHELL",
)


def scrubbed_environment(
    allowlist: Iterable[str] | None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The host's variables named in ``allowlist`` (all of them when it is None) plus ``extra``."""
    if allowlist is None:
        env = dict(os.environ)
    else:
        env = {name: os.environ[name] for name in allowlist if name in os.environ}
    env.update(extra or {})
    return env
