"""Independent ground truth for identity unification.

Deliberately shares no code with ``airflow_idu``: it re-reads unify.yml with
``yaml.safe_load``, validates identifiers in Python and finds connected components with
networkx, so a bug in the product's SQL or config handling cannot hide itself here.

Nodes are ``(key_name, value)`` tuples; ``value`` is the identifier as a string.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import networkx as nx
import yaml

Node = tuple[str, str]

# Per-key-type 9-byte masks (ns 1..3) used by the published generators (contract: "Canonical ids").
MASKS: dict[int, bytes] = {
    1: bytes.fromhex("0ffdbcf0c666ce190d"),
    2: bytes.fromhex("61a821f2b646a4e890"),
    3: bytes.fromhex("acd2206c3f88b3ee27"),
}
_EXAMPLES = 5  # offending examples shown per failure


class _KeyRule:
    """Validation of one key type: RLIKE-style partial regexp match and excluded texts."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.name: str = spec["name"]
        pattern = spec.get("valid_regexp")
        self.regexp = re.compile(pattern) if pattern else None
        self.invalid_texts = frozenset(str(t) for t in spec.get("invalid_texts") or ())

    def valid(self, value: object) -> str | None:
        """The identifier as a string, or None when the value must not become a node."""
        if value is None:
            return None
        text = str(value)
        if text in self.invalid_texts:
            return None
        # Spark RLIKE is a partial match (Java find()), i.e. re.search, not re.fullmatch.
        if self.regexp is not None and self.regexp.search(text) is None:
            return None
        return text


def _merge_by_keys(config: Mapping[str, Any], canonical_id: str | None) -> list[str]:
    for spec in config["canonical_ids"]:
        if canonical_id is None or spec["name"] == canonical_id:
            return list(spec["merge_by_keys"])
    raise KeyError(f"canonical id {canonical_id!r} not in unify.yml")


def load_identifier_graph(
    database: str | Path,
    unify_yml: str | Path,
    *,
    source_schema: str | None = None,
    canonical_id: str | None = None,
) -> nx.Graph:
    """Identifier graph of all source records.

    Every record connects its valid identifiers (a star from the first valid one); a
    record with one valid identifier still adds that node. ``source_schema`` overrides
    the tables' ``database`` from unify.yml; ``canonical_id`` picks the ``merge_by_keys``
    (default: the first canonical id).
    """
    config = yaml.safe_load(Path(unify_yml).read_text())
    merge_keys = set(_merge_by_keys(config, canonical_id))
    rules = {spec["name"]: _KeyRule(spec) for spec in config["keys"] if spec["name"] in merge_keys}
    graph = nx.Graph()
    with duckdb.connect(str(database), read_only=True) as con:
        for table in config["tables"]:
            columns = [(kc["column"], rules[kc["key"]]) for kc in table["key_columns"] if kc["key"] in rules]
            if not columns:
                continue
            schema = source_schema or table["database"]
            select = ", ".join(f'"{column}"' for column, _ in columns)
            # DISTINCT: duplicate records add nothing to the graph and would only cost time.
            rows = con.execute(f'SELECT DISTINCT {select} FROM "{schema}"."{table["table"]}"').fetchall()
            _add_records(graph, rows, [rule for _, rule in columns])
    return graph


def _add_records(graph: nx.Graph, rows: Iterable[Sequence[object]], rules: Sequence[_KeyRule]) -> None:
    for row in rows:
        nodes = [
            (rule.name, text)
            for rule, value in zip(rules, row, strict=True)
            if (text := rule.valid(value)) is not None
        ]
        if not nodes:
            continue
        graph.add_node(nodes[0])
        graph.add_edges_from((nodes[0], other) for other in nodes[1:])


