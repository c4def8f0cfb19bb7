"""Files 04_unify_loop_iteration_NN: an incremental connected-components loop.

Each loop table holds one *label row* per identifier, "follower follows leader",
where the leader is the smallest identifier (by (ns, id)) the follower has heard
of in its component so far. The links of the graph never change, so every
iteration reads them from ``<p>_graph_unify_loop_0`` (the extracted graph) and
its labels from ``<p>_graph_unify_loop_{K-1}``.

One *round* maps labels L to R(L), per identifier v:

    m(v)    = the smallest of L(v) and the labels of v's neighbours
    H(v)    = the smallest of m(v) and m(x) for every x with L(x) = v
              (a leader hooks onto the best label around its followers)
    R(L)(v) = the smallest of H(v) and H(L(v))  (leader of leader: pointer jumping)

(the large-star / small-star idea of Kiveris et al., "Connected Components in
MapReduce and Beyond", 2014, on a label forest). Labels only ever decrease and
stay inside the component; a chain of L links gets there in about log2(L)
rounds. R(L) = L holds exactly when every identifier is labelled with its
component's smallest identifier: the star canonicalize expects.

Only what changes is recomputed. When a label changes, the iteration also writes
a *marker row* for it, ``(follower = new leader, leader = the identifier)``: the
only kind of row whose leader sorts after its follower, so a plain filter finds
them. A round after round r recomputes m only on the *touched* identifiers: the
ones r changed (C), their neighbours and their leaders; it delivers H through
those identifiers' leaders and followers. Anywhere else every term of R is
either unchanged since round r (and so no smaller than the label r gave) or
dominated by the m of a touched leader, so R there equals the current label:
those rows are carried over unchanged and finished components drop out of the
work. Tables never exceed two rows per identifier (label + marker).

Iteration 1 (from the raw graph) runs round 1 = R(identity) (each identifier's
smallest neighbour), round 2 in full, then incremental rounds; later iterations
run ROUNDS_PER_ITERATION incremental rounds each, marking the last round's
changes. The contract's stop rule stays exact: after round 1 every label is at
most its smallest neighbour, so a label lowered later is no neighbour of its
follower and its pair cannot be in loop 0 - the EXCEPT count of loop 1 against
loop 0 is 0 only if round 1 was already the fixed point. From iteration 2 on, the
new label row of a changed identifier is never in K-1, and without changes K is
K-1 minus its markers: the count is 0 exactly when no label changed, i.e. at the
fixed point, which then holds no marker rows.
"""

from __future__ import annotations

from airflow_idu.generate.config import UnifyConfig
from airflow_idu.generate.sqltext import GRAPH_COLUMNS, Target, header

__all__ = [
    "FIRST_ITERATION_INCREMENTAL_ROUNDS",
    "ROUNDS_PER_ITERATION",
    "first_iteration",
    "loop_iteration",
    "next_iteration",
]

# Rounds per statement. More rounds per iteration mean fewer tables and convergence
# checks, but each round references the previous round's CTEs about seven times, and
# Spark inlines CTEs: two chained incremental rounds already exhaust a 1 GB driver heap
# in Spark's analyzer (measured on tests/generate/sqlrun.demo_rows). DuckDB ran 2 rounds
# per iteration fine, at about the same CPU time as 1 (bench/speed.py history in
# docs/benchmarks.md), so 1 keeps the directory portable.
ROUNDS_PER_ITERATION = 1
FIRST_ITERATION_INCREMENTAL_ROUNDS = 0  # after its two full rounds

_COLUMNS = ",\n  ".join(GRAPH_COLUMNS)
_NO_ATTRIBUTES = (
    "CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS ARRAY<BIGINT>), CAST(NULL AS BIGINT)"
)


def _greater(a: str, b: str) -> str:
    """SQL for identifier a > identifier b in (ns, id) order."""
    return f"({a}_ns > {b}_ns OR ({a}_ns = {b}_ns AND {a}_id > {b}_id))"


