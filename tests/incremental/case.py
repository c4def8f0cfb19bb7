"""A generated case delivered as daily deltas for incremental runs, with the events planted in time.

The demo generator's rows go to schema ``src`` with the day they arrive (the time order cut into
``days`` slices). ``deliver(d)`` makes ``customer_db`` hold every row that arrived by day ``d``
(append-only: incremental runs do not see deletions). Planted on top, each with a ``time`` that
fits its role (the watermark after day ``d`` is the largest time delivered by then):

* ``NEW_FIRST_DAY``: a new email sorting before every identifier, joined to an existing customer id;
* ``BRIDGE_DAY``: one record joining two existing clusters (email of one, customer id of the other);
* ``DUPLICATE_DAY``: that day's rows delivered twice;
* ``LATE_DAY``: a late row inside the look-back (time = previous watermark - 1 hour, joining a new
  phone to an existing customer id) and one outside it (time = previous watermark - 30 days, a new
  person): the second is read only by a full refresh.
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
NEW_FIRST_DAY, BRIDGE_DAY, DUPLICATE_DAY, LATE_DAY = 2, 3, 4, 5
NEW_FIRST_EMAIL = "000first@example.com"
LATE_INSIDE_PHONE, LATE_OUTSIDE_EMAIL = "19999999991", "late.outside@example.com"
_PROFILES = "email_std, customer_id, phone_number, first_name, last_name, time, day"


@dataclass(frozen=True, kw_only=True)
class IncrementalCase:
    database: Path
    days: int

    def deliver(self, day: int, *, without_late_outside: bool = False) -> nx.Graph:
        """Source tables as of ``day``; returns their identifier graph (networkx ground truth).

        ``without_late_outside``: the graph without the row only a full refresh reads.
        """
        with duckdb.connect(str(self.database)) as con:
            for table in SOURCE_TABLES:
                columns = "* EXCLUDE (day)"
                con.execute(
                    f"CREATE OR REPLACE TABLE customer_db.{table} AS "
                    f"SELECT {columns} FROM src.{table} WHERE day <= {day} "
                    f"UNION ALL SELECT {columns} FROM src.{table} WHERE day = {DUPLICATE_DAY} AND {day} >= {DUPLICATE_DAY}"
                )
        graph = load_identifier_graph(self.database, EXAMPLE_YML, source_schema="customer_db")
        if without_late_outside and day >= LATE_DAY:
            graph.remove_node(("email", LATE_OUTSIDE_EMAIL))
        return graph


def build_incremental_case(database: Path, *, people: int, seed: int, days: int) -> IncrementalCase:
    create_demo_data(database, schema="customer_db", people=people, seed=seed)
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS src")
        for table in SOURCE_TABLES:
            con.execute(
                f"CREATE OR REPLACE TABLE src.{table} AS SELECT *, "
                f"CAST(ntile({days}) OVER (ORDER BY time, hash(t::VARCHAR)) AS INTEGER) AS day "
                f"FROM customer_db.{table} t"
            )
        _plant(con)
    return IncrementalCase(database=database, days=days)


def _last_time(con: duckdb.DuckDBPyConnection, day: int) -> int:
    """The profiles' watermark after ``day`` (watermarks are per source table; the planted rows are
    profiles): the largest profile time delivered by then."""
    (value,) = con.execute(f"SELECT MAX(time) FROM src.customer_profiles WHERE day <= {day}").fetchone()  # type: ignore[misc]
    return int(value)


def _plant(con: duckdb.DuckDBPyConnection) -> None:
    people = con.execute(
        "SELECT MIN(email_std), customer_id FROM src.customer_profiles WHERE day = 1 "
        "AND email_std LIKE 'user%' AND customer_id LIKE 'C%-1' GROUP BY customer_id ORDER BY customer_id LIMIT 4"
    ).fetchall()
    assert len(people) == 4, "the case is too small to plant its events"
    (_, first_cid), (email_a, _), (_, cid_b), (_, late_cid) = people
    insert = f"INSERT INTO src.customer_profiles ({_PROFILES}) VALUES (?, ?, ?, ?, ?, ?, ?)"
    # times inside their day: after the previous day's watermark, so inside that day's window
    con.execute(
        insert,
        [
            NEW_FIRST_EMAIL,
            first_cid,
            None,
            "New",
            "First",
            _last_time(con, NEW_FIRST_DAY - 1) + 5,
            NEW_FIRST_DAY,
        ],
    )
    con.execute(
        insert, [email_a, cid_b, None, "Bridge", "Record", _last_time(con, BRIDGE_DAY - 1) + 7, BRIDGE_DAY]
    )
    mark = _last_time(con, LATE_DAY - 1)
    con.execute(insert, [None, late_cid, LATE_INSIDE_PHONE, "Late", "Inside", mark - 3600, LATE_DAY])
    con.execute(insert, [LATE_OUTSIDE_EMAIL, None, None, "Late", "Outside", mark - 30 * 86_400, LATE_DAY])
