"""Why do two identifiers share a canonical id? The shortest chain of source links between them;
and for one identifier, its cluster and the identifiers whose removal would split it.

Reads ``<p>_graph`` (the converged graph canonicalize keeps: which identifiers form one cluster)
and the source links (``<p>_graph_unify_loop_0``, one row per leader-follower link of the source
records, with the source tables and first/last record time; for an incremental-capable directory
the stored links beside the last run's, ``TableNames.source_links``). The cluster's links are fetched with one query; the
path (breadth-first search) and the cut identifiers (Tarjan) are computed in Python, so clusters
above ``max_identifiers`` are described but not searched.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from airflow_idu.engines.base import Engine
from airflow_idu.health.measure import key_name, key_type_names
from airflow_idu.health.tables import HealthTables, sql_string, table_exists

__all__ = ["DEFAULT_MAX_IDENTIFIERS", "ExplainError", "explain", "render_text"]

DEFAULT_MAX_IDENTIFIERS = 200_000
BRIDGES_SHOWN = 20

Node = tuple[int, str]  # (key type number, identifier value)


class ExplainError(ValueError):
    """The question cannot be answered as asked (an ambiguous identifier); the message says how to ask."""


@dataclass
class _Link:
    source_tables: set[int] = field(default_factory=set)
    first_seen_at: int | None = None
    last_seen_at: int | None = None

    def add(self, tables: Any, first: Any, last: Any) -> None:
        self.source_tables |= {int(t) for t in (list(tables) if tables is not None else [])}
        if first is not None:
            self.first_seen_at = (
                int(first) if self.first_seen_at is None else min(self.first_seen_at, int(first))
            )
        if last is not None:
            self.last_seen_at = int(last) if self.last_seen_at is None else max(self.last_seen_at, int(last))


@dataclass
class _Context:
    engine: Engine
    tables: HealthTables
    names: dict[int, str]
    table_names: dict[int, str]
    links: str  # where the source links are (TableNames.source_links)

    def node_dict(self, node: Node) -> dict[str, Any]:
        return {"key_type": key_name(self.names, node[0]), "value": node[1]}

    def node_text(self, node: Node) -> str:
        return f"{key_name(self.names, node[0])} {node[1]!r}"


def _table_names(engine: Engine, tables: HealthTables) -> dict[int, str]:
    if not table_exists(engine, tables.source_tables):
        return {}
    rows = engine.query(f"SELECT table_id, table_name FROM {tables.source_tables}", label="explain: tables")
    return {int(i): str(n) for i, n in rows}


def _parse(ctx: _Context, text: str) -> tuple[int | None, str]:
    """``email:a@b.c`` or ``ns1:a@b.c`` pins the key type; anything else is a bare value."""
    head, sep, rest = text.partition(":")
    if sep:
        by_name = {name: ns for ns, name in ctx.names.items()}
        if head in by_name:
            return by_name[head], rest
        if head.startswith("ns") and head[2:].isdigit():
            return int(head[2:]), rest
    return None, text


def _locate(ctx: _Context, text: str) -> tuple[Node, Node] | None:
    """The identifier and its cluster's leader, or None when the graph does not hold it."""
    ns, value = _parse(ctx, text)
    where = f"follower_id = {sql_string(value)}" + (f" AND follower_ns = {int(ns)}" if ns is not None else "")
    rows = ctx.engine.query(
        f"SELECT DISTINCT follower_ns, leader_ns, leader_id FROM {ctx.tables.graph()} WHERE {where}",
        label="explain: locate",
    )
    if len({int(r[0]) for r in rows}) > 1:
        kinds = ", ".join(f"{key_name(ctx.names, r[0])}:{value}" for r in rows)
        raise ExplainError(f"{value!r} is an identifier of several key types; ask for one of: {kinds}")
    if not rows:
        return None
    follower_ns, leader_ns, leader_id = rows[0]
    return (int(follower_ns), value), (int(leader_ns), str(leader_id))


def _graph(ctx: _Context) -> str:
    return ctx.tables.graph()


def _cluster_counts(ctx: _Context, leader: Node) -> dict[str, int]:
    rows = ctx.engine.query(
        f"SELECT follower_ns, COUNT(*) FROM {_graph(ctx)} WHERE leader_ns = {int(leader[0])} "
        f"AND leader_id = {sql_string(leader[1])} GROUP BY follower_ns ORDER BY follower_ns",
        label="explain: cluster",
    )
    return {key_name(ctx.names, ns): int(n) for ns, n in rows}


