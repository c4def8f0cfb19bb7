USE CATALOG hand_cat;
USE SCHEMA hand_unified;

CREATE TABLE IF NOT EXISTS hand_cat.hand_unified.person_id_source_key_stats (
  key_ns BIGINT, identifiers BIGINT, links BIGINT, self_led BIGINT
) USING DELTA;

-- Key stats kept up to date with MERGE (a rerun updates the rows instead of adding more).
MERGE INTO hand_cat.hand_unified.person_id_source_key_stats AS t
USING (
  WITH per_key AS (
    SELECT follower_ns AS key_ns, follower_id, leader_id, leader_ns
    FROM hand_cat.hand_unified.person_id_graph_unify_loop_0
  )
  SELECT key_ns,
         COUNT(DISTINCT follower_id) AS identifiers,
         COUNT(*) AS links,
         count_if(follower_id = leader_id AND key_ns = leader_ns) AS self_led
  FROM per_key
  GROUP BY key_ns
) AS s
ON t.key_ns = s.key_ns
WHEN MATCHED THEN UPDATE SET identifiers = s.identifiers, links = s.links, self_led = s.self_led
WHEN NOT MATCHED THEN INSERT (key_ns, identifiers, links, self_led) VALUES (s.key_ns, s.identifiers, s.links, s.self_led);