def canonical_id_of(leader_id: str, leader_ns: int) -> str:
    """URL-safe unpadded base64 of sha256(leader)[:8] XOR mask[:8] + mask[8]."""
    mask = MASKS[leader_ns]
    digest = hashlib.sha256(leader_id.encode("utf-8")).digest()[:8]
    raw = bytes(d ^ m for d, m in zip(digest, mask[:8], strict=True)) + mask[8:9]
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _sort_key(node: Node, ns_of: Mapping[str, int]) -> tuple[int, str]:
    return ns_of[node[0]], node[1]


def expected_canonical_ids(graph: nx.Graph, merge_by_keys: Sequence[str]) -> dict[Node, str]:
    """Canonical id of every node: hash of its component's smallest (ns, id) identifier."""
    ns_of = {key: i for i, key in enumerate(merge_by_keys, start=1)}
    result: dict[Node, str] = {}
    for component in nx.connected_components(graph):
        leader = min(component, key=lambda node: _sort_key(node, ns_of))
        canonical = canonical_id_of(leader[1], ns_of[leader[0]])
        result.update(dict.fromkeys(component, canonical))
    return result


def _read_lookup(
    database: str | Path, lookup_table: str, merge_by_keys: Sequence[str]
) -> list[tuple[str, Node]]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(f"SELECT canonical_id, id, id_key_type FROM {lookup_table}").fetchall()
    lookup = []
    for canonical, ident, ns in rows:
        if not 1 <= int(ns) <= len(merge_by_keys):
            raise AssertionError(f"lookup row ({canonical!r}, {ident!r}) has id_key_type {ns} out of range")
        lookup.append((canonical, (merge_by_keys[int(ns) - 1], str(ident))))
    return lookup


def _fail_if(problems: Mapping[Any, Any] | Sequence[Any], message: str) -> None:
    if problems:
        items = list(problems.items() if isinstance(problems, Mapping) else problems)
        examples = "\n  ".join(repr(item) for item in items[:_EXAMPLES])
        raise AssertionError(f"{message}: {len(items)} case(s), e.g.\n  {examples}")


def assert_lookup_matches(
    database: str | Path, *, lookup_table: str, graph: nx.Graph, merge_by_keys: Sequence[str]
) -> None:
    """Assert that ``lookup_table`` is exactly the partition and canonical ids of ``graph``."""
    lookup = _read_lookup(database, lookup_table, merge_by_keys)
    expected = expected_canonical_ids(graph, merge_by_keys)
    component_of = {node: i for i, comp in enumerate(nx.connected_components(graph)) for node in comp}

    seen: dict[Node, list[str]] = defaultdict(list)
    for canonical, node in lookup:
        seen[node].append(canonical)
    _fail_if({n: c for n, c in seen.items() if len(c) > 1}, "ids listed more than once in the lookup")
    _fail_if(sorted(set(expected) - set(seen)), "graph identifiers missing from the lookup")
    _fail_if(sorted(set(seen) - set(expected)), "lookup ids that are not valid source identifiers")

    members: dict[str, set[Node]] = defaultdict(set)
    for canonical, node in lookup:
        members[canonical].add(node)
    merged = {
        c: sorted(nodes)[:3]
        for c, nodes in members.items()
        if len({component_of[n] for n in nodes if n in component_of}) > 1
    }
    _fail_if(merged, "canonical ids that merge different components (canonical id: some members)")
    ids_of_component: dict[int, set[str]] = defaultdict(set)
    for canonical, node in lookup:
        if node in component_of:
            ids_of_component[component_of[node]].add(canonical)
    member_of = {comp: node for node, comp in component_of.items()}
    split = [(sorted(ids), member_of[comp]) for comp, ids in ids_of_component.items() if len(ids) > 1]
    _fail_if(split, "components split over several canonical ids (ids, a member)")
    wrong = {
        node: (canonical, expected[node])
        for canonical, node in lookup
        if node in expected and canonical != expected[node]
    }
    _fail_if(wrong, "wrong canonical id values (node: (actual, expected))")
