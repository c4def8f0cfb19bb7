USE CATALOG hand_cat;
USE SCHEMA hand_unified;

-- Iteration 1: leader-of-leader jumps, then each follower's smallest leader (a window)
-- wins and every larger leader beside it follows that one.
CREATE OR REPLACE TABLE hand_cat.hand_unified.person_id_graph_unify_loop_1 AS
WITH
prev AS (SELECT * FROM hand_cat.hand_unified.person_id_graph_unify_loop_0),
candidates AS (
  SELECT follower_id, follower_ns, leader_id, leader_ns FROM prev
  UNION
  SELECT p.follower_id, p.follower_ns, q.leader_id, q.leader_ns
  FROM prev p
  JOIN prev q ON q.follower_id = p.leader_id AND q.follower_ns = p.leader_ns
),
ranked AS (
  SELECT follower_id, follower_ns, leader_id, leader_ns,
    FIRST_VALUE(leader_id) OVER (PARTITION BY follower_id, follower_ns ORDER BY leader_ns, leader_id) AS min_id,
    FIRST_VALUE(leader_ns) OVER (PARTITION BY follower_id, follower_ns ORDER BY leader_ns, leader_id) AS min_ns
  FROM candidates
),
pairs AS (
  SELECT follower_id, follower_ns, min_id AS leader_id, min_ns AS leader_ns FROM ranked
  UNION
  SELECT leader_id, leader_ns, min_id, min_ns FROM ranked WHERE leader_id <> min_id OR leader_ns <> min_ns
),
totals AS (
  SELECT follower_id, follower_ns,
    MIN(follower_first_seen_at) AS follower_first_seen_at,
    MAX(follower_last_seen_at) AS follower_last_seen_at,
    array_sort(array_distinct(flatten(collect_list(follower_source_table_ids)))) AS follower_source_table_ids,
    MAX(follower_last_processed_at) AS follower_last_processed_at
  FROM prev
  GROUP BY follower_id, follower_ns
)
SELECT p.follower_id, p.follower_ns, p.leader_id, p.leader_ns,
       t.follower_first_seen_at, t.follower_last_seen_at, t.follower_source_table_ids, t.follower_last_processed_at
FROM pairs p
JOIN totals t ON t.follower_id = p.follower_id AND t.follower_ns = p.follower_ns;
