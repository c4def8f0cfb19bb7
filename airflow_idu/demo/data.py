"""Deterministic demo source data for the example ``customer_unification`` config.

Everything is generated *inside* DuckDB (``range()`` + ``hash()``), never with Python row
loops, so ``people=1_000_000`` (~12 million records) takes seconds and DuckDB can spill to
disk instead of holding everything in Python memory. ``hash()`` of the same arguments is
stable within a DuckDB version, which makes the output a pure function of (people, seed).

Planted identities (see ``examples/customer_unification/unify.yml``):

* a *normal* person (~93%) has 1-3 emails, 1-2 customer ids and 1-2 phones. A profile
  links email 1 + customer id 1 + phone 1; orders link customer ids to the *last* phone;
  tickets link emails 2..n to the last phone. So email 3 reaches customer id 1 only through
  ticket -> phone -> order: the links need the graph, no single table has them.
* a *singleton* (~5%) has exactly one identifier: an email seen only in web sessions, or a
  customer id seen only in orders whose phone column is always invalid.
* a *chain* person (~2%) has 13-40 identifiers linked only as a path (>= 12 hops) whose
  smallest identifier sits at one end, so the full-rewrite loop (``generate --loop full``) needs
  more than 3 iterations; the default, incremental loop settles them in two.

With ``junk_phone_share`` > 0, that share of the normal people also filed a support ticket with
:data:`JUNK_PHONE` (a store's phone, valid by the rules): one junk key that glues them all into
one giant cluster, for the identity-health gate to catch.

Extra records carry invalid values (NULL, '', 'N/A', 'null', '0' customer ids, emails
without '@', short or dashed phones) *next to valid identifiers of many different people*:
a unifier that forgets to filter them merges unrelated people through e.g. customer id '0'.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

TABLES: tuple[str, ...] = ("customer_profiles", "web_sessions", "orders", "support_tickets")

# Identifier formats embed the zero-padded person number, so identifiers never collide
# between people and every planted person is exactly one connected component.
_MAX_PEOPLE = 999_999_999
# Chain positions are padded to 7 digits so string order == position order (smallest at an end).
_MAX_CHAIN_LENGTH = 3 * 9_999_999
_EPOCH_2020 = 1_577_836_800
# Valid by the example's phone rule (10+ digits) and unlike any planted phone (those start with 1 or 2).
JUNK_PHONE = "5550000000"

# Invalid values per key type: each one is rejected by the example unify.yml's
# valid_regexp / invalid_texts. Several are shared by many people on purpose.
_BAD_EMAILS = "[NULL, '', 'N/A', 'null', 'no-email', 'unknown']"
_BAD_CUSTOMER_IDS = "[NULL, '', 'N/A', 'null', '0', '0']"
_BAD_PHONES = "[NULL, '', '12345', '555-0100', '000000000', 'N/A']"

_FIRST_NAMES = "['Ada','Bo','Chen','Dana','Eli','Fay','Gus','Hana','Ivan','Jo','Kai','Lea']"
_LAST_NAMES = "['Abe','Brown','Cruz','Diaz','Evans','Fox','Garcia','Hill','Ito','Jones','Khan']"
_PAGES = "['/','/products','/cart','/checkout','/account','/help','/search']"
_SUBJECTS = "['delivery late','refund','password reset','wrong item','billing','other']"


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`create_demo_data` wrote: row count per source table, people and seed."""

    people: int
    seed: int
    row_counts: dict[str, int]

    @property
    def total_records(self) -> int:
        return sum(self.row_counts.values())


