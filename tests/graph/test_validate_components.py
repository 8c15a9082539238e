"""The plain-Python graph helpers of validation agree with networkx."""

from __future__ import annotations

import random

import networkx as nx

from flowgen.graph.validate import strongly_connected_components


def _random_graph(rng: random.Random) -> dict[str, list[str]]:
    names = [f"n{i}" for i in range(rng.randint(1, 9))]
    successors: dict[str, list[str]] = {name: [] for name in names}
    for _ in range(rng.randint(0, 20)):
        successors[rng.choice(names)].append(rng.choice(names))
    return successors


def test_components_match_networkx_on_random_graphs() -> None:
    rng = random.Random(9)
    for _ in range(500):
        successors = _random_graph(rng)
        graph = nx.DiGraph()
        graph.add_nodes_from(successors)
        graph.add_edges_from((a, b) for a, targets in successors.items() for b in targets)
        ours = sorted(sorted(c) for c in strongly_connected_components(successors))
        assert ours == sorted(sorted(c) for c in nx.strongly_connected_components(graph))


def test_a_successor_missing_from_the_mapping_is_its_own_component() -> None:
    assert sorted(sorted(c) for c in strongly_connected_components({"a": ["b"]})) == [["a"], ["b"]]


def test_a_long_chain_does_not_hit_the_recursion_limit() -> None:
    chain = {f"n{i}": [f"n{i + 1}"] for i in range(5000)}
    chain["n5000"] = ["n0"]
    assert [len(c) for c in strongly_connected_components(chain)] == [5001]