def _lab_greater(a: str, b: str) -> str:
    """SQL for label struct a > label struct b in (ns, id) order."""
    return f"({a}.ns > {b}.ns OR ({a}.ns = {b}.ns AND {a}.id > {b}.id))"


def _label(ns: str, id_: str) -> str:
    """An identifier as a struct whose natural order is the (ns, id) order."""
    return f"named_struct('ns', {ns}, 'id', {id_})"


def _links(graph0: str) -> str:
    return f"""links AS (
  -- the extracted graph's rows as undirected links, seen from both ends (duplicates are harmless)
  SELECT follower_id AS node_id, follower_ns AS node_ns, leader_id AS nbr_id, leader_ns AS nbr_ns
  FROM {graph0} WHERE follower_id <> leader_id OR follower_ns <> leader_ns
  UNION ALL
  SELECT leader_id, leader_ns, follower_id, follower_ns
  FROM {graph0} WHERE follower_id <> leader_id OR follower_ns <> leader_ns
)"""


def _neighbours(graph0: str, nodes: str) -> str:
    """(node, nbr) for the identifiers of CTE ``nodes``: the graph probed from both ends,
    so only the links of those identifiers are ever built (a self-link only repeats the node)."""
    return (
        f"SELECT s.node_id, s.node_ns, g.leader_id AS nbr_id, g.leader_ns AS nbr_ns FROM {nodes} s\n"
        f"    JOIN {graph0} g ON g.follower_id = s.node_id AND g.follower_ns = s.node_ns\n"
        f"    UNION ALL\n"
        f"    SELECT s.node_id, s.node_ns, g.follower_id, g.follower_ns FROM {nodes} s\n"
        f"    JOIN {graph0} g ON g.leader_id = s.node_id AND g.leader_ns = s.node_ns"
    )


def _hook_and_move(labels: str, n: int) -> str:
    """From ``smallest_n`` (m): ``hooked_n`` (H) and ``moved_n``, the identifiers whose label
    R lowers, with their new label."""
    return f"""hooked_{n} AS (
  -- H: a leader hooks onto the smallest label around itself and around each of its followers
  SELECT node_id, node_ns, MIN(m) AS h FROM (
    SELECT node_id, node_ns, m FROM smallest_{n}
    UNION ALL
    SELECT l.lab.id, l.lab.ns, s.m FROM smallest_{n} s
    JOIN {labels} l ON l.node_id = s.node_id AND l.node_ns = s.node_ns
  ) AS hooks
  GROUP BY node_id, node_ns
),
moved_{n} AS (
  -- R: the smaller of H at the identifier and H at its leader (pointer jumping), where lower
  SELECT c.node_id, c.node_ns, MIN(c.lab) AS lab FROM (
    SELECT node_id, node_ns, h AS lab FROM hooked_{n}
    UNION ALL
    SELECT l.node_id, l.node_ns, h.h FROM {labels} l
    JOIN hooked_{n} h ON h.node_id = l.lab.id AND h.node_ns = l.lab.ns
  ) AS c
  JOIN {labels} l ON l.node_id = c.node_id AND l.node_ns = c.node_ns
  WHERE {_lab_greater("l.lab", "c.lab")}
  GROUP BY c.node_id, c.node_ns
)"""


def _full_round(labels: str, n: int) -> str:
    """Round n everywhere (reads CTE ``links``)."""
    return f"""smallest_{n} AS (
  -- round {n}, m: the smallest label among an identifier and its neighbours (everywhere)
  SELECT node_id, node_ns, MIN(lab) AS m FROM (
    SELECT node_id, node_ns, lab FROM {labels}
    UNION ALL
    SELECT k.node_id, k.node_ns, l.lab FROM links k
    JOIN {labels} l ON l.node_id = k.nbr_id AND l.node_ns = k.nbr_ns
  ) AS around
  GROUP BY node_id, node_ns
),
{_hook_and_move(labels, n)}"""