def _macros(seed: int) -> str:
    """Temp macros shared by all generators; ``h`` is the only randomness source."""
    return f"""
    CREATE OR REPLACE TEMP MACRO h(p, slot, salt) AS hash({seed}, p, slot, salt);
    CREATE OR REPLACE TEMP MACRO rnd(p, slot, salt, n) AS (h(p, slot, salt) % n)::BIGINT;  -- 0..n-1
    CREATE OR REPLACE TEMP MACRO pick(p, slot, salt, n) AS 1 + rnd(p, slot, salt, n);  -- 1..n
    CREATE OR REPLACE TEMP MACRO pad(p) AS lpad(p::VARCHAR, 9, '0');
    CREATE OR REPLACE TEMP MACRO email(p, k) AS 'user' || pad(p) || '.' || k || '@example.com';
    CREATE OR REPLACE TEMP MACRO cid(p, k) AS 'C' || pad(p) || '-' || k;
    CREATE OR REPLACE TEMP MACRO phone(p, k) AS '1' || pad(p) || k;
    -- ~rate% of the rows get an invalid value in exactly one of ncols key columns (col).
    CREATE OR REPLACE TEMP MACRO spoil(v, p, slot, salt, col, ncols, rate, bad) AS
        CASE WHEN h(p, slot, salt) % 100 < rate AND (h(p, slot, salt) // 100) % ncols = col
             THEN bad[(1 + (h(p, slot, salt) // 1000) % len(bad))::INTEGER] ELSE v END;
    -- Times are unique per (person, table) through the low 6 bits, so "latest" is never a tie.
    CREATE OR REPLACE TEMP MACRO ts(p, slot, salt) AS
        ({_EPOCH_2020} + (h(p, slot, salt || 't') % 1000000) * 64 + slot % 64)::BIGINT;
    -- Chain identifiers: position pos of chain p; pos % 3 picks email / phone / customer id.
    CREATE OR REPLACE TEMP MACRO chain_id(p, pos) AS CASE pos % 3
        WHEN 0 THEN 'chain' || pad(p) || '.' || lpad((pos // 3)::VARCHAR, 7, '0') || '@example.org'
        WHEN 1 THEN '2' || pad(p) || lpad((pos // 3)::VARCHAR, 7, '0')
        ELSE 'K' || pad(p) || '-' || lpad((pos // 3)::VARCHAR, 7, '0') END;
    """


def _people_sql(people: int) -> str:
    # Person 0 is always a chain and person 1 a singleton, so even tiny demos plant both.
    return f"""
    CREATE OR REPLACE TEMP TABLE demo_people AS
    SELECT p,
        CASE WHEN p = 0 THEN 'chain' WHEN p = 1 THEN 'singleton'
             WHEN h(p, 0, 'kind') % 100 < 2 THEN 'chain'
             WHEN h(p, 0, 'kind') % 100 < 7 THEN 'singleton' ELSE 'normal' END AS kind,
        pick(p, 0, 'ne', 3) AS n_email, pick(p, 0, 'nc', 2) AS n_cid, pick(p, 0, 'np', 2) AS n_phone,
        CASE WHEN p = 0 THEN 40 ELSE 12 + pick(p, 0, 'len', 28) END AS chain_len
    FROM range({people}) t(p)
    """


def _chain_edges_sql() -> str:
    """Edges (p, i) of every chain: edge i links positions i and i+1 of chain p."""
    return """
    CREATE OR REPLACE TEMP TABLE demo_chain_edges AS
    SELECT p, i, chain_id(p, i) AS a, chain_id(p, i + 1) AS b
    FROM (SELECT p, unnest(range(chain_len - 1)) AS i FROM demo_people WHERE kind = 'chain')
    """


def _profiles_sql(schema: str) -> str:
    # Edge i % 3 == 2 is customer id (a) -> email (b); the phone stays NULL so nothing else links.
    return f"""
    CREATE OR REPLACE TABLE {schema}.customer_profiles AS
    WITH rows AS (
        SELECT p, 0 AS slot, email(p, 1) AS e, cid(p, 1) AS c, phone(p, 1) AS ph
        FROM demo_people WHERE kind = 'normal'
        UNION ALL  -- an occasional later profile version with any of the person's identifiers
        SELECT p, 1, spoil(email(p, pick(p, 1, 'pe', n_email)), p, 1, 'pb', 0, 3, 30, {_BAD_EMAILS}),
               spoil(cid(p, pick(p, 1, 'pc', n_cid)), p, 1, 'pb', 1, 3, 30, {_BAD_CUSTOMER_IDS}),
               spoil(phone(p, pick(p, 1, 'pp', n_phone)), p, 1, 'pb', 2, 3, 30, {_BAD_PHONES})
        FROM demo_people WHERE kind = 'normal' AND h(p, 1, 'pn') % 2 = 0
        UNION ALL
        SELECT p, i, b, a, NULL FROM demo_chain_edges WHERE i % 3 = 2
    )
    SELECT e AS email_std, c AS customer_id, ph AS phone_number,
           {_FIRST_NAMES}[pick(p, 0, 'fn', 12)] AS first_name,
           {_LAST_NAMES}[pick(p, 0, 'ln', 11)] AS last_name,
           ts(p, slot, 'pt') AS time
    FROM rows
    """


