"""Cluster health of the lookup a run wrote: size distribution, largest clusters and their likely
junk keys, identifiers per key type, values shared by many identifiers before unification.

Every figure is one Databricks SQL query through :class:`~airflow_idu.engines.base.Engine`
(translated on DuckDB); Python only shapes the (small) results.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_idu.engines.base import Engine
from airflow_idu.health.tables import HealthTables, sql_string, table_exists

__all__ = [
    "BUCKETS",
    "ClusterOptions",
    "cluster_size_rows",
    "cluster_sizes",
    "key_type_names",
    "largest_clusters",
    "measure_clusters",
    "shared_values",
]

# (label, min, max); max None = unbounded. Fixed by the health data contract.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1", 1, 1),
    ("2", 2, 2),
    ("3-5", 3, 5),
    ("6-10", 6, 10),
    ("11-100", 11, 100),
    ("101-1000", 101, 1000),
    ("1001+", 1001, None),
)


@dataclass(frozen=True, kw_only=True)
class ClusterOptions:
    """How much to report: ``largest`` clusters, ``top_values`` per cluster, values shared by more
    than ``shared_min_leaders`` leaders (at most ``shared_limit`` of them)."""

    largest: int = 10
    top_values: int = 5
    shared_min_leaders: int = 5
    shared_limit: int = 20
    incremental: bool = (
        False  # the directory is incremental-capable: where its links are (TableNames.source_links)
    )

    def __post_init__(self) -> None:
        for name in ("largest", "top_values", "shared_limit"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if int(self.shared_min_leaders) < 1:
            raise ValueError(f"shared_min_leaders must be >= 1, got {self.shared_min_leaders!r}")


def key_type_names(engine: Engine, tables: HealthTables) -> dict[int, str]:
    """``{1: "email", ...}`` from ``<p>_keys`` when canonicalize wrote it; else empty (names are ``ns<N>``)."""
    if not table_exists(engine, tables.keys):
        return {}
    rows = engine.query(f"SELECT key_type, key_name FROM {tables.keys}", label="health: key types")
    return {int(ns): str(name) for ns, name in rows}


def key_name(names: Mapping[int, str], ns: Any) -> str:
    return names.get(int(ns), f"ns{int(ns)}")


def _sizes_sql(lookup: str, largest: int) -> str:
    """One pass over the lookup's clusters for both the size histogram (rows ``'histogram', NULL,
    size, clusters``) and the ``largest`` biggest clusters (rows ``'largest', id, size, NULL``): the
    grouping by canonical id is the gate's costliest step (1.8-2.1 s each at 12M records)."""
    return (
        f"WITH sizes AS (SELECT canonical_id, COUNT(*) AS size FROM {lookup} GROUP BY canonical_id) "
        "SELECT 'histogram' AS part, CAST(NULL AS STRING) AS canonical_id, size, COUNT(*) AS clusters "
        "FROM sizes GROUP BY size "
        "UNION ALL SELECT 'largest', canonical_id, size, CAST(NULL AS BIGINT) FROM ("
        f"SELECT canonical_id, size FROM sizes ORDER BY size DESC, canonical_id LIMIT {int(largest)}"
        ") AS top"
    )


def cluster_size_rows(
    engine: Engine, lookup: str, largest: int
) -> tuple[dict[int, int], list[tuple[str, int]]]:
    """``{cluster size: number of clusters}`` of a lookup table, and its ``largest`` biggest clusters
    as ``(canonical id, size)``, biggest first (ties by id)."""
    rows = engine.query(_sizes_sql(lookup, largest), label="health: cluster sizes")
    histogram = {int(size): int(n) for part, _, size, n in rows if part == "histogram"}
    top = [(str(cid), int(size)) for part, cid, size, _ in rows if part == "largest"]
    return histogram, sorted(top, key=lambda c: (-c[1], c[0]))


