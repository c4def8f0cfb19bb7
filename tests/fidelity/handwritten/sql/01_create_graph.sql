-- Hand-written in another style than the generator: CTEs, CTAS, MERGE, windows.
USE CATALOG hand_cat;
USE SCHEMA hand_unified;

CREATE OR REPLACE TABLE hand_cat.hand_unified.person_id_graph_unify_loop_0 (
  follower_id STRING, follower_ns BIGINT, leader_id STRING, leader_ns BIGINT,
  follower_first_seen_at BIGINT, follower_last_seen_at BIGINT,
  follower_source_table_ids ARRAY<BIGINT>, follower_last_processed_at BIGINT
) USING DELTA;
