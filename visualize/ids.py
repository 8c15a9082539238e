"""Stable, CSS-safe element ids derived from node names and edge indices.

The HTML report's script finds graph elements by these ids, so they must not depend on anything but
the graph: the same node name always gives the same id, and distinct names give distinct ids.
"""

from __future__ import annotations


def slug(name: str) -> str:
    """An injective, CSS- and DOT-safe spelling of ``name``.

    Letters and digits are kept; every other character becomes ``_<hex>_``, so no two names collide.

    Example:
        >>> slug("team/writer 2")
        'team_2f_writer_20_2'
    """
    return "".join(ch if ch.isascii() and ch.isalnum() else f"_{ord(ch):x}_" for ch in name)


def node_id(path: str) -> str:
    """The element id of a node; ``path`` is ``outer/inner`` for a node inside a nested team."""
    return f"node-{slug(path)}"


def edge_id(index: int, prefix: str = "") -> str:
    """The element id of edge ``index`` of the graph at node path ``prefix`` (``""`` for the top)."""
    return f"edge-{slug(prefix)}-{index}" if prefix else f"edge-{index}"


def cluster_name(path: str) -> str:
    """Graphviz draws a subgraph as a box only when its name starts with ``cluster``."""
    return f"cluster_{slug(path)}"
