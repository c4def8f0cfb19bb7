USE CATALOG hand_cat;
USE SCHEMA hand_unified;

CREATE OR REPLACE TABLE hand_cat.hand_unified.person_id_unification_metadata AS
SELECT 'person_id' AS canonical_id_name, 'hand-written' AS style,
       (SELECT COUNT(DISTINCT canonical_id) FROM hand_cat.hand_unified.person_id_lookup) AS canonical_ids;