def _orders_sql(schema: str) -> str:
    # Orders tie customer ids to the person's LAST phone; edge i % 3 == 1 is phone (a) -> cid (b).
    return f"""
    CREATE OR REPLACE TABLE {schema}.orders AS
    WITH rows AS (
        SELECT p, 0 AS slot, cid(p, 1) AS c, phone(p, n_phone) AS ph
        FROM demo_people WHERE kind = 'normal'
        UNION ALL
        SELECT p, 1, cid(p, n_cid), phone(p, n_phone) FROM demo_people WHERE kind = 'normal'
        UNION ALL  -- repeat purchases, sometimes with an invalid (shared!) customer id or phone
        SELECT p, slot,
               spoil(cid(p, pick(p, slot, 'oc', n_cid)), p, slot, 'ob', 0, 2, 25, {_BAD_CUSTOMER_IDS}),
               spoil(phone(p, pick(p, slot, 'op', n_phone)), p, slot, 'ob', 1, 2, 25, {_BAD_PHONES})
        FROM (SELECT p, n_cid, n_phone, 2 + unnest(range(rnd(p, 0, 'no', 3))) AS slot
              FROM demo_people WHERE kind = 'normal')
        UNION ALL  -- customer-id-only singletons: the phone never validates
        SELECT p, slot, cid(p, 1), {_BAD_PHONES}[pick(p, slot, 'sp', 6)]
        FROM (SELECT p, unnest(range(pick(p, 0, 'sn', 3))) AS slot
              FROM demo_people WHERE kind = 'singleton' AND h(p, 0, 'st') % 2 = 1)
        UNION ALL
        SELECT p, i, b, a FROM demo_chain_edges WHERE i % 3 = 1
    )
    SELECT p * 64 + slot AS order_id, c AS customer_id, ph AS phone,
           ((h(p, slot, 'oa') % 50000 + 100) / 100)::DECIMAL(10, 2) AS amount,
           ts(p, slot, 'ot') AS time
    FROM rows
    """


def _tickets_sql(schema: str, junk_per_10000: int = 0) -> str:
    # Tickets link email 1 to phone 1 and emails 2..n to the last phone; chain edge i % 3 == 0.
    junk = (
        f"""
        UNION ALL  -- the planted junk key: a store's phone on tickets of many different people
        SELECT p, 4, email(p, 1), '{JUNK_PHONE}' FROM demo_people
        WHERE kind = 'normal' AND h(p, 4, 'junk') % 10000 < {junk_per_10000}"""
        if junk_per_10000
        else ""
    )
    return f"""
    CREATE OR REPLACE TABLE {schema}.support_tickets AS
    WITH rows AS (
        SELECT p, 0 AS slot, email(p, 1) AS e, phone(p, 1) AS ph FROM demo_people WHERE kind = 'normal'
        UNION ALL
        SELECT p, slot, email(p, slot + 1), phone(p, n_phone)
        FROM (SELECT p, n_phone, 1 + unnest(range(n_email - 1)) AS slot
              FROM demo_people WHERE kind = 'normal')
        UNION ALL  -- follow-up tickets, sometimes with 'N/A' / 'no-email' beside a valid phone
        SELECT p, 3, spoil(email(p, pick(p, 3, 'te', n_email)), p, 3, 'tb', 0, 2, 40, {_BAD_EMAILS}),
               spoil(phone(p, pick(p, 3, 'tp', n_phone)), p, 3, 'tb', 1, 2, 40, {_BAD_PHONES})
        FROM demo_people WHERE kind = 'normal' AND h(p, 3, 'tn') % 2 = 0
        UNION ALL
        SELECT p, i, a, b FROM demo_chain_edges WHERE i % 3 = 0
        UNION ALL  -- length-1 chains have no edge; one record keeps the lone identifier visible
        SELECT p, 0, chain_id(p, 0), NULL FROM demo_people WHERE kind = 'chain' AND chain_len = 1{junk}
    )
    SELECT p * 64 + slot AS ticket_id, e AS contact_email, ph AS contact_phone,
           {_SUBJECTS}[pick(p, slot, 'ts', 6)] AS subject, ts(p, slot, 'tt') AS time
    FROM rows
    """


