"""The keyword arguments an SDK-backed client takes beyond its named parameters.

AutoGen's clients accept every keyword of the SDK client's constructor (``http_client``,
``default_query``, ``project`` ...) and every field of the provider's create request, and silently
drop anything else. flowgen accepts the same two families, routes each to where it belongs, and
refuses a keyword in neither, naming it and the closest known names, so a typo never vanishes.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from flowgen.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class SplitOptions:
    """Extra keywords sorted into those for the SDK client's constructor and those for each request."""

    sdk: dict[str, Any]
    create: dict[str, Any]


@cache
def constructor_keywords(factory: Callable[..., object]) -> frozenset[str]:
    """The keyword-only parameters of an SDK client's constructor, private ones left out."""
    names = inspect.getfullargspec(factory).kwonlyargs
    return frozenset(name for name in names if not name.startswith("_"))


def split_options(
    client: str,
    extra: Mapping[str, Any],
    *,
    sdk_keywords: Collection[str],
    create_keywords: Collection[str],
    reserved: Collection[str],
) -> SplitOptions:
    """Sort ``extra`` into SDK and create keywords, refusing reserved and unknown names.

    ``reserved`` are request fields the client builds itself (messages, tools ...): passing one at
    construction would be silently overwritten, so it is refused with the reason.

    Example:
        >>> split = split_options(
        ...     "Example",
        ...     {"http_client": None, "store": True},
        ...     sdk_keywords={"http_client"},
        ...     create_keywords={"store", "messages"},
        ...     reserved={"messages"},
        ... )
        >>> split.sdk, split.create
        ({'http_client': None}, {'store': True})
    """
    sdk: dict[str, Any] = {}
    create: dict[str, Any] = {}
    for name, value in extra.items():
        if name in reserved:
            raise ConfigurationError(
                f"{client}: {name}= cannot be set at construction; the client builds it for every "
                f"request (pass it to create() instead where the API allows)"
            )
        if name in sdk_keywords:
            sdk[name] = value
        elif name in create_keywords:
            if value is not None:
                create[name] = value
        else:
            known = sorted({*sdk_keywords, *create_keywords} - set(reserved))
            close = difflib.get_close_matches(name, known, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            # The value is never shown: a misspelt keyword may well carry a key.
            raise ConfigurationError(
                f"{client} got an unknown parameter {name!r}{hint} "
                f"(it is neither a constructor keyword of the SDK client nor a request field)"
            )
    return SplitOptions(sdk, create)
