"""Cluster health measured in SQL matches networkx components of the source rows."""

from __future__ import annotations

import random
from collections import Counter

import networkx as nx
import pytest

from airflow_idu.demo.data import JUNK_PHONE
from airflow_idu.health.explain import cut_identifiers
from airflow_idu.health.measure import BUCKETS, ClusterOptions, cluster_sizes, measure_clusters
from tests.health.conftest import TABLES, Unified


@pytest.mark.parametrize(
    ("histogram", "expected"),
    [
        ({}, {"clusters": 0, "identifiers": 0, "p50": 0, "p99": 0, "max": 0}),
        ({1: 1}, {"clusters": 1, "identifiers": 1, "p50": 1, "p99": 1, "max": 1}),
        ({1: 98, 7: 1, 500: 1}, {"clusters": 100, "identifiers": 605, "p50": 1, "p99": 7, "max": 500}),
        ({2: 50, 3: 50}, {"clusters": 100, "identifiers": 250, "p50": 2, "p99": 3, "max": 3}),
        ({4: 1, 2000: 1}, {"clusters": 2, "identifiers": 2004, "p50": 4, "p99": 2000, "max": 2000}),
    ],
    ids=["empty", "one_singleton", "long_tail", "even_split", "giant"],
)
def test_cluster_sizes_from_a_histogram(histogram: dict[int, int], expected: dict[str, int]) -> None:
    sizes = cluster_sizes(histogram)
    assert {k: sizes[k] for k in expected} == expected
    assert [b["bucket"] for b in sizes["buckets"]] == [label for label, _, _ in BUCKETS]
    assert sum(b["clusters"] for b in sizes["buckets"]) == expected["clusters"]


def test_cluster_health_matches_networkx(junk_unified: Unified) -> None:
    engine = junk_unified.engine()
    try:
        health = measure_clusters(engine, TABLES, ClusterOptions(largest=5, shared_min_leaders=5))
    finally:
        engine.close()
    components = sorted((len(c) for c in nx.connected_components(junk_unified.graph)), reverse=True)
    sizes = health["cluster_sizes"]
    assert sizes["clusters"] == len(components)
    assert sizes["identifiers"] == junk_unified.graph.number_of_nodes()
    assert sizes["max"] == components[0]
    counts = Counter(components)
    for bucket in sizes["buckets"]:
        high = bucket["max"] if bucket["max"] is not None else components[0]
        assert bucket["clusters"] == sum(n for s, n in counts.items() if bucket["min"] <= s <= high), bucket
    assert [c["size"] for c in health["largest_clusters"]] == components[:5]

    # The junk phone glued its people into the largest cluster and is its top value.
    giant = health["largest_clusters"][0]
    junk_node = ("phone_number", JUNK_PHONE)
    assert giant["size"] == len(nx.node_connected_component(junk_unified.graph, junk_node))
    assert giant["top_values"][0] == {
        "key_type": "phone_number",
        "value": JUNK_PHONE,
        "records": junk_unified.graph.degree(junk_node),
    }
    assert sum(giant["key_types"].values()) == giant["size"]
    assert set(giant["key_types"]) <= {"email", "customer_id", "phone_number"}

    per_type = Counter(key for key, _ in junk_unified.graph.nodes)
    assert health["identifiers_per_key_type"] == dict(per_type)
    # Before unification the junk phone followed one leading email per person that filed the ticket.
    assert health["shared_values"][0] == {
        "key_type": "phone_number",
        "value": JUNK_PHONE,
        "leaders": junk_unified.junk_people,
    }
    assert junk_unified.junk_people >= 5


def _random_graph(seed: int) -> nx.Graph:
    rng = random.Random(seed)
    graph = nx.gnm_random_graph(rng.randint(2, 40), rng.randint(1, 60), seed=seed)
    graph = graph.subgraph(max(nx.connected_components(graph), key=len)).copy()
    return nx.relabel_nodes(graph, {n: (1 + n % 3, f"v{n:03d}") for n in graph.nodes})


@pytest.mark.parametrize("seed", range(30), ids=lambda s: f"graph{s}")
def test_cut_identifiers_are_networkx_articulation_points(seed: int) -> None:
    graph = _random_graph(seed)
    adjacency = {n: dict.fromkeys(graph.neighbors(n)) for n in graph.nodes}
    root = min(graph.nodes)
    cuts = cut_identifiers(adjacency, root)
    assert set(cuts) == set(nx.articulation_points(graph))
    for node, separates in cuts.items():
        rest = graph.subgraph(set(graph.nodes) - {node})
        largest = max(len(c) for c in nx.connected_components(rest))
        assert separates == graph.number_of_nodes() - 1 - largest
