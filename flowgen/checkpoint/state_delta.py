"""Agent-state deltas: what changed between two JSON states, so a step writes only what it added.

An agent's saved state usually grows by appending (a model context gains the step's messages), so
a delta records, for each changed key, either the items appended to a list, a nested delta, or the
new value. Every delta node is a one-key wrapper — ``{"=": value}``, ``{"+": items}`` or
``{"{": {key: delta}, "-": [removed keys]}`` — so the format never confuses data with markers.

Example:
    >>> old = {"llm_context": {"messages": [1, 2]}, "n": 1}
    >>> new = {"llm_context": {"messages": [1, 2, 3]}, "n": 1}
    >>> d = diff(old, new)
    >>> d
    {'{': {'llm_context': {'{': {'messages': {'+': [3]}}}}}
    >>> apply(old, d) == new
    True
"""

from __future__ import annotations

from typing import Any

from flowgen.errors import StateError

#: What diff gives for two equal lists or dicts.
_UNCHANGED: tuple[dict[str, Any], ...] = ({"+": []}, {"{": {}})


def diff(old: Any, new: Any) -> dict[str, Any]:
    """The delta turning ``old`` into ``new`` (``old`` None: the whole value)."""
    if isinstance(old, dict) and isinstance(new, dict):
        changed: dict[str, Any] = {}
        for key, value in new.items():
            if key not in old:
                changed[key] = {"=": value}
                continue
            before = old[key]
            if before is value:
                continue
            if type(before) is type(value) and isinstance(value, list | dict):
                # Compared once, inside diff: an equality test here would walk a long list twice.
                change = diff(before, value)
                if change not in _UNCHANGED:
                    changed[key] = change
            elif before != value:
                changed[key] = {"=": value}
        removed = [key for key in old if key not in new]
        out: dict[str, Any] = {"{": changed}
        if removed:
            out["-"] = removed
        return out
    # The prefix is compared in C, element by element; the unchanged prefix is never written.
    if isinstance(old, list) and isinstance(new, list) and len(new) >= len(old) and new[: len(old)] == old:
        return {"+": new[len(old) :]}
    return {"=": new}


def apply(old: Any, delta: Any) -> Any:
    """``old`` with ``delta`` applied; raises StateError on a malformed delta."""
    if not isinstance(delta, dict):
        raise StateError(f"a state delta must be an object, got {type(delta).__name__}")
    if "=" in delta and len(delta) == 1:
        return delta["="]
    if "+" in delta and len(delta) == 1:
        if not isinstance(old, list) or not isinstance(delta["+"], list):
            raise StateError("a state delta appends to something that is not a list")
        return [*old, *delta["+"]]
    if "{" in delta and set(delta) <= {"{", "-"}:
        if not isinstance(old, dict) or not isinstance(delta["{"], dict):
            raise StateError("a state delta changes keys of something that is not an object")
        out = dict(old)
        for key in delta.get("-", []):
            out.pop(key, None)
        for key, change in delta["{"].items():
            out[key] = apply(out.get(key), change)
        return out
    raise StateError(f"unknown state delta form with keys {sorted(delta)}")
