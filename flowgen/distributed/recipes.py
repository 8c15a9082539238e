"""Participant recipes shared by content: stored once per distinct recipe, fetched by the actors.

A hosted participant's key ends in its recipe's digest (``<team key>@<digest>``), so the actor that
builds it needs nothing from the driver but the recipe itself, which it finds by that digest: in
its own small cache, else in the cluster's key-value store, where the driver put it when the first
participant using it was hosted. Adding a team of a shape the runtime already hosts (equal
participants: the same configs) stores and sends nothing; a new shape stores its recipes once.
The directory holds no recipe at all, so it stays the size of the agent types whatever the number
of teams.

The driver counts the live participants of each recipe and keeps the last few unused recipes
(:data:`KEPT_UNUSED`) for teams made one after another; older unused ones leave the store. Each
actor keeps its agents' recipes and the last few it built (the same number).
"""

from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowgen.distributed.participant_host import ParticipantRecipe

#: Unused recipes the driver leaves in the store, and each actor in its cache, for the next teams.
KEPT_UNUSED = 32
_SEPARATOR = "@"


def recipe_digest(pickled: bytes) -> str:
    """The name of a recipe: a hash of its pickled form (equal recipes pickle alike)."""
    return hashlib.sha256(pickled).hexdigest()[:32]


def participant_key(team_key: str, digest: str) -> str:
    """The agent key of a team instance's participant built from the recipe ``digest``."""
    return f"{team_key}{_SEPARATOR}{digest}"


def digest_of_key(key: str) -> str:
    """The recipe digest a participant's key ends in ("" when it names none)."""
    _, separator, digest = key.rpartition(_SEPARATOR)
    return digest if separator else ""


def _store_key(runtime_name: str, digest: str) -> bytes:
    return f"flowgen.recipe.{runtime_name}.{digest}".encode()


class RecipeLeases:
    """The driver's count of live participants per recipe; stores and forgets recipes to match."""

    def __init__(self, runtime_name: str) -> None:
        self._runtime_name = runtime_name
        self._users: dict[str, int] = {}
        self._unused: OrderedDict[str, None] = OrderedDict()  # stored, no live participant, oldest first
        #: Recipes stored, their bytes, and recipes removed from the store (for tests and benchmarks).
        self.counts = {"recipes_stored": 0, "recipe_bytes_stored": 0, "recipes_forgotten": 0}

    def __len__(self) -> int:
        """Recipes in the store: the live ones and the kept unused ones."""
        return len(self._users) + len(self._unused)

    def take(self, digest: str, pickled: bytes) -> None:
        """One more live participant of ``digest``; the recipe is stored unless it already is."""
        users = self._users.get(digest)
        if users is not None:
            self._users[digest] = users + 1
            return
        if digest in self._unused:  # stored earlier, kept while unused
            del self._unused[digest]
            self._users[digest] = 1
            return
        from ray.experimental.internal_kv import _internal_kv_put

        _internal_kv_put(_store_key(self._runtime_name, digest), pickled, overwrite=True)  # type: ignore[no-untyped-call]
        self.counts["recipes_stored"] += 1
        self.counts["recipe_bytes_stored"] += len(pickled)
        self._users[digest] = 1

    def give_back(self, digest: str) -> None:
        """One live participant of ``digest`` fewer; the oldest unused recipes beyond the few leave."""
        users = self._users.get(digest, 0) - 1
        if users > 0:
            self._users[digest] = users
            return
        self._users.pop(digest, None)
        self._unused[digest] = None
        while len(self._unused) > KEPT_UNUSED:
            self._forget(self._unused.popitem(last=False)[0])

    def forget_all(self) -> None:
        for digest in [*self._users, *self._unused]:
            self._forget(digest)
        self._users.clear()
        self._unused.clear()

    def _forget(self, digest: str) -> None:
        from ray.experimental.internal_kv import _internal_kv_del

        _internal_kv_del(_store_key(self._runtime_name, digest))
        self.counts["recipes_forgotten"] += 1


# In an actor's process: the recipes its agents were built from (weakly: they hold them) and the
# last few it built (strongly), by runtime and digest.
_in_use: weakref.WeakValueDictionary[tuple[str, str], ParticipantRecipe] = weakref.WeakValueDictionary()
_recent: OrderedDict[tuple[str, str], ParticipantRecipe] = OrderedDict()


def shared_recipe(runtime_name: str, digest: str) -> ParticipantRecipe | None:
    """The recipe ``digest`` of ``runtime_name``: from this process's cache, else from the store."""
    key = (runtime_name, digest)
    recipe = _in_use.get(key)
    if recipe is None:
        from ray import cloudpickle
        from ray.experimental.internal_kv import _internal_kv_get

        pickled = _internal_kv_get(_store_key(runtime_name, digest))
        if pickled is None or recipe_digest(pickled) != digest:
            return None
        recipe = cloudpickle.loads(pickled)
        _in_use[key] = recipe
    _recent[key] = recipe
    _recent.move_to_end(key)
    while len(_recent) > KEPT_UNUSED:
        _recent.popitem(last=False)
    return recipe


def cached_recipes() -> int:
    """Recipes this process holds (its agents' and the recently built)."""
    return len(set(_in_use.keys()) | set(_recent))