def _incremental_round(graph0: str, labels: str, changed: str, n: int) -> str:
    """Round n only around ``changed`` (the identifiers the previous round moved)."""
    return f"""touched_{n} AS (
  -- round {n}: changed identifiers, their neighbours and their leaders; R needs m only
  -- here, the terms of R anywhere else did not change and cannot lower a label
  SELECT node_id, node_ns FROM {changed}
  UNION
  SELECT nb.nbr_id, nb.nbr_ns FROM ({_neighbours(graph0, changed)}) AS nb
  UNION
  SELECT l.lab.id, l.lab.ns FROM {changed} c JOIN {labels} l ON l.node_id = c.node_id AND l.node_ns = c.node_ns
),
smallest_{n} AS (
  -- m on the touched identifiers
  SELECT node_id, node_ns, MIN(lab) AS m FROM (
    SELECT t.node_id, t.node_ns, l.lab FROM touched_{n} t
    JOIN {labels} l ON l.node_id = t.node_id AND l.node_ns = t.node_ns
    UNION ALL
    SELECT nb.node_id, nb.node_ns, l.lab FROM ({_neighbours(graph0, f"touched_{n}")}) AS nb
    JOIN {labels} l ON l.node_id = nb.nbr_id AND l.node_ns = nb.nbr_ns
  ) AS around
  GROUP BY node_id, node_ns
),
{_hook_and_move(labels, n)}"""


def _apply(labels: str, n: int) -> str:
    """CTE ``labels_n``: ``labels`` after round n."""
    return f"""labels_{n} AS (
  SELECT l.node_id, l.node_ns, CASE WHEN l.lab IS NOT NULL THEN COALESCE(m.lab, l.lab) END AS lab
  FROM {labels} l
  LEFT JOIN moved_{n} m ON m.node_id = l.node_id AND m.node_ns = l.node_ns
)"""


def _rounds(graph0: str, labels: str, changed: str, first: int, count: int) -> tuple[str, str]:
    """CTEs for incremental rounds first..first+count-1; returns (text, CTE of the final labels)."""
    parts = []
    for n in range(first, first + count):
        parts.append(_incremental_round(graph0, labels, changed, n))
        if n < first + count - 1:
            parts.append(_apply(labels, n))
            labels, changed = f"labels_{n}", f"moved_{n}"
    return ",\n".join(parts), labels


def _create(cur: str) -> str:
    return f"\nCREATE OR REPLACE TABLE {cur} (\n  {_COLUMNS}\n) USING DELTA;\n"


def _markers(moved: str) -> str:
    return f"""-- marker rows: identifiers whose label the last round changed (leader sorts after follower)
SELECT m.lab.id, m.lab.ns, m.node_id, m.node_ns, {_NO_ATTRIBUTES}
FROM {moved} m"""


def first_iteration(config: UnifyConfig, target: Target) -> str:
    """Iteration 1: loop_0 (the extracted graph) -> loop_1: two full rounds, then incremental ones."""
    p = config.canonical_id.name
    graph0 = target.table(f"{p}_graph_unify_loop_0")
    cur = target.table(f"{p}_graph_unify_loop_1")
    last = 2 + FIRST_ITERATION_INCREMENTAL_ROUNDS
    ctes = [_full_round("labels_1", 2)]
    final = "labels_1"
    if FIRST_ITERATION_INCREMENTAL_ROUNDS:
        rounds, final = _rounds(graph0, "labels_2", "moved_2", 3, FIRST_ITERATION_INCREMENTAL_ROUNDS)
        ctes += [_apply("labels_1", 2), rounds]
    rounds = ",\n".join(ctes)
    purpose = "Unify loop iteration 1: smallest-label rounds from the graph (see sql_loop.py)."
    return (
        header(target, config, purpose)
        + _create(cur)
        + f"""
INSERT INTO {cur}
WITH {_links(graph0)},
totals AS (
  -- an identifier's attributes are its totals over all its rows of the graph
  SELECT follower_id AS node_id, follower_ns AS node_ns,
    MIN(follower_first_seen_at) AS first_seen_at,
    MAX(follower_last_seen_at) AS last_seen_at,
    array_sort(array_distinct(flatten(collect_list(follower_source_table_ids)))) AS source_table_ids,
    MAX(follower_last_processed_at) AS last_processed_at
  FROM {graph0}
  GROUP BY follower_id, follower_ns
),
labels_1 AS (
  -- round 1 from "everyone leads itself": the smallest of an identifier and its neighbours
  SELECT node_id, node_ns, MIN(lab) AS lab FROM (
    SELECT node_id, node_ns, {_label("nbr_ns", "nbr_id")} AS lab FROM links
    UNION ALL
    SELECT node_id, node_ns, {_label("node_ns", "node_id")} FROM totals
  ) AS neighbourhood
  GROUP BY node_id, node_ns
),
{rounds}
SELECT l.node_id, l.node_ns,
  COALESCE(m.lab.id, l.lab.id) AS leader_id, COALESCE(m.lab.ns, l.lab.ns) AS leader_ns,
  t.first_seen_at, t.last_seen_at, t.source_table_ids, t.last_processed_at
FROM {final} l
LEFT JOIN moved_{last} m ON m.node_id = l.node_id AND m.node_ns = l.node_ns
LEFT JOIN totals t ON t.node_id = l.node_id AND t.node_ns = l.node_ns
UNION ALL
{_markers(f"moved_{last}")};
"""
    )


