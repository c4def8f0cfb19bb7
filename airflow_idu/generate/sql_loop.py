"""Files 04_unify_loop_iteration_NN: an incremental connected-components loop.

Each loop table holds one *label row* per identifier, "follower follows leader",
where the leader is the smallest identifier (by (ns, id)) the follower has heard
of in its component so far, plus a *marker row* per identifier whose label the
iteration's last round changed: ``(follower = new leader, leader = the identifier)``,
the only kind of row whose leader sorts after its follower.

The rounds run on integers, in work tables of the target schema that every run
rewrites (``<p>_unify_work_*``; they are not part of any output):

- ``<p>_unify_work_nodes``: every identifier once, numbered by ROW_NUMBER in
  (ns, id) order, so comparing numbers is comparing identifiers; with its
  attributes aggregated over its rows of ``_loop_0``;
- ``<p>_unify_work_edges``: the graph's links as number pairs, both directions;
- ``<p>_unify_work_labels_even``: the *base*, every identifier's label and whether
  it changed, as iteration 1's round 2 left them or as ``_loop_{K-1}`` gives them;
  ``_labels_odd`` holds iteration 1's round 1 for round 2;
- ``<p>_unify_work_changes_even`` / ``_odd``: the *overlay*, only the identifiers
  whose label an incremental round of this iteration lowered, with the label and
  whether the last round lowered it (rounds write the two in turn). An identifier's
  label is the overlay's where it has a row, else the base's.

Iteration 1 builds nodes, edges and the base from ``_loop_0``; iteration K >= 2
reads its base (labels and markers) from ``_loop_{K-1}``. An incremental round
writes the overlay only, never the base: a round with little to do costs little
(lookups of the few touched identifiers), not a rewrite of every label. Each round is one statement, so no engine has
to inline one round's CTEs into the next (Spark's analyzer runs out of heap on
chained rounds).

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

Only what changes is recomputed. A round after round r computes m only on the
*touched* identifiers: the ones r changed (C), their neighbours and their
leaders; it delivers H through those identifiers' leaders and followers.
Anywhere else every term of R is either unchanged since round r (and so no
smaller than the label r gave) or dominated by the m of a touched leader, so R
there equals the current label: finished components drop out of the work.

Iteration 1 runs round 1 = R(identity) (each identifier's smallest neighbour),
round 2 in full, then incremental rounds; later iterations run incremental
rounds from the previous table's markers. The contract's stop rule stays exact:
after round 1 every label is at most its smallest neighbour, so a label lowered
later is no neighbour of its follower and its pair cannot be in loop 0 - the
EXCEPT count of loop 1 against loop 0 is 0 only if round 2 changed nothing, i.e.
round 1 was already the fixed point. From iteration 2 on, the new label row of
a changed identifier is never in K-1, and without changes K is K-1 minus its
markers: the count is 0 exactly when no label changed, i.e. at the fixed point.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_idu.generate.config import UnifyConfig
from airflow_idu.generate.sqltext import GRAPH_COLUMNS, Target, header, table_names

__all__ = ["ROUNDS_PER_ITERATION", "loop_iteration"]

# Rounds per iteration. A round that has nothing left to do writes nothing and probes
# the base with an empty set (about 0.01 s per million identifiers here); an iteration
# costs a full rewrite of the loop table plus the convergence count. Eight rounds finish
# components of a few hundred identifiers in the first iteration and chains of
# thousands in the second (docs/benchmarks.md, section 8).
ROUNDS_PER_ITERATION = 8

_COLUMNS = ",\n  ".join(GRAPH_COLUMNS)
_NO_ATTRIBUTES = (
    "CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS ARRAY<BIGINT>), CAST(NULL AS BIGINT)"
)


def _ctas(table: str, body: str, why: str) -> str:
    return f"\n-- {why}\nCREATE OR REPLACE TABLE {table} USING DELTA AS\n{body};\n"


def _nodes(graph0: str, table: str) -> str:
    return _ctas(
        table,
        f"""SELECT ROW_NUMBER() OVER (ORDER BY node_ns, node_id) AS node, node_id, node_ns,
  -- an identifier's attributes are its totals over its rows of the graph as a follower
  -- (NULL for one that is only ever a leader)
  MIN(first_seen_at) AS first_seen_at,
  MAX(last_seen_at) AS last_seen_at,
  CASE WHEN MAX(is_follower) = 1
    THEN array_sort(array_distinct(flatten(collect_list(source_table_ids)))) END AS source_table_ids,
  MAX(last_processed_at) AS last_processed_at
