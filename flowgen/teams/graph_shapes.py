"""Teams of the same shape share one compiled, validated graph.

A team's graph is a function of its type, its name and, for each participant, the name, description
and type its node is made of. Two teams built from equal inputs would build equal graphs, and their
runners would derive the same transitions and check the same structure; a server making a team per
conversation would pay for it on every conversation and keep every copy alive. So a team type that
can say what its graph depends on (``BaseGroupChat._graph_shape``) gets the
:class:`~flowgen.engine.compiled.CompiledGraph` built for the first team of that shape. The graph is
immutable, so sharing it changes nothing a team can observe; the cache holds the most recently used
shapes only (graphs are data: names and descriptions, no agents).

Example:
    >>> from flowgen.graph import AgentNode, GraphSpec
    >>> build = lambda: GraphSpec(nodes=(AgentNode(name="a"),), entry=("a",))
    >>> compiled_graph(("example", "a"), build) is compiled_graph(("example", "a"), build)
    True
    >>> compiled_graph(None, build) is compiled_graph(None, build)
    False
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flowgen.engine.compiled import CompiledGraph
from flowgen.graph.spec import GraphSpec

#: How many shapes are kept; the least recently used is dropped beyond it.
LIMIT = 256

_shapes: OrderedDict[Hashable, CompiledGraph] = OrderedDict()
_lock = threading.Lock()  # teams may be built on several threads


def compiled_graph(shape: Hashable | None, build: Callable[[], GraphSpec]) -> CompiledGraph:
    """The compiled graph of ``shape``, built with ``build`` the first time; ``None`` never shares."""
    if shape is None:
        return CompiledGraph(build())
    with _lock:
        found = _shapes.get(shape)
        if found is not None:
            _shapes.move_to_end(shape)
            return found
    compiled = CompiledGraph(build())  # outside the lock: building may call back into user code
    with _lock:
        found = _shapes.setdefault(shape, compiled)
        if len(_shapes) > LIMIT:
            _shapes.popitem(last=False)
    return found


def clear() -> None:
    """Forget every shape (for tests that count graph builds)."""
    with _lock:
        _shapes.clear()
