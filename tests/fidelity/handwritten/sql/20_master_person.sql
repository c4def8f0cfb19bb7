USE CATALOG hand_cat;
USE SCHEMA hand_unified;

-- One row per person: the latest profile wins (a window with QUALIFY).
CREATE OR REPLACE TABLE hand_cat.hand_unified.person_master_tmp AS
SELECT person_id, email_std AS primary_email, first_name, time AS profile_time,
       COUNT(*) OVER (PARTITION BY person_id) AS profiles
FROM hand_cat.hand_unified.enriched_customer_profiles
WHERE person_id IS NOT NULL
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY person_id ORDER BY time DESC, email_std, customer_id, phone_number, first_name
) = 1;

DROP TABLE IF EXISTS hand_cat.hand_unified.person_master;
ALTER TABLE hand_cat.hand_unified.person_master_tmp RENAME TO hand_cat.hand_unified.person_master;