def next_iteration(config: UnifyConfig, target: Target, k: int) -> str:
    """Iteration k >= 2: loop_{k-1} (labels, markers) and loop_0 (links) -> loop_k.

    Only loop_{k-1}, loop_k and loop_0 appear in the text: the runner derives later
    iterations by renumbering k-1 and k and keeping loop_0."""
    if k < 2:
        raise ValueError(f"next_iteration is for iterations >= 2, got {k}; use first_iteration")
    p = config.canonical_id.name
    graph0 = target.table(f"{p}_graph_unify_loop_0")
    prev = target.table(f"{p}_graph_unify_loop_{k - 1}")
    cur = target.table(f"{p}_graph_unify_loop_{k}")
    marker = _greater("leader", "follower")
    n = ROUNDS_PER_ITERATION
    rounds, _ = _rounds(graph0, "labels", "changed", 1, n)
    leader = ", ".join(f"m{i}.lab.{{0}}" for i in range(n, 0, -1))
    joins = "\n".join(
        f"LEFT JOIN moved_{i} m{i} ON m{i}.node_id = p.follower_id AND m{i}.node_ns = p.follower_ns"
        for i in range(1, n + 1)
    )
    purpose = "Unify loop iteration: labels recomputed only around the ones that changed (see sql_loop.py)."
    return (
        header(target, config, purpose)
        + _create(cur)
        + f"""
INSERT INTO {cur}
WITH labels AS (
  -- every identifier's current label (its leader). Marker rows get a NULL label, which no
  -- join key matches and MIN ignores; not filtering them keeps this the largest input in the
  -- planner's estimates, so joins build their hash tables on the small change sets.
  SELECT follower_id AS node_id, follower_ns AS node_ns,
    CASE WHEN NOT {marker} THEN {_label("leader_ns", "leader_id")} END AS lab
  FROM {prev}
),
changed AS (
  -- identifiers whose label the previous iteration's last round changed (marker rows)
  SELECT leader_id AS node_id, leader_ns AS node_ns FROM {prev} WHERE {marker}
),
{rounds}
SELECT p.follower_id, p.follower_ns,
  COALESCE({leader.format("id")}, p.leader_id) AS leader_id,
  COALESCE({leader.format("ns")}, p.leader_ns) AS leader_ns,
  p.follower_first_seen_at, p.follower_last_seen_at, p.follower_source_table_ids, p.follower_last_processed_at
FROM {prev} p
{joins}
WHERE NOT {_greater("p.leader", "p.follower")}
UNION ALL
{_markers(f"moved_{n}")};
"""
    )


def loop_iteration(config: UnifyConfig, target: Target, k: int) -> str:
    """Iteration k's file: loop_{k-1} -> loop_k."""
    return first_iteration(config, target) if k == 1 else next_iteration(config, target, k)