def cluster_sizes(histogram: Mapping[int, int]) -> dict[str, Any]:
    """Counts, nearest-rank p50/p99, max and the contract's buckets, from a size histogram."""
    clusters = sum(histogram.values())
    return {
        "clusters": clusters,
        "identifiers": sum(size * n for size, n in histogram.items()),
        "p50": _percentile(histogram, 0.50),
        "p99": _percentile(histogram, 0.99),
        "max": max(histogram, default=0),
        "buckets": [
            {
                "bucket": label,
                "min": low,
                "max": high,
                "clusters": sum(
                    n for size, n in histogram.items() if low <= size and (high is None or size <= high)
                ),
            }
            for label, low, high in BUCKETS
        ],
    }


def _percentile(histogram: Mapping[int, int], q: float) -> int:
    """Nearest-rank percentile: the smallest size s with at least ``q`` of the clusters <= s."""
    total = sum(histogram.values())
    if total == 0:
        return 0
    rank = max(1, math.ceil(q * total))
    seen = 0
    for size in sorted(histogram):
        seen += histogram[size]
        if seen >= rank:
            return size
    return max(histogram)


def _member_links_sql(graph: str, members: str) -> str:
    """Undirected links between distinct identifiers of the initial graph, each once per end, for the
    ends in ``members`` only: each direction is joined to the members before the ``UNION``, so only
    their links are de-duplicated, not every link of the graph (the same rows for those ends)."""
    distinct = "(g.follower_id <> g.leader_id OR g.follower_ns <> g.leader_ns)"
    return (
        "SELECT g.follower_id AS id, g.follower_ns AS ns, g.leader_id AS nbr_id, g.leader_ns AS nbr_ns "
        f"FROM {graph} g JOIN {members} m ON m.id = g.follower_id AND m.id_key_type = g.follower_ns "
        f"WHERE {distinct} "
        "UNION SELECT g.leader_id, g.leader_ns, g.follower_id, g.follower_ns "
        f"FROM {graph} g JOIN {members} m ON m.id = g.leader_id AND m.id_key_type = g.leader_ns "
        f"WHERE {distinct}"
    )


def largest_clusters(
    engine: Engine,
    tables: HealthTables,
    names: Mapping[int, str],
    options: ClusterOptions,
    clusters: Sequence[tuple[str, int]],
) -> list[dict[str, Any]]:
    """The biggest ``clusters`` (``(canonical id, size)``, from :func:`cluster_size_rows`): size,
    identifiers per key type, and the identifiers with the most source links (``records``: distinct
    identifiers a value was linked with by the source records, i.e. its degree in the initial graph)
    — a junk key shows up first."""
    if not clusters:
        return []
    ids = ", ".join(sql_string(str(c)) for c, _ in clusters)
    # One pass over the lookup for the members: their key types' counts ride along with the values.
    rows = engine.query(
        f"""WITH members AS (
  SELECT canonical_id, id, id_key_type FROM {tables.lookup} WHERE canonical_id IN ({ids})
),
links AS ({_member_links_sql(tables.source_links(incremental=options.incremental), "members")}),
degree AS (
  SELECT m.canonical_id, m.id_key_type, m.id, COUNT(*) AS records
  FROM members m JOIN links k ON k.id = m.id AND k.ns = m.id_key_type
  GROUP BY m.canonical_id, m.id_key_type, m.id
)
SELECT 'value' AS part, canonical_id, id_key_type, id, records FROM (
  SELECT canonical_id, id_key_type, id, records,
    ROW_NUMBER() OVER (PARTITION BY canonical_id ORDER BY records DESC, id_key_type, id) AS rn
  FROM degree
) AS ranked WHERE rn <= {int(options.top_values)}
UNION ALL SELECT 'key_type', canonical_id, id_key_type, CAST(NULL AS STRING), COUNT(*)
FROM members GROUP BY canonical_id, id_key_type""",
        label="health: largest clusters' key types and top values",
    )
    key_rows = [(cid, ns, n) for part, cid, ns, _, n in rows if part == "key_type"]
    value_rows = [(cid, ns, value, n) for part, cid, ns, value, n in rows if part == "value"]
    key_types: dict[str, dict[str, int]] = defaultdict(dict)
    for cid, ns, n in sorted(key_rows, key=lambda r: (str(r[0]), int(r[1]))):
        key_types[str(cid)][key_name(names, ns)] = int(n)
    values: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cid, ns, value, records in sorted(
        value_rows, key=lambda r: (str(r[0]), -int(r[3]), int(r[1]), str(r[2]))
    ):
        values[str(cid)].append(
            {"key_type": key_name(names, ns), "value": str(value), "records": int(records)}
        )
    return [
        {
            "canonical_id": str(cid),
            "size": int(size),
            "key_types": key_types[str(cid)],
            "top_values": values[str(cid)],
        }
        for cid, size in clusters
    ]