def _links(ctx: _Context, leader: Node) -> dict[Node, dict[Node, _Link]]:
    """Adjacency of the cluster from the source links (both directions)."""
    rows = ctx.engine.query(
        f"""WITH members AS (
  SELECT follower_id AS id, follower_ns AS ns FROM {_graph(ctx)}
  WHERE leader_ns = {int(leader[0])} AND leader_id = {sql_string(leader[1])}
)
SELECT e.follower_ns, e.follower_id, e.leader_ns, e.leader_id, e.follower_source_table_ids,
  e.follower_first_seen_at, e.follower_last_seen_at
FROM {ctx.links} e JOIN members m ON m.id = e.follower_id AND m.ns = e.follower_ns
WHERE e.follower_id <> e.leader_id OR e.follower_ns <> e.leader_ns""",
        label="explain: links",
    )
    adjacency: dict[Node, dict[Node, _Link]] = {}
    for f_ns, f_id, l_ns, l_id, tables, first, last in rows:
        a, b = (int(f_ns), str(f_id)), (int(l_ns), str(l_id))
        link = adjacency.setdefault(a, {}).setdefault(b, _Link())
        link.add(tables, first, last)
        adjacency.setdefault(b, {})[a] = link
    return adjacency


def _shortest_path(
    adjacency: Mapping[Node, Mapping[Node, _Link]], start: Node, goal: Node
) -> list[Node] | None:
    parent: dict[Node, Node | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while (prev := parent[path[-1]]) is not None:
                path.append(prev)
            return path[::-1]
        for nbr in sorted(adjacency.get(node, {})):
            if nbr not in parent:
                parent[nbr] = node
                queue.append(nbr)
    return None


def cut_identifiers(adjacency: Mapping[Node, Mapping[Node, Any]], root: Node) -> dict[Node, int]:
    """Articulation points of root's component (iterative Tarjan): ``{identifier: separates}``, where
    ``separates`` counts the identifiers outside the largest part left when it is removed."""
    disc: dict[Node, int] = {root: 0}
    low: dict[Node, int] = {root: 0}
    size: dict[Node, int] = {root: 1}
    pieces: dict[Node, list[int]] = {}
    stack: list[tuple[Node, Node | None, Iterator[Node]]] = [
        (root, None, iter(sorted(adjacency.get(root, {}))))
    ]
    while stack:
        node, parent, neighbours = stack[-1]
        child = next((n for n in neighbours if n != parent and not _seen(n, node, disc, low)), None)
        if child is not None:
            disc[child] = low[child] = len(disc)
            size[child] = 1
            stack.append((child, node, iter(sorted(adjacency.get(child, {})))))
            continue
        stack.pop()
        if parent is None:
            continue
        low[parent] = min(low[parent], low[node])
        size[parent] += size[node]
        if parent == root or low[node] >= disc[parent]:
            pieces.setdefault(parent, []).append(size[node])
    total = len(disc)
    cuts: dict[Node, int] = {}
    for node, parts in pieces.items():
        if node != root:
            parts = [*parts, total - 1 - sum(parts)]
        if len([p for p in parts if p > 0]) >= 2:
            cuts[node] = total - 1 - max(parts)
    return cuts


def _seen(nbr: Node, node: Node, disc: dict[Node, int], low: dict[Node, int]) -> bool:
    """True (and the back edge recorded) when ``nbr`` was visited already."""
    if nbr in disc:
        low[node] = min(low[node], disc[nbr])
        return True
    return False


def _time(value: int | None) -> str | None:
    return None if value is None else datetime.fromtimestamp(value, UTC).isoformat()


def _link_dict(ctx: _Context, a: Node, b: Node, link: _Link) -> dict[str, Any]:
    return {
        "from": ctx.node_dict(a),
        "to": ctx.node_dict(b),
        "source_tables": [ctx.table_names.get(t, f"table {t}") for t in sorted(link.source_tables)],
        "first_seen_at": link.first_seen_at,
        "last_seen_at": link.last_seen_at,
    }


def _canonical_id(ctx: _Context, node: Node) -> str | None:
    rows = ctx.engine.query(
        f"SELECT canonical_id FROM {ctx.tables.lookup} WHERE id = {sql_string(node[1])} AND id_key_type = {node[0]}",
        label="explain: canonical id",
    )
    return str(rows[0][0]) if rows else None


def _explain_pair(ctx: _Context, a: str, b: str, max_identifiers: int) -> dict[str, Any]:
    found = {a: _locate(ctx, a), b: _locate(ctx, b)}
    answer: dict[str, Any] = {"question": "pair", "a": a, "b": b, "connected": False, "links": []}
    missing = [text for text, where in found.items() if where is None]
    if missing:
        answer["unknown"] = missing
        answer["message"] = "not connected: " + ", ".join(
            f"{m!r} is not an identifier of this graph" for m in missing
        )
        return answer
    (node_a, leader_a), (node_b, leader_b) = found[a], found[b]  # type: ignore[misc]
    if leader_a != leader_b:
        answer["message"] = (
            f"not connected: {ctx.node_text(node_a)} and {ctx.node_text(node_b)} are in different clusters"
        )
        return answer
    counts = _cluster_counts(ctx, leader_a)
    total = sum(counts.values())
    answer.update(connected=True, cluster_size=total, canonical_id=_canonical_id(ctx, node_a))
    if total > max_identifiers:
        answer["message"] = (
            f"connected (same cluster of {total} identifiers); the chain was not searched: the cluster is "
            f"above the explain cap of {max_identifiers} identifiers (--max-identifiers)"
        )
        return answer
    adjacency = _links(ctx, leader_a)
    path = _shortest_path(adjacency, node_a, node_b)
    if path is None:
        raise ExplainError(
            f"{_graph(ctx)} puts both in one cluster but the source links have no chain between them: "
            "the two tables are from different runs; run the workflow again"
        )
    answer["links"] = [_link_dict(ctx, x, y, adjacency[x][y]) for x, y in pairwise(path)]
    answer["message"] = f"connected in {len(answer['links'])} link(s)"
    return answer


def _explain_one(ctx: _Context, a: str, max_identifiers: int) -> dict[str, Any]:
    where = _locate(ctx, a)
    answer: dict[str, Any] = {"question": "identifier", "a": a, "found": where is not None}
    if where is None:
        answer["unknown"] = [a]
        answer["message"] = f"{a!r} is not an identifier of this graph"
        return answer
    node, leader = where
    counts = _cluster_counts(ctx, leader)
    total = sum(counts.values())
    answer.update(
        identifier=ctx.node_dict(node),
        canonical_id=_canonical_id(ctx, node),
        cluster_size=total,
        key_types=counts,
        bridges=None,
        bridges_total=None,
    )
    if total > max_identifiers:
        answer["message"] = (
            f"cluster of {total} identifiers; bridges not computed above the explain cap of {max_identifiers}"
        )
        return answer
    cuts = cut_identifiers(_links(ctx, leader), node) if total > 1 else {}
    ranked = sorted(cuts.items(), key=lambda item: (-item[1], item[0]))
    answer["bridges"] = [{**ctx.node_dict(n), "separates": s} for n, s in ranked[:BRIDGES_SHOWN]]
    answer["bridges_total"] = len(ranked)
    answer["message"] = (
        f"cluster of {total} identifiers; {len(ranked)} identifier(s) would split it if removed"
    )
    return answer


def explain(
    engine: Engine,
    tables: HealthTables,
    a: str,
    b: str | None = None,
    *,
    max_identifiers: int = DEFAULT_MAX_IDENTIFIERS,
    incremental: bool = False,
) -> dict[str, Any]:
    """The answer as a dict (JSON-ready): a chain of links for two identifiers, the cluster for one.
    ``incremental``: the directory is incremental-capable (its links are not all in loop 0)."""
    if max_identifiers < 1:
        raise ExplainError(f"max_identifiers must be >= 1, got {max_identifiers}")
    ctx = _Context(
        engine=engine,
        tables=tables,
        names=key_type_names(engine, tables),
        table_names=_table_names(engine, tables),
        links=tables.source_links(incremental=incremental),
    )
    return _explain_one(ctx, a, max_identifiers) if b is None else _explain_pair(ctx, a, b, max_identifiers)


def render_text(answer: Mapping[str, Any]) -> str:
    lines = [str(answer["message"])]
    if answer.get("canonical_id"):
        lines.append(f"canonical id: {answer['canonical_id']}")
    for i, link in enumerate(answer.get("links") or [], start=1):
        lines.append(
            f"  {i}. {link['from']['key_type']} {link['from']['value']!r} -- {link['to']['key_type']} "
            f"{link['to']['value']!r}  (source: {', '.join(link['source_tables'])}; records seen "
            f"{_time(link['first_seen_at'])} .. {_time(link['last_seen_at'])})"
        )
    if answer.get("key_types"):
        lines.append("key types: " + ", ".join(f"{k} {n}" for k, n in answer["key_types"].items()))
    for bridge in answer.get("bridges") or []:
        lines.append(f"  bridge: {bridge['key_type']} {bridge['value']!r} (separates {bridge['separates']})")
    return "\n".join(lines)
