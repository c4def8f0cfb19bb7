"""Whole directories in the published generator's style, as whole DAGs: Spark Connect against DuckDB.

:mod:`tests.fidelity.test_directories` compares the directories' statements run by a test runner
on classic local Spark. Here the product runs them: each variant's directories become DAGs
(``create_unification_dag``, real Airflow through ``dag.test()``), run once with a ``duckdb``
connection and once with a ``spark_connect`` connection to the test session's one local Spark
Connect server, so Spark's side is the ``spark_connect`` engine with its rewrites, the loop
sensor, canonicalize, the health gate, persistent ids and the report. Every table of the target
schema is compared cell by cell (arrays as :mod:`tests.fidelity.test_directories` says), and
each lookup's clusters are networkx's connected components of the same rows.

Compared apart from the rest: the tables that name the run or the moment (the writer lease, the
previous-lookup snapshot's run id, the loop log's timings); the loop's history is compared as the
iterations and their counts. ``make test`` runs one variant; ``make spark-connect`` all of them.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import duckdb
import pendulum
import pytest

from airflow_idu.plan.contract import WRITER_LEASE_TABLE
from tests.e2e.runner import RunResult, dag_from_file, loop_history, run_dag
from tests.fidelity.directories.data import expected_clusters, load_duckdb, load_spark, source_rows
from tests.fidelity.directories.spec import DirectorySpec
from tests.fidelity.directories.variants import VARIANTS, Variant
from tests.fidelity.directories.writer import write_directory
from tests.fidelity.test_directories import NOW, as_compared, lookup_clusters
from tests.spark.test_faithful import assert_same_tables, duckdb_tables, spark_tables
from tests.spark_connect_server import LocalSparkConnect

pytestmark = [pytest.mark.spark, pytest.mark.e2e]

CONN_ID = "idu_fidelity"
IN_MAKE_TEST = "two_ids"  # two canonical ids in one schema: two DAGs per engine, the most shared state


def _params(variant: Variant) -> Any:
    marks = () if variant.name == IN_MAKE_TEST else (pytest.mark.beyond_test,)
    return pytest.param(variant, id=variant.name, marks=marks)


def run_specific(specs: tuple[DirectorySpec, ...]) -> set[str]:
    """Tables whose rows name the run or the moment: lease tokens, snapshot run ids, loop timings."""
    names = {WRITER_LEASE_TABLE}
    for spec in specs:
        names |= {f"{spec.canonical_id}_lookup_previous_state", f"{spec.canonical_id}_unify_loop_log"}
    return names


def use_connection(monkeypatch: pytest.MonkeyPatch, conn: dict[str, Any]) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))


def run_directories(dirs: list[Path], engine: str, day: int) -> list[RunResult]:
    """Each directory's DAG once, in order (their tables share the schema, as one lease says)."""
    results = []
    for i, sql_dir in enumerate(dirs):
        dag_id = f"idu_fidelity_{engine}_{sql_dir.name}"
        source = (
            "from airflow_idu import create_unification_dag\n"
            f"dag = create_unification_dag({dag_id!r}, {str(sql_dir)!r}, conn_id={CONN_ID!r})\n"
        )
        result = run_dag(
            dag_from_file(dag_id, source), logical_date=pendulum.datetime(2027, 6, day, i, tz="UTC")
        )
        assert result.state == "success", (engine, sql_dir.name, result.failed())
        results.append(result)
    return results


def history(result: RunResult) -> list[tuple[int, int, str]]:
    return loop_history(result.xcom("loop.unify_loop")["history"])


@pytest.mark.parametrize("variant", [_params(v) for v in VARIANTS])
def test_published_style_directory_dags_are_identical_on_spark_connect_and_duckdb(
    airflow_db: Path,
    spark_connect_server: LocalSparkConnect,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variant: Variant,
) -> None:
    from pyspark.sql.connect.session import SparkSession

    specs = tuple(dataclasses.replace(spec, now=NOW) for spec in variant.directories)
    first = specs[0]
    rows = source_rows(
        specs, seed=21, people=variant.people, chains=variant.chains, chain_length=variant.chain_length
    )
    dirs = [write_directory(spec, tmp_path / f"{i}_{spec.canonical_id}") for i, spec in enumerate(specs)]

    database = tmp_path / "idu.duckdb"
    with duckdb.connect(str(database)) as con:
        load_duckdb(con, first, rows)
    use_connection(monkeypatch, {"conn_type": "duckdb", "host": str(database)})
    on_duckdb = run_directories(dirs, "duckdb", day=1)

    spark = SparkSession.builder.remote(spark_connect_server.url).create()
    try:
        spark.sql(f"DROP SCHEMA IF EXISTS {first.schema} CASCADE").collect()
        spark.sql(f"DROP SCHEMA IF EXISTS {first.source_schema} CASCADE").collect()
        load_spark(spark, first, rows)
        use_connection(
            monkeypatch,
            {"conn_type": "spark_connect", "host": "127.0.0.1", "port": spark_connect_server.port},
        )
        on_spark = run_directories(dirs, "spark_connect", day=2)
        expected = spark_tables(spark, first.schema)
    finally:
        spark.stop()

    assert [history(r) for r in on_spark] == [history(r) for r in on_duckdb]
    assert any(h[2] == "derived" for r in on_spark for h in history(r)), "chains must outrun the files"
    assert [r.xcom("report")["row_counts"] for r in on_spark] == [
        r.xcom("report")["row_counts"] for r in on_duckdb
    ]

    with duckdb.connect(str(database), read_only=True) as con:
        actual = duckdb_tables(con, first.schema)
    skip = run_specific(specs)
    assert skip <= set(expected) and skip <= set(actual)
    expected = {n: t for n, t in expected.items() if n not in skip}
    actual = {n: t for n, t in actual.items() if n not in skip}
    empty = {n for n, (_, table_rows) in expected.items() if not table_rows}  # a first run's id history
    assert empty == {n for n, (_, table_rows) in actual.items() if not table_rows}
    assert {n: expected[n][0] for n in empty} == {n: actual[n][0] for n in empty}
    for spec in specs:
        assert {f"{spec.canonical_id}_lookup", f"{spec.canonical_id}_result_key_stats"} <= set(expected)
        assert {m.name for m in spec.master_tables} <= set(expected)
    assert_same_tables(
        as_compared({n: t for n, t in expected.items() if n not in empty}),
        as_compared({n: t for n, t in actual.items() if n not in empty}),
    )
    for spec in specs:
        columns, lookup = expected[f"{spec.canonical_id}_lookup"]
        picked = [columns.index(c) for c in ("canonical_id", "id_key_type", "id")]
        clusters = lookup_clusters([tuple(row[i] for i in picked) for row in lookup])
        assert clusters == expected_clusters(spec, rows), spec.canonical_id