FROM (
  SELECT follower_id AS node_id, follower_ns AS node_ns, 1 AS is_follower,
    follower_first_seen_at AS first_seen_at, follower_last_seen_at AS last_seen_at,
    follower_source_table_ids AS source_table_ids, follower_last_processed_at AS last_processed_at
  FROM {graph0}
  UNION ALL
  SELECT leader_id, leader_ns, 0, {_NO_ATTRIBUTES}
  FROM {graph0}
) AS rows_of_identifiers
GROUP BY node_id, node_ns""",
        "every identifier once, numbered in (ns, id) order, with its attributes",
    )


def _edges(graph0: str, nodes: str, table: str) -> str:
    return _ctas(
        table,
        f"""WITH links AS (
  SELECT DISTINCT f.node AS a, l.node AS b FROM {graph0} g
  JOIN {nodes} f ON f.node_id = g.follower_id AND f.node_ns = g.follower_ns
  JOIN {nodes} l ON l.node_id = g.leader_id AND l.node_ns = g.leader_ns
  WHERE f.node <> l.node
)
SELECT a AS node, b AS nbr FROM links
UNION
SELECT b, a FROM links""",
        "the graph's links between numbered identifiers, seen from both ends",
    )


def _first_round(nodes: str, edges: str, table: str) -> str:
    return _ctas(
        table,
        f"""SELECT node, MIN(label) AS label, MIN(label) < node AS changed FROM (
  SELECT node, node AS label FROM {nodes}
  UNION ALL
  SELECT node, nbr FROM {edges}
) AS neighbourhood
GROUP BY node""",
        "round 1 from 'everyone leads itself': the smallest of an identifier and its neighbours",
    )


def _hooked(labels: str) -> str:
    return f"""hooked AS (
  -- H: a leader hooks onto the smallest label around itself and around each of its followers
  SELECT node, MIN(m) AS h FROM (
    SELECT node, m FROM smallest
    UNION ALL
    SELECT l.label, s.m FROM smallest s JOIN {labels} l ON l.node = s.node
  ) AS hooks
  GROUP BY node
)"""


def _full_round(edges: str, labels: str, table: str, n: int) -> str:
    return _ctas(
        table,
        f"""WITH smallest AS (
  -- m: the smallest label among an identifier and its neighbours (everywhere)
  SELECT node, MIN(label) AS m FROM (
    SELECT node, label FROM {labels}
    UNION ALL
    SELECT e.node, l.label FROM {edges} e JOIN {labels} l ON l.node = e.nbr
  ) AS around
  GROUP BY node
),
{_hooked(labels)}
SELECT l.node, CASE WHEN h2.h < h1.h THEN h2.h ELSE h1.h END AS label,
  h1.h < l.label OR h2.h < l.label AS changed
FROM {labels} l
JOIN hooked h1 ON h1.node = l.node
JOIN hooked h2 ON h2.node = l.label""",
        f"round {n} everywhere: R = the smaller of H at the identifier and at its leader",
    )


@dataclass(frozen=True)
class _Labels:
    """Where a round finds the labels: the base (every identifier, written by the last full round
    or read from the previous loop table) overridden by the overlay, which holds only the
    identifiers the rounds since the base changed. Without an overlay, the base alone."""

    base: str
    overlay: str | None

    def of(self, key: str, alias: str, indent: str) -> tuple[str, str]:
        """The joins that find the label of ``key`` (as ``alias``), and the label's expression."""
        joins = f"JOIN {self.base} {alias} ON {alias}.node = {key}"
        if self.overlay is None:
            return joins, f"{alias}.label"
        over = f"{alias}o"
        joins += f"\n{indent}LEFT JOIN {self.overlay} {over} ON {over}.node = {key}"
        return joins, f"COALESCE({over}.label, {alias}.label)"

    def frontier(self) -> str:
        """The identifiers the round before changed, with their new labels."""
        return f"SELECT node, label FROM {self.overlay or self.base} WHERE changed"

    def followers(self) -> str:
        """Every identifier whose label is a hooked identifier, with that identifier's H."""
        base_rows = f"SELECT b.node, h.h FROM {self.base} b JOIN hooked h ON h.node = b.label"
        if self.overlay is None:
            return base_rows
        return (
            f"SELECT o.node, h.h FROM {self.overlay} o JOIN hooked h ON h.node = o.label\n"
            f"    UNION ALL\n    -- the base's rows the overlay does not override\n"
            f"    {base_rows}\n    LEFT JOIN {self.overlay} o ON o.node = b.node WHERE o.node IS NULL"
        )

    def next_overlay(self) -> str:
        """The overlay after the round: the changes so far, the round's own marked as changed."""
        if self.overlay is None:
            return "SELECT node, label, TRUE AS changed FROM moved"
        return (
            "SELECT COALESCE(m.node, o.node) AS node, COALESCE(m.label, o.label) AS label,\n"
            "  m.node IS NOT NULL AS changed\n"
            f"FROM {self.overlay} o FULL OUTER JOIN moved m ON m.node = o.node"
        )