def _sessions_sql(schema: str) -> str:
    # A session only knows one email, so sessions never link anything by themselves.
    return f"""
    CREATE OR REPLACE TABLE {schema}.web_sessions AS
    WITH rows AS (
        SELECT p, slot,
               spoil(email(p, pick(p, slot, 'we', n_email)), p, slot, 'wb', 0, 1, 8, {_BAD_EMAILS}) AS e
        FROM (SELECT p, n_email, unnest(range(2 + rnd(p, 0, 'wn', 8))) AS slot
              FROM demo_people WHERE kind = 'normal')
        UNION ALL  -- email-only singletons
        SELECT p, slot, email(p, 1)
        FROM (SELECT p, unnest(range(pick(p, 0, 'sn', 4))) AS slot
              FROM demo_people WHERE kind = 'singleton' AND h(p, 0, 'st') % 2 = 0)
    )
    SELECT p * 64 + slot AS session_id, e AS user_email, {_PAGES}[pick(p, slot, 'wp', 7)] AS page,
           (h(p, slot, 'wd') % 1800)::INTEGER AS duration_seconds, ts(p, slot, 'wt') AS time
    FROM rows
    """


def _generate(
    database: str | Path, schema: str, seed: int, people_sql: str, junk_per_10000: int = 0
) -> dict[str, int]:
    """Run the generators against ``demo_people`` built by ``people_sql``; return row counts."""
    if not schema.isidentifier():
        raise ValueError(f"schema must be a plain SQL identifier, got {schema!r}")
    with duckdb.connect(str(database)) as con:
        # Row order is irrelevant (consumers sort); dropping it lets DuckDB stream with less memory.
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")  # keeps Airflow task logs readable
        con.execute(_macros(seed))
        con.execute(people_sql)
        con.execute(_chain_edges_sql())
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for sql in (_profiles_sql, _sessions_sql, _orders_sql):
            con.execute(sql(schema))
        con.execute(_tickets_sql(schema, junk_per_10000))
        return {t: _count(con, f"{schema}.{t}") for t in TABLES}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def create_demo_data(
    database: str | Path,
    *,
    schema: str = "customer_db",
    people: int = 1000,
    seed: int = 42,
    junk_phone_share: float = 0.0,
) -> DemoSummary:
    """Create (replace) the four source tables in ``schema`` of the DuckDB file ``database``.

    About 12 records per person; identical tables for the same (people, seed, junk_phone_share).
    ``junk_phone_share`` (0..1, default 0): share of normal people given a ticket with :data:`JUNK_PHONE`.
    """
    if not 1 <= people <= _MAX_PEOPLE:
        raise ValueError(f"people must be in 1..{_MAX_PEOPLE}, got {people}")
    if not 0.0 <= junk_phone_share <= 1.0:
        raise ValueError(f"junk_phone_share must be a share in 0..1, got {junk_phone_share!r}")
    junk = round(junk_phone_share * 10000)
    counts = _generate(database, schema, int(seed), _people_sql(people), junk)
    return DemoSummary(people=people, seed=int(seed), row_counts=counts)


def create_chain_data(
    database: str | Path, *, schema: str = "customer_db", length: int, seed: int = 0
) -> None:
    """Create (replace) the four source tables holding exactly one chain of ``length`` identifiers.

    ``length`` is the number of identifiers. Position ``i`` (0-based) is an email when
    ``i % 3 == 0``, a phone when ``i % 3 == 1`` and a customer id when ``i % 3 == 2``; its
    number is ``i // 3``, zero-padded so string order follows position. Record ``i`` links
    positions ``i`` and ``i + 1`` (email-phone: support ticket, phone-customer id: order,
    customer id-email: profile), so there are ``length - 1`` records. The smallest
    identifier by (ns, id) is the email at position 0: one end of the chain, the worst case
    for label propagation. ``length == 1`` is a single support ticket with only that email.
    ``web_sessions`` exists but is empty; ``seed`` only changes non-key columns.
    """
    if not 1 <= length <= _MAX_CHAIN_LENGTH:
        raise ValueError(f"length must be in 1..{_MAX_CHAIN_LENGTH}, got {length}")
    people_sql = f"""
    CREATE OR REPLACE TEMP TABLE demo_people AS
    SELECT 0::BIGINT AS p, 'chain' AS kind, 1 AS n_email, 1 AS n_cid, 1 AS n_phone, {length} AS chain_len
    """
    _generate(database, schema, int(seed), people_sql)
