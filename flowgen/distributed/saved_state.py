"""Agents' last saved state in the cluster's key-value store, for actors recreated after a loss.

With ``Placement(keep_state=True)`` a host saves an agent's state (``agent.save_state()``, as JSON)
after every message it handled and before the reply leaves; an agent made again in a recreated
actor loads it first. Only JSON goes in and comes out: nothing here is unpickled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def _key(runtime_name: str, agent: str) -> bytes:
    return f"flowgen.state.{runtime_name}.{agent}".encode()


def save_agent_state(runtime_name: str, agent: str, state: Mapping[str, Any]) -> None:
    from ray.experimental.internal_kv import _internal_kv_put

    _internal_kv_put(_key(runtime_name, agent), json.dumps(dict(state)).encode("utf-8"), overwrite=True)


def saved_agent_state(runtime_name: str, agent: str) -> dict[str, Any] | None:
    from ray.experimental.internal_kv import _internal_kv_get

    saved = _internal_kv_get(_key(runtime_name, agent))
    if saved is None:
        return None
    state = json.loads(saved)
    if not isinstance(state, dict):
        raise ValueError(f"the saved state of {agent} is not a JSON object; delete it or save a mapping")
    return state


def forget_saved_states(runtime_name: str) -> None:
    from ray.experimental.internal_kv import _internal_kv_del

    _internal_kv_del(f"flowgen.state.{runtime_name}.".encode(), del_by_prefix=True)
