"""The full-rewrite loop: every iteration rewrites the whole graph (``LoopAlgorithm.FULL``).

Written by ``airflow-idu generate --loop full`` (`render_sql_files(..., loop=LoopAlgorithm.FULL)`),
and kept so tests and bench/ can compare the incremental loop (sql_loop.py) with it; directories
get sql_loop.py by default.

Rows of the graph table say "follower belongs to leader". The loop reads them
as undirected links between identifiers (a row whose follower is its own leader
only says that the identifier exists), identifiers ordered by (ns, id), smaller
wins. One iteration is the contract's three steps, in the linear-space form of
the large-star / small-star algorithm (Kiveris et al., "Connected Components in
MapReduce and Beyond", 2014):

1. leader of leader (large-star): a link from a follower v to a leader u moves
   to u's smallest neighbour, i.e. v jumps to its leader's leader. This is the
   pointer jumping that halves chain lengths;
2. smallest leader wins (small-star): each follower keeps only its smallest
   leader, and every larger leader seen beside it is re-pointed to that one.
   This merges components that share a follower;
3. attributes: a follower's first/last seen, source tables and last processed
   are its totals over all its rows in the previous table, whatever its leader.

Neither step ever produces more links than it reads, so a table never grows
beyond (links of loop 0 + identifiers) rows - the simpler "re-point every
leader-of-leader candidate" formulation grows quadratically on long chains.
The fixed point (no row of K missing from K-1) is one star per connected
component, every identifier following the component's smallest one; a chain of
L links gets there within ceil(log2 L) + 3 iterations. tests/generate/test_loop.py
checks both on random graphs and chains.
"""

from __future__ import annotations

from airflow_idu.generate.config import UnifyConfig
from airflow_idu.generate.sqltext import GRAPH_COLUMNS, Target, header, table_names

__all__ = ["loop_iteration"]

_COLUMNS = ",\n  ".join(GRAPH_COLUMNS)


def _greater(a: str, b: str) -> str:
    """SQL for identifier a > identifier b in (ns, id) order."""
    return f"({a}_ns > {b}_ns OR ({a}_ns = {b}_ns AND {a}_id > {b}_id))"


def loop_iteration(config: UnifyConfig, target: Target, k: int) -> str:
    """Iteration k: loop_{k-1} -> loop_k. Only these two loop tables may appear in the text,
    because the runner derives later iterations by renumbering them."""
    names = table_names(config)
    prev = target.table(names.loop(k - 1))
    cur = target.table(names.loop(k))
    purpose = "Unify loop iteration: leader-of-leader jumps, then the smallest leader wins."
    return (
        header(target, config, purpose)
        + f"""
CREATE OR REPLACE TABLE {cur} (
  {_COLUMNS}
) USING DELTA;

INSERT INTO {cur}
WITH links AS (
  -- every row is an undirected link between two identifiers, seen from both ends
  SELECT follower_id AS node_id, follower_ns AS node_ns, leader_id AS nbr_id, leader_ns AS nbr_ns FROM {prev}
  WHERE follower_id <> leader_id OR follower_ns <> leader_ns
  UNION
  SELECT leader_id, leader_ns, follower_id, follower_ns FROM {prev}
  WHERE follower_id <> leader_id OR follower_ns <> leader_ns
),
nodes AS (
  SELECT DISTINCT follower_id AS node_id, follower_ns AS node_ns FROM {prev}
),
smallest_neighbour AS (
  -- the smallest of each identifier and its neighbours
  SELECT node_id, node_ns, nbr_id AS min_id, nbr_ns AS min_ns FROM (
    SELECT node_id, node_ns, nbr_id, nbr_ns,
      ROW_NUMBER() OVER (PARTITION BY node_id, node_ns ORDER BY nbr_ns, nbr_id) AS rn
    FROM (
      SELECT node_id, node_ns, nbr_id, nbr_ns FROM links
      UNION ALL
      SELECT node_id, node_ns, node_id, node_ns FROM nodes
    )
  ) WHERE rn = 1
),
jumped AS (
  -- (1) each larger neighbour v of u now follows u's smallest neighbour (leader of leader)
  SELECT DISTINCT l.nbr_id AS follower_id, l.nbr_ns AS follower_ns, m.min_id AS leader_id, m.min_ns AS leader_ns
  FROM links l
  JOIN smallest_neighbour m ON m.node_id = l.node_id AND m.node_ns = l.node_ns
  WHERE {_greater("l.nbr", "l.node")}
),
ranked AS (
  SELECT follower_id, follower_ns, leader_id, leader_ns,
    FIRST_VALUE(leader_id) OVER (PARTITION BY follower_id, follower_ns ORDER BY leader_ns, leader_id) AS min_id,
    FIRST_VALUE(leader_ns) OVER (PARTITION BY follower_id, follower_ns ORDER BY leader_ns, leader_id) AS min_ns
  FROM jumped
),
repointed AS (
  -- (2) the follower keeps its smallest leader; every larger leader beside it follows that one
  SELECT follower_id, follower_ns, min_id AS leader_id, min_ns AS leader_ns FROM ranked
  UNION
  SELECT leader_id, leader_ns, min_id, min_ns FROM ranked
  WHERE leader_id <> min_id OR leader_ns <> min_ns
),
graph AS (
  SELECT follower_id, follower_ns, leader_id, leader_ns FROM repointed
  UNION ALL
  -- identifiers following nobody lead themselves (component minimums, singletons)
  SELECT n.node_id, n.node_ns, n.node_id, n.node_ns FROM nodes n
  WHERE NOT EXISTS (
    SELECT 1 FROM repointed r WHERE r.follower_id = n.node_id AND r.follower_ns = n.node_ns
  )
),
follower_totals AS (
  -- (3) a follower's attributes are its totals over all its rows
  SELECT follower_id, follower_ns,
    MIN(follower_first_seen_at) AS follower_first_seen_at,
    MAX(follower_last_seen_at) AS follower_last_seen_at,
    array_sort(array_distinct(flatten(collect_list(follower_source_table_ids)))) AS follower_source_table_ids,
    MAX(follower_last_processed_at) AS follower_last_processed_at
  FROM {prev}
  GROUP BY follower_id, follower_ns
)
SELECT g.follower_id, g.follower_ns, g.leader_id, g.leader_ns,
  t.follower_first_seen_at, t.follower_last_seen_at, t.follower_source_table_ids, t.follower_last_processed_at
FROM graph g
LEFT JOIN follower_totals t ON t.follower_id = g.follower_id AND t.follower_ns = g.follower_ns;
"""
    )
