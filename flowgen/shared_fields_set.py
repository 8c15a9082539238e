"""One fields set shared by the messages a conversation keeps, instead of one per message.

pydantic gives every model instance a set of the fields its constructor was given
(``model_fields_set``). A conversation keeps three messages per turn (the chat message, and the
model context's user and assistant messages), so three sets per turn, each an object the garbage
collector tracks. Under load, the number of tracked objects a turn leaves behind is what sets how
often the collector runs, and each of its runs scans everything that is waiting on a model: with a
thousand conversations at once, the sets alone were a third of what the turns left behind.

So the messages flowgen builds on its hot paths share one set per class and set of fields
(:func:`share_fields_set`). The classes that allow it (:class:`SharesFieldsSet`) copy the shared
set before an assignment adds to it, so a message changed afterwards gets a set of its own and the
others are untouched. ``model_fields_set`` of such a message is the shared set: read it, do not
change it in place.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

_object_setattr = object.__setattr__
# Per class, its shared sets: one per set of fields seen, up to a few (a class is built in few ways).
_shared: dict[type[BaseModel], list[set[str]]] = {}
_SHAPES = 4


class SharesFieldsSet(BaseModel):
    """A model whose fields set may be shared with others of its class (see the module's text)."""

    def __setattr__(self, name: str, value: Any) -> None:
        fields = self.__pydantic_fields_set__
        for shared in _shared.get(self.__class__, ()):
            if fields is shared:
                # pydantic adds the assigned name to the set in place: give this message its own first.
                _object_setattr(self, "__pydantic_fields_set__", set(fields))
                break
        super().__setattr__(name, value)


M = TypeVar("M", bound=SharesFieldsSet)


def share_fields_set(message: M) -> M:
    """Let ``message`` use its class's shared fields set when its own holds the same fields.

    Cheap enough for every turn: a dictionary lookup and a comparison or two of small sets (sets
    of different sizes compare unequal at once). Past a few shapes per class, a message of a new
    shape keeps its own set.
    """
    fields = message.__pydantic_fields_set__
    shapes = _shared.get(message.__class__)
    if shapes is None:
        shapes = _shared[message.__class__] = []
    for shared in shapes:
        if fields == shared:
            _object_setattr(message, "__pydantic_fields_set__", shared)
            return message
    if len(shapes) < _SHAPES:
        shapes.append(set(fields))
        _object_setattr(message, "__pydantic_fields_set__", shapes[-1])
    return message
