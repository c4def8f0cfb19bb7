USE CATALOG hand_cat;
USE SCHEMA hand_unified;

CREATE OR REPLACE TABLE hand_cat.hand_unified.person_id_lookup AS
WITH
final AS (SELECT * FROM hand_cat.hand_unified.person_id_graph_unify_loop_final),
per_leader AS (
  SELECT leader_id, leader_ns,
    translate(base64(unhex(lpad(conv(CAST(CAST(conv(substr(sha2(leader_id, 256), 1, 16), 16, -10) AS BIGINT) ^ (CASE leader_ns WHEN 1 THEN CAST(1152284821983514137 AS BIGINT) WHEN 2 THEN CAST(7036911744090285288 AS BIGINT) WHEN 3 THEN CAST(-5993692504782228498 AS BIGINT) END) AS STRING), 10, 16), 16, '0') || (CASE leader_ns WHEN 1 THEN '0D' WHEN 2 THEN '90' WHEN 3 THEN '27' END))), '+/', '-_') AS canonical_id,
    MIN(follower_first_seen_at) AS canonical_id_first_seen_at,
    MAX(follower_last_seen_at) AS canonical_id_last_seen_at
  FROM final
  GROUP BY leader_id, leader_ns
)
SELECT l.canonical_id, f.follower_id AS id, f.follower_ns AS id_key_type,
       l.canonical_id_first_seen_at, l.canonical_id_last_seen_at,
       f.follower_first_seen_at AS id_first_seen_at, f.follower_last_seen_at AS id_last_seen_at,
       f.follower_source_table_ids AS id_source_table_ids, f.follower_last_processed_at AS id_last_processed_at
FROM final f
JOIN per_leader l ON l.leader_id = f.leader_id AND l.leader_ns = f.leader_ns;

DROP TABLE IF EXISTS hand_cat.hand_unified.person_id_graph;
ALTER TABLE hand_cat.hand_unified.person_id_graph_unify_loop_final RENAME TO hand_cat.hand_unified.person_id_graph;
