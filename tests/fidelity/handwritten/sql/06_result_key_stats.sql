USE CATALOG hand_cat;
USE SCHEMA hand_unified;

CREATE OR REPLACE TABLE hand_cat.hand_unified.person_id_result_key_stats AS
WITH sizes AS (
  SELECT leader_id, leader_ns, COUNT(*) AS ids FROM hand_cat.hand_unified.person_id_graph GROUP BY leader_id, leader_ns
)
SELECT ids AS cluster_size, COUNT(*) AS clusters, SUM(ids) AS identifiers,
       RANK() OVER (ORDER BY COUNT(*) DESC, ids) AS popularity
FROM sizes
GROUP BY ids;
