USE CATALOG hand_cat;
USE SCHEMA hand_unified;

CREATE OR REPLACE TABLE hand_cat.hand_unified.enriched_customer_profiles_tmp AS
WITH best_key AS (
  SELECT p.*,
    CASE WHEN email_std RLIKE '.*@.*' AND email_std NOT IN ('', 'N/A', 'null') THEN email_std
         WHEN customer_id NOT IN ('', 'N/A', 'null', '0') THEN customer_id
         WHEN phone_number RLIKE '^[0-9]{10,}$' THEN phone_number END AS best_id,
    CASE WHEN email_std RLIKE '.*@.*' AND email_std NOT IN ('', 'N/A', 'null') THEN 1L
         WHEN customer_id NOT IN ('', 'N/A', 'null', '0') THEN 2L
         WHEN phone_number RLIKE '^[0-9]{10,}$' THEN 3L END AS best_ns
  FROM hand_cat.customer_db.customer_profiles p
)
SELECT b.email_std, b.customer_id, b.phone_number, b.first_name, b.time, l.canonical_id AS person_id
FROM best_key b
LEFT JOIN hand_cat.hand_unified.person_id_lookup l ON l.id = b.best_id AND l.id_key_type = b.best_ns;

DROP TABLE IF EXISTS hand_cat.hand_unified.enriched_customer_profiles;
ALTER TABLE hand_cat.hand_unified.enriched_customer_profiles_tmp RENAME TO hand_cat.hand_unified.enriched_customer_profiles;