def identifiers_per_key_type(
    engine: Engine, tables: HealthTables, names: Mapping[int, str]
) -> dict[str, int]:
    rows = engine.query(
        f"SELECT id_key_type, COUNT(*) FROM {tables.lookup} GROUP BY id_key_type ORDER BY id_key_type",
        label="health: identifiers per key type",
    )
    return {key_name(names, ns): int(n) for ns, n in rows}


def shared_values(
    engine: Engine, tables: HealthTables, names: Mapping[int, str], options: ClusterOptions
) -> list[dict[str, Any]]:
    """Identifier values that follow more than ``shared_min_leaders`` distinct leaders in the initial
    graph: before unification, that many records' leading identifiers share this value."""
    links = tables.source_links(incremental=options.incremental)
    least = int(options.shared_min_leaders)
    # an identifier with more than `least` distinct leaders has more than `least` links: that cheap
    # count picks the few candidates, and only their links are de-duplicated
    rows = engine.query(
        f"""WITH candidates AS (
  SELECT follower_ns, follower_id FROM {links}
  WHERE follower_id <> leader_id OR follower_ns <> leader_ns
  GROUP BY follower_ns, follower_id
  HAVING COUNT(*) > {least}
)
SELECT follower_ns, follower_id, COUNT(*) AS leaders FROM (
  SELECT DISTINCT g.follower_ns, g.follower_id, g.leader_ns, g.leader_id FROM {links} g
  JOIN candidates c ON c.follower_ns = g.follower_ns AND c.follower_id = g.follower_id
  WHERE g.follower_id <> g.leader_id OR g.follower_ns <> g.leader_ns
) AS pairs
GROUP BY follower_ns, follower_id
HAVING COUNT(*) > {least}
ORDER BY leaders DESC, follower_ns, follower_id
LIMIT {int(options.shared_limit)}""",
        label="health: shared values",
    )
    return [{"key_type": key_name(names, ns), "value": str(v), "leaders": int(n)} for ns, v, n in rows]


def measure_clusters(
    engine: Engine, tables: HealthTables, options: ClusterOptions | None = None
) -> dict[str, Any]:
    """The cluster part of the health data (contract keys ``cluster_sizes`` … ``shared_values``)."""
    options = options or ClusterOptions()
    names = key_type_names(engine, tables)
    histogram, largest = cluster_size_rows(engine, tables.lookup, options.largest)
    return {
        "cluster_sizes": cluster_sizes(histogram),
        "largest_clusters": largest_clusters(engine, tables, names, options, largest),
        "identifiers_per_key_type": identifiers_per_key_type(engine, tables, names),
        "shared_values": shared_values(engine, tables, names, options),
    }


def top_value_text(cluster: Mapping[str, Any], limit: int = 3) -> str:
    values: Sequence[Mapping[str, Any]] = cluster.get("top_values") or []
    return ", ".join(f"{v['key_type']} {v['value']!r} ({v['records']} links)" for v in values[:limit])
