"""Secrets in component configs: stored as references to environment variables, never as text.

A reference is ``{"$env": "NAME"}``, or ``{"$env": "NAME", "prefix": "Bearer "}`` for a value such as
an Authorization header built around the secret. Dumping finds the variable that holds the secret
(trying the names given first); a secret no variable holds cannot be dumped, and says how to fix it.
AutoGen's masked secrets (``"**********"``) load as "not given", never as the mask itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from flowgen.errors import ComponentConfigError

AUTOGEN_MASK = "**********"
_SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "auth", "credential", "cookie")
_SHORTEST_SECRET = 8  # a shorter variable value matching the end of a header would be a coincidence


def looks_secret(name: str) -> bool:
    """Whether a variable or header called ``name`` is treated as holding a secret."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def secret_reference(value: str, path: str, names: Sequence[str] = ()) -> dict[str, str]:
    """The reference to the environment variable holding ``value`` (as a whole, or as its end)."""
    candidates = [*names, *sorted(os.environ)]
    for name in candidates:
        held = os.environ.get(name)
        if held is not None and held == value:
            return {"$env": name}
    for name in candidates:
        held = os.environ.get(name)
        if held is not None and len(held) >= _SHORTEST_SECRET and value.endswith(held):
            return {"$env": name, "prefix": value[: -len(held)]}
    hint = f" (e.g. {names[0]})" if names else ""
    raise ComponentConfigError(
        path,
        "this secret is held by no environment variable, and a component config never contains "
        f"secrets: put it in an environment variable{hint}, create the object from there, and dump again",
    )


def is_reference(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("$env"), str)


def resolve_secret(value: Any, path: str) -> str | None:
    """The secret a config value stands for: a reference is read from the environment; a mask is None."""
    if value is None or value == AUTOGEN_MASK:
        return None
    if isinstance(value, str):
        return value
    if not is_reference(value):
        raise ComponentConfigError(path, 'a secret must be a string or {"$env": "VARIABLE_NAME"}')
    name = value["$env"]
    held = os.environ.get(name)
    if held is None:
        raise ComponentConfigError(path, f"environment variable {name} is not set; set it to the secret")
    return f"{value.get('prefix', '')}{held}"