def _incremental_round(edges: str, labels: _Labels, table: str, n: int) -> str:
    own_joins, own_label = labels.of("t.node", "b", "  ")
    nbr_joins, nbr_label = labels.of("e.nbr", "b", "    ")
    moved_joins, moved_label = labels.of("c.node", "b", "  ")
    return _ctas(
        table,
        f"""WITH changed AS (
  {labels.frontier()}
),
touched AS (
  -- the identifiers the last round changed, their neighbours and their leaders: R needs m
  -- only here, the terms of R anywhere else did not change and cannot lower a label
  SELECT node FROM changed
  UNION
  SELECT e.nbr FROM changed c JOIN {edges} e ON e.node = c.node
  UNION
  SELECT label FROM changed
),
current AS (
  -- the touched identifiers' labels
  SELECT t.node, {own_label} AS label FROM touched t
  {own_joins}
),
smallest AS (
  -- m on the touched identifiers
  SELECT node, MIN(label) AS m FROM (
    SELECT node, label FROM current
    UNION ALL
    SELECT t.node, {nbr_label} FROM touched t
    JOIN {edges} e ON e.node = t.node
    {nbr_joins}
  ) AS around
  GROUP BY node
),
{_hooked("current")},
moved AS (
  -- R where it lowers a label: H at the identifier, or H at its leader
  SELECT c.node, MIN(c.label) AS label FROM (
    SELECT node, h AS label FROM hooked
    UNION ALL
    {labels.followers()}
  ) AS c
  {moved_joins}
  WHERE c.label < {moved_label}
  GROUP BY c.node
)
{labels.next_overlay()}""",
        f"round {n}, only around what the last round changed: writes only the labels that changed",
    )


def _read_previous(prev: str, nodes: str, table: str) -> str:
    return _ctas(
        table,
        f"""WITH numbered AS (
  SELECT f.node AS follower, l.node AS leader FROM {prev} p
  JOIN {nodes} f ON f.node_id = p.follower_id AND f.node_ns = p.follower_ns
  JOIN {nodes} l ON l.node_id = p.leader_id AND l.node_ns = p.leader_ns
)
-- a label row (leader <= follower) gives the label; a marker row (leader > follower)
-- says its leader's label changed in the previous iteration's last round
SELECT CASE WHEN leader > follower THEN leader ELSE follower END AS node,
  MIN(CASE WHEN leader <= follower THEN leader END) AS label,
  COUNT(CASE WHEN leader > follower THEN 1 END) > 0 AS changed
FROM numbered
GROUP BY CASE WHEN leader > follower THEN leader ELSE follower END""",
        "the previous iteration's labels and markers, numbered",
    )


def _write_loop_table(cur: str, nodes: str, base: str, overlay: str) -> str:
    return f"""
CREATE OR REPLACE TABLE {cur} (
  {_COLUMNS}
) USING DELTA;

INSERT INTO {cur}
SELECT f.node_id, f.node_ns, l.node_id, l.node_ns,
  f.first_seen_at, f.last_seen_at, f.source_table_ids, f.last_processed_at
FROM {base} x
LEFT JOIN {overlay} o ON o.node = x.node
JOIN {nodes} f ON f.node = x.node
JOIN {nodes} l ON l.node = COALESCE(o.label, x.label)
UNION ALL
-- marker rows: identifiers whose label the last round changed (leader sorts after follower)
SELECT l.node_id, l.node_ns, f.node_id, f.node_ns, {_NO_ATTRIBUTES}
FROM {overlay} o
JOIN {nodes} f ON f.node = o.node
JOIN {nodes} l ON l.node = o.label
WHERE o.changed;
"""


def loop_iteration(config: UnifyConfig, target: Target, k: int) -> str:
    """Iteration k's file: loop_{k-1} (and loop_0) -> loop_k.

    Iterations k >= 2 name only loop_{k-1}, loop_k and loop_0, so the runner derives
    later iterations by renumbering k-1 and k and keeping loop_0."""
    names = table_names(config)
    graph0 = target.table(names.loop(0))
    cur = target.table(names.loop(k))
    nodes, edges = (target.table(names.work(name)) for name in ("nodes", "edges"))

    base = target.table(names.work("labels_even"))

    def changes(r: int) -> str:
        # a round reads the overlay the round before wrote: two tables, used in turn, are enough
        return target.table(names.work("changes_even" if r % 2 == 0 else "changes_odd"))

    last = ROUNDS_PER_ITERATION
    if k == 1:
        purpose = "Unify loop iteration 1: number the graph, then smallest-label rounds (see sql_loop.py)."
        round_one = target.table(names.work("labels_odd"))
        parts = [
            _nodes(graph0, nodes),
            _edges(graph0, nodes, edges),
            _first_round(nodes, edges, round_one),
            _full_round(edges, round_one, base, 2),
        ]
        first = 3
    else:
        prev = target.table(names.loop(k - 1))
        purpose = (
            "Unify loop iteration: labels recomputed only around the ones that changed (see sql_loop.py)."
        )
        parts = [_read_previous(prev, nodes, base)]
        first = 1
    parts += [
        _incremental_round(edges, _Labels(base, changes(r - 1) if r > first else None), changes(r), r)
        for r in range(first, last + 1)
    ]
    return (
        header(target, config, purpose) + "".join(parts) + _write_loop_table(cur, nodes, base, changes(last))
    )
