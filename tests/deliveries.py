"""Generated demo data cut into daily deliveries: the one delivery mechanism of the day-by-day suites.

The demo generator's rows go to schema ``src`` with the day they arrive (the time order cut into
``days`` slices) and the day they are deleted (``gone``, NULL: never). ``deliver(d)`` makes the
source tables in ``customer_db`` hold what a full rebuild of day ``d`` reads: every row arrived by
then and not yet gone, and the rows of ``DUPLICATE_DAY`` twice (append-only tables keep duplicates).
The suites plant their own events on top (tests/runstate/days.py, tests/incremental/case.py).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import networkx as nx

from airflow_idu.demo.data import create_demo_data
from tests.conftest import EXAMPLE_YML
from tests.ground_truth import load_identifier_graph

SOURCE_TABLES = ("customer_profiles", "web_sessions", "orders", "support_tickets")
DUPLICATE_DAY = 4
PROFILE_COLUMNS = "email_std, customer_id, phone_number, first_name, last_name, time"


def stage_days(database: Path, *, people: int, seed: int, days: int) -> None:
    """Demo data for ``people`` people in ``src``, each row with its ``day`` (1..days) and ``gone``."""
    create_demo_data(database, schema="customer_db", people=people, seed=seed)
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS src")
        for table in SOURCE_TABLES:
            con.execute(
                f"CREATE OR REPLACE TABLE src.{table} AS SELECT *, "
                f"CAST(ntile({days}) OVER (ORDER BY time, hash(t::VARCHAR)) AS INTEGER) AS day, "
                f"CAST(NULL AS INTEGER) AS gone FROM customer_db.{table} t"
            )


def deliver(database: Path, day: int) -> nx.Graph:
    """Source tables as of ``day``; returns their identifier graph (networkx ground truth)."""
    columns = "* EXCLUDE (day, gone)"
    with duckdb.connect(str(database)) as con:
        for table in SOURCE_TABLES:
            con.execute(
                f"CREATE OR REPLACE TABLE customer_db.{table} AS "
                f"SELECT {columns} FROM src.{table} WHERE day <= {day} AND (gone IS NULL OR gone > {day}) "
                f"UNION ALL SELECT {columns} FROM src.{table} "
                f"WHERE day = {DUPLICATE_DAY} AND {day} >= {DUPLICATE_DAY} AND gone IS NULL"
            )
    return load_identifier_graph(database, EXAMPLE_YML, source_schema="customer_db")


def first_day_people(con: duckdb.DuckDBPyConnection, count: int) -> list[tuple[str, str]]:
    """``count`` people whose profiles arrive on day 1, as (smallest email, customer id)."""
    people = con.execute(
        "SELECT MIN(email_std), customer_id FROM src.customer_profiles WHERE day = 1 "
        "AND email_std LIKE 'user%' AND customer_id LIKE 'C%-1' GROUP BY customer_id ORDER BY customer_id "
        f"LIMIT {count}"
    ).fetchall()
    assert len(people) == count, "the case is too small to plant its events"
    return [(str(email), str(cid)) for email, cid in people]


def add_profile(
    con: duckdb.DuckDBPyConnection, values: list[object], *, day: int, gone: int | None = None
) -> None:
    """One planted profile row (``PROFILE_COLUMNS`` order) arriving on ``day``, deleted on ``gone``."""
    con.execute(
        f"INSERT INTO src.customer_profiles ({PROFILE_COLUMNS}, day, gone) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [*values, day, gone],
    )
