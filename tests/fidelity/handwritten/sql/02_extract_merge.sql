USE CATALOG hand_cat;
USE SCHEMA hand_unified;

/* Every valid identifier of a record follows the record's first valid one
   (key_columns order), chosen with a window over the record's keys. */
INSERT INTO hand_cat.hand_unified.person_id_graph_unify_loop_0
WITH
profiles AS (
  SELECT 1L AS src, ROW_NUMBER() OVER (ORDER BY email_std, customer_id, phone_number, first_name, time) AS rec,
         email_std, customer_id, phone_number, time
  FROM hand_cat.customer_db.customer_profiles
),
sessions AS (
  SELECT 2L AS src, ROW_NUMBER() OVER (ORDER BY user_email, session_id, time) AS rec, user_email, time
  FROM hand_cat.customer_db.web_sessions
),
orders AS (
  SELECT 3L AS src, ROW_NUMBER() OVER (ORDER BY customer_id, phone, amount, time) AS rec, customer_id, phone, time
  FROM hand_cat.customer_db.orders
),
tickets AS (
  SELECT 4L AS src, ROW_NUMBER() OVER (ORDER BY contact_email, contact_phone, ticket_id, time) AS rec,
         contact_email, contact_phone, time
  FROM hand_cat.customer_db.support_tickets
),
`keys` AS (  -- (source, record, position in key_columns, key type, identifier)
  SELECT src, rec, time, 1 AS pos, 1L AS ns, email_std AS id FROM profiles
    WHERE email_std RLIKE '.*@.*' AND email_std NOT IN ('', 'N/A', 'null')
  UNION ALL
  SELECT src, rec, time, 2, 2L, customer_id FROM profiles WHERE customer_id NOT IN ('', 'N/A', 'null', '0')
  UNION ALL
  SELECT src, rec, time, 3, 3L, phone_number FROM profiles WHERE phone_number RLIKE '^[0-9]{10,}$'
  UNION ALL
  SELECT src, rec, time, 1, 1L, user_email FROM sessions
    WHERE user_email RLIKE '.*@.*' AND user_email NOT IN ('', 'N/A', 'null')
  UNION ALL
  SELECT src, rec, time, 1, 2L, customer_id FROM orders WHERE customer_id NOT IN ('', 'N/A', 'null', '0')
  UNION ALL
  SELECT src, rec, time, 2, 3L, phone FROM orders WHERE phone RLIKE '^[0-9]{10,}$'
  UNION ALL
  SELECT src, rec, time, 1, 1L, contact_email FROM tickets
    WHERE contact_email RLIKE '.*@.*' AND contact_email NOT IN ('', 'N/A', 'null')
  UNION ALL
  SELECT src, rec, time, 2, 3L, contact_phone FROM tickets WHERE contact_phone RLIKE '^[0-9]{10,}$'
),
led AS (
  SELECT id, ns, src, time,
    FIRST_VALUE(id) OVER (PARTITION BY src, rec ORDER BY pos) AS leader_id,
    FIRST_VALUE(ns) OVER (PARTITION BY src, rec ORDER BY pos) AS leader_ns
  FROM `keys`
)
SELECT id, ns, leader_id, leader_ns, MIN(time), MAX(time), array_sort(collect_set(src)), MAX(time)
FROM led
GROUP BY id, ns, leader_id, leader_ns;
