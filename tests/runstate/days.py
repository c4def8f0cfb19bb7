"""A generated case delivered as daily deltas, with the events persistent ids must survive planted.

The demo generator's rows are kept in schema ``src`` with the day they arrive (the time order cut
into ``days`` slices) and the day they are deleted (NULL: never). ``deliver(d)`` makes the source
tables in ``customer_db`` hold what a full rebuild of day ``d`` reads. Planted on top:

* day ``NEW_FIRST_DAY``: a new email that sorts before every identifier of an existing person
  (its leader, so its canonical id, changes; its persistent id must not);
* day ``BRIDGE_DAY``: one record joining two existing clusters (email of one, customer id of the other);
* day ``DUPLICATE_DAY``: that day's rows delivered twice (the duplicates stay, as in an append-only table);
* day ``SPLIT_DAY``: the bridge record deleted (its clusters split again);
* day ``REMOVED_DAY``: the new-first email's record deleted (that identifier leaves the lookup).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import networkx as nx

from airflow_idu.demo.data import create_demo_data
from tests.conftest import EXAMPLE_YML
from tests.ground_truth import load_identifier_graph

SOURCE_TABLES = ("customer_profiles", "web_sessions", "orders", "support_tickets")
NEW_FIRST_DAY, BRIDGE_DAY, DUPLICATE_DAY, SPLIT_DAY, REMOVED_DAY = 3, 5, 4, 7, 8
NEW_FIRST_EMAIL = "000first@example.com"
_PROFILE_COLUMNS = "email_std, customer_id, phone_number, first_name, last_name, time"


@dataclass(frozen=True, kw_only=True)
class DailyCase:
    database: Path
    days: int
    new_first_partner: str  # the customer id the new-first email joins

    def deliver(self, day: int) -> nx.Graph:
        """Source tables as of ``day``; returns their identifier graph (networkx ground truth)."""
        with duckdb.connect(str(self.database)) as con:
            for table in SOURCE_TABLES:
                columns = "* EXCLUDE (day, gone)"
                con.execute(
                    f"CREATE OR REPLACE TABLE customer_db.{table} AS "
                    f"SELECT {columns} FROM src.{table} WHERE day <= {day} AND (gone IS NULL OR gone > {day}) "
                    f"UNION ALL SELECT {columns} FROM src.{table} "
                    f"WHERE day = {DUPLICATE_DAY} AND {day} >= {DUPLICATE_DAY} AND gone IS NULL"
                )
        return load_identifier_graph(self.database, EXAMPLE_YML, source_schema="customer_db")


def build_daily_case(database: Path, *, people: int, seed: int, days: int = 10) -> DailyCase:
    """Demo data for ``people`` people cut into ``days`` deliveries, the planted events added."""
    create_demo_data(database, schema="customer_db", people=people, seed=seed)
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS src")
        for table in SOURCE_TABLES:
            con.execute(
                f"CREATE OR REPLACE TABLE src.{table} AS SELECT *, "
                f"CAST(ntile({days}) OVER (ORDER BY time, hash(t::VARCHAR)) AS INTEGER) AS day, "
                f"CAST(NULL AS INTEGER) AS gone FROM customer_db.{table} t"
            )
        partner = _plant(con)
    return DailyCase(database=database, days=days, new_first_partner=partner)


def _plant(con: duckdb.DuckDBPyConnection) -> str:
    """The new-first email and the bridge, between people whose profiles arrive on day 1."""
    people = con.execute(
        "SELECT MIN(email_std), customer_id FROM src.customer_profiles WHERE day = 1 "
        "AND email_std LIKE 'user%' AND customer_id LIKE 'C%-1' GROUP BY customer_id ORDER BY customer_id LIMIT 3"
    ).fetchall()
    assert len(people) == 3, "the case is too small to plant its events"
    (_, first_cid), (email_a, _), (_, cid_b) = people
    insert = f"INSERT INTO src.customer_profiles ({_PROFILE_COLUMNS}, day, gone) VALUES "
    con.execute(
        insert + "(?, ?, NULL, 'New', 'First', 1600000000, ?, ?)",
        [NEW_FIRST_EMAIL, first_cid, NEW_FIRST_DAY, REMOVED_DAY],
    )
    con.execute(
        insert + "(?, ?, NULL, 'Bridge', 'Record', 1600000001, ?, ?)", [email_a, cid_b, BRIDGE_DAY, SPLIT_DAY]
    )
    return str(first_cid)
