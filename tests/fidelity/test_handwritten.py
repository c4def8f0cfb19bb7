"""A directory written by hand in another style runs on DuckDB and on Spark with identical tables.

tests/fidelity/handwritten/sql follows docs/sql-directory-contract.md but not the generator's
style: CTEs everywhere, CREATE OR REPLACE TABLE ... AS for the loop, MERGE INTO for the key
stats, window functions (FIRST_VALUE, ROW_NUMBER ... QUALIFY, RANK) for leader choice.
Spark runs it through the adapter of tests/spark (no Delta, no Unity Catalog); MERGE, which
local Spark lacks without Delta, through tests/fidelity/spark_dml.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pendulum

from tests.fidelity.spark_dml import dml_statements
from tests.generate.sqlrun import (
    demo_rows,
    duckdb_adapter,
    duckdb_connection,
    load_duckdb_sources,
    run_directory,
)
from tests.spark.test_faithful import (
    assert_same_tables,
    duckdb_tables,
    load_spark_sources,
    spark_adapter,
    spark_statements,
    spark_tables,
)

HANDWRITTEN_SQL = Path(__file__).parent / "handwritten" / "sql"
CATALOG, SCHEMA = "hand_cat", "hand_unified"


def _spark_adapter(session: Any) -> tuple[Any, Any]:
    def statements(statement: str) -> list[str]:
        adapted = spark_statements(statement, catalog=CATALOG)
        if len(adapted) == 1:
            dml = dml_statements(adapted[0], lambda table: session.table(table).columns)
            return dml if dml is not None else adapted
        return adapted

    return spark_adapter(session, statements)


def test_handwritten_directory_is_identical_on_spark_and_duckdb(spark: Any) -> None:
    rows = demo_rows()
    con = duckdb_connection()
    load_duckdb_sources(con, rows)
    duck_run = run_directory(HANDWRITTEN_SQL, *duckdb_adapter(con))

    load_spark_sources(spark, rows)
    spark_run = run_directory(HANDWRITTEN_SQL, *_spark_adapter(spark))

    assert duck_run == spark_run and duck_run.derived_iterations > 0
    expected, actual = spark_tables(spark, SCHEMA), duckdb_tables(con, SCHEMA)
    assert {"person_id_lookup", "person_id_source_key_stats", "person_master", "person_id_graph"} <= set(
        expected
    )
    assert_same_tables(expected, actual)


def test_handwritten_directory_runs_as_an_airflow_dag(
    airflow_db: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    from tests.e2e.runner import dag_from_file, run_dag

    db = tmp_path / "hand.duckdb"
    con = duckdb.connect(str(db))
    load_duckdb_sources(con, demo_rows())
    con.close()
    monkeypatch.setenv("AIRFLOW_CONN_IDU_HAND", f'{{"conn_type": "duckdb", "host": "{db}"}}')
    source = (
        "from airflow_idu import create_unification_dag\n"
        f"dag = create_unification_dag('idu_handwritten', {str(HANDWRITTEN_SQL)!r}, conn_id='idu_hand')\n"
    )
    result = run_dag(
        dag_from_file("idu_handwritten", source), logical_date=pendulum.datetime(2026, 1, 1, tz="UTC")
    )
    assert result.state == "success", result.failed()
    assert result.xcom("loop.unify_loop")["converged"] is True
    with duckdb.connect(str(db), read_only=True) as check:
        stats = check.execute(
            f"SELECT key_ns, identifiers FROM {SCHEMA}.person_id_source_key_stats ORDER BY 1"
        ).fetchall()
        lookup = check.execute(
            f"SELECT COUNT(DISTINCT canonical_id) FROM {SCHEMA}.person_id_lookup"
        ).fetchone()
    assert [ns for ns, _ in stats] == [1, 2, 3] and all(n > 0 for _, n in stats)
    assert lookup is not None and lookup[0] > 0
