"""The report's counts: one query per table (an enriched table's rows and rows with an id together,
a round trip each on a warehouse), equal to counts taken independently, -1 for a missing table."""

from __future__ import annotations

from typing import Any

import duckdb

from airflow_idu.engines.base import StatementError
from airflow_idu.operators.report import UnificationReportOperator

P = "cid"
ENRICHED = ["orders_enriched", "tickets_enriched"]
MASTERS = ["cid_master"]


class RecordingEngine:
    """Answers queries from an in-memory DuckDB with a schema ``s`` and records each one."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.queries: list[str] = []

    def query(self, sql: str, *, label: str = "query") -> list[tuple[Any, ...]]:
        self.queries.append(sql)
        try:
            return self.con.execute(sql).fetchall()
        except duckdb.CatalogException as err:
            raise StatementError(label=label, index=1, statement=sql, error=err) from err

    def scalar(self, sql: str, *, label: str = "query") -> Any:
        rows = self.query(sql, label=label)
        return rows[0][0] if rows else None

    def close(self) -> None:
        pass


class FakeTI:
    def xcom_pull(self, **kwargs: Any) -> None:
        return None


def _database(with_tickets: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA s")
    con.execute(f"CREATE TABLE s.{P}_graph AS SELECT range AS a FROM range(7)")
    con.execute(f"CREATE TABLE s.{P}_lookup AS SELECT range AS id, range % 3 AS canonical_id FROM range(10)")
    con.execute(f"CREATE TABLE s.{P}_master AS SELECT range AS m FROM range(3)")
    con.execute(
        f"CREATE TABLE s.orders_enriched AS SELECT CASE WHEN range % 4 = 0 THEN NULL ELSE range END AS {P} FROM range(8)"
    )
    if with_tickets:
        con.execute(f"CREATE TABLE s.tickets_enriched AS SELECT NULL::BIGINT AS {P} FROM range(5)")
    return con


def _report(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, Any], list[str]]:
    op = UnificationReportOperator(
        task_id="report", conn_id="unused", schema="s", canonical_id=P, file_task_ids=[], loop_task_id="loop",
        enriched_tables=ENRICHED, master_tables=MASTERS,
    )  # fmt: skip
    engine = RecordingEngine(con)
    op.__dict__["engine"] = engine  # the cached engine the operator would open
    return op._build({"ti": FakeTI()}), engine.queries


def _independent(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_report_counts_one_query_per_table_and_match_independent_counts() -> None:
    con = _database(with_tickets=True)
    report, queries = _report(con)
    tables = [f"{P}_graph", f"{P}_lookup", *MASTERS, *ENRICHED]
    assert len(queries) == len(tables) + 1  # + the distinct canonical ids
    assert list(report["row_counts"]) == tables  # the order the UI charts
    for table in tables:
        assert report["row_counts"][table] == _independent(con, f"SELECT count(*) FROM s.{table}")
    for table in ENRICHED:
        with_id = _independent(con, f"SELECT count(*) FROM s.{table} WHERE {P} IS NOT NULL")
        assert report["coverage"][table]["with_canonical_id"] == with_id
    assert report["coverage"]["orders_enriched"] == {"rows": 8, "with_canonical_id": 6, "coverage": 0.75}
    assert report["coverage"]["tickets_enriched"]["coverage"] == 0.0
    assert report["distinct_canonical_ids"] == 3


def test_a_missing_enriched_table_counts_minus_one_and_the_rest_is_reported() -> None:
    report, _ = _report(_database(with_tickets=False))
    assert report["coverage"]["tickets_enriched"] == {"rows": -1, "with_canonical_id": -1, "coverage": None}
    assert report["row_counts"]["orders_enriched"] == 8
