"""The spark_connect engine on a real local Spark Connect server (one per test session).

The example DAG runs end to end through real Airflow (``dag.test()``) on a ``spark_connect``
connection, resolved by the Apache Spark provider's ``SparkConnectHook``; every table it writes
equals the same DAG's tables on DuckDB, and the lookup is networkx's connected components.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pendulum
import pytest

from airflow_idu.demo.data import create_demo_data
from tests.conftest import EXAMPLE_SQL, EXAMPLE_YML
from tests.e2e.runner import dag_from_file, loop_history, run_dag
from tests.e2e.test_example_dag import LOOKUP, MERGE_BY_KEYS, example_dag
from tests.ground_truth import assert_lookup_matches, load_identifier_graph
from tests.spark.test_faithful import assert_same_tables, duckdb_tables
from tests.spark_connect_server import LocalSparkConnect

# The example DAG and the SQL error run in `make test` (the whole DAG compared on both engines, one
# server per test session); the 50,000-person case and the server restart (about 30 minutes more)
# only in `make spark-connect`.
pytestmark = [pytest.mark.spark, pytest.mark.e2e]

CONN_ID = "idu_default"
SCHEMA = "unified"
# Tables whose rows name the run or the moment (lease tokens and expiry, the run id of the lookup
# snapshot, the loop log's timings; its iterations and counts are compared as the loop's history).
# Every other table is compared, row for row.
RUN_SPECIFIC = {
    "idu_writer_lease",
    "unified_customer_id_lookup_previous_state",
    "unified_customer_id_unify_loop_log",
}
SPARK_TYPES = {"VARCHAR": "STRING", "INTEGER": "INT"}


def use_spark_connect(monkeypatch: pytest.MonkeyPatch, server: LocalSparkConnect, **extra: Any) -> None:
    conn = {"conn_type": "spark_connect", "host": "127.0.0.1", "port": server.port, "extra": extra}
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))


@pytest.fixture(scope="module")
def spark(spark_connect_server: LocalSparkConnect) -> Iterator[Any]:
    """A session of the tests' own on the server, to load sources and read results."""
    from pyspark.sql.connect.session import SparkSession

    session = SparkSession.builder.remote(spark_connect_server.url).create()
    try:
        yield session
    finally:
        with contextlib.suppress(Exception):  # the server restarted under it (the fault test)
            session.stop()


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("sources") / "idu.duckdb"
    create_demo_data(database, schema="customer_db", people=400, seed=11)
    return database


def load_sources(spark: Any, database: Path, schema: str = "customer_db") -> None:
    """The DuckDB file's source tables, row for row and with the same column types, on the server;
    no target schema yet, so a run is a first run there as on the fresh DuckDB file."""
    spark.sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE").collect()
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS {schema}").collect()
    with duckdb.connect(str(database), read_only=True) as con:
        tables = [r[0] for r in con.execute(_TABLES, [schema]).fetchall()]
        for table in tables:
            columns = con.execute(_COLUMNS, [schema, table]).fetchall()
            ddl = ", ".join(f"`{name}` {SPARK_TYPES.get(kind, kind)}" for name, kind in columns)
            rows = con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
            frame = spark.createDataFrame(rows, schema=ddl)
            frame.write.mode("overwrite").saveAsTable(f"{schema}.{table}")


_TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1"
_COLUMNS = (
    "SELECT column_name, data_type FROM information_schema.columns "
    "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position"
)


def spark_tables(spark: Any, schema: str = SCHEMA) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    from tests.spark.test_faithful import _sorted

    names = sorted(r.tableName for r in spark.sql(f"SHOW TABLES IN {schema}").collect() if not r.isTemporary)
    out = {}
    for name in names:
        frame = spark.table(f"{schema}.{name}")
        out[name] = ([c.lower() for c in frame.columns], _sorted(tuple(r) for r in frame.collect()))
    return out


def lookup_as_duckdb(spark: Any, path: Path) -> Path:
    """The Spark lookup copied into a DuckDB file, where the ground truth reads lookups."""
    rows = [tuple(r) for r in spark.table(f"{SCHEMA}.unified_customer_id_lookup").collect()]
    columns = spark.table(f"{SCHEMA}.unified_customer_id_lookup").columns
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE SCHEMA {SCHEMA}")
        con.execute(f"CREATE TABLE {LOOKUP} (canonical_id VARCHAR, id VARCHAR, id_key_type BIGINT)")
        picked = [columns.index(c) for c in ("canonical_id", "id", "id_key_type")]
        con.executemany(f"INSERT INTO {LOOKUP} VALUES (?, ?, ?)", [[r[i] for i in picked] for r in rows])
    return path


@dataclass(frozen=True, kw_only=True)
class DuckDBRun:
    database: Path
    history: list[dict[str, Any]]
    row_counts: dict[str, int]

    def tables(self) -> dict[str, Any]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return {n: t for n, t in duckdb_tables(con, SCHEMA).items() if n not in RUN_SPECIFIC}


def run_on_duckdb(sources: Path, duck: Path, logical_date: Any) -> DuckDBRun:
    """The example DAG on a copy of ``sources`` in ``duck``: what a Spark Connect run must equal."""
    shutil.copy(sources, duck)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(
            f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({"conn_type": "duckdb", "host": str(duck)})
        )
        result = run_dag(example_dag(), logical_date=logical_date)
    assert result.state == "success", result.failed()
    return DuckDBRun(
        database=duck,
        history=result.xcom("loop.unify_loop")["history"],
        row_counts=result.xcom("report")["row_counts"],
    )


@pytest.fixture(scope="module")
def duckdb_run(airflow_db: Path, sources: Path, tmp_path_factory: pytest.TempPathFactory) -> DuckDBRun:
    """The example DAG on DuckDB, on the same sources: what every Spark Connect run must equal."""
    duck = tmp_path_factory.mktemp("duckdb-run") / "idu.duckdb"
    return run_on_duckdb(sources, duck, pendulum.datetime(2027, 1, 1, tz="UTC"))


def assert_equals_duckdb_and_networkx(
    server: LocalSparkConnect, expected: DuckDBRun, sources: Path, tmp: Path
) -> None:
    from pyspark.sql.connect.session import SparkSession

    spark = SparkSession.builder.remote(server.url).create()  # a fresh one: the server may have restarted
    try:
        actual = {n: t for n, t in spark_tables(spark).items() if n not in RUN_SPECIFIC}
        assert "customer_master" in actual and "unified_customer_id_lookup" in actual
        tables = expected.tables()
        empty = {n for n, (_, rows) in tables.items() if not rows}  # the id history of a first run
        assert empty == {n for n, (_, rows) in actual.items() if not rows}
        assert {n: t[0] for n, t in actual.items() if n in empty} == {n: tables[n][0] for n in empty}
        assert_same_tables(
            {n: t for n, t in actual.items() if n not in empty},
            {n: t for n, t in tables.items() if n not in empty},
        )
        lookup = lookup_as_duckdb(spark, tmp / "spark_lookup.duckdb")
    finally:
        spark.stop()
    graph = load_identifier_graph(sources, EXAMPLE_YML, source_schema="customer_db")
    assert_lookup_matches(lookup, lookup_table=LOOKUP, graph=graph, merge_by_keys=MERGE_BY_KEYS)


def test_example_dag_on_spark_connect_equals_duckdb_and_networkx(
    spark_connect_server: LocalSparkConnect,
    spark: Any,
    sources: Path,
    duckdb_run: DuckDBRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load_sources(spark, sources)
    use_spark_connect(monkeypatch, spark_connect_server)
    on_spark = run_dag(example_dag(), logical_date=pendulum.datetime(2027, 1, 2, tz="UTC"))
    assert on_spark.state == "success", on_spark.failed()
    loop = on_spark.xcom("loop.unify_loop")
    assert loop["converged"] is True
    # the default (incremental) loop converges within the example's three iteration files here
    assert {h["source"] for h in loop["history"]} == {"file"}
    assert loop_history(loop["history"]) == loop_history(duckdb_run.history)
    assert on_spark.xcom("report")["row_counts"] == duckdb_run.row_counts
    assert_equals_duckdb_and_networkx(spark_connect_server, duckdb_run, sources, tmp_path)


LARGE_PEOPLE = 50_000


@pytest.mark.beyond_test
def test_a_generated_case_of_50000_people_on_spark_connect_equals_duckdb_and_networkx(
    airflow_db: Path,
    spark_connect_server: LocalSparkConnect,
    spark: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's size: 50,000 demo people (about 600,000 source records), the example DAG on both
    engines from the same rows."""
    large = tmp_path / "sources.duckdb"
    create_demo_data(large, schema="customer_db", people=LARGE_PEOPLE, seed=13)
    expected = run_on_duckdb(large, tmp_path / "duck.duckdb", pendulum.datetime(2027, 4, 1, tz="UTC"))
    load_sources(spark, large)
    use_spark_connect(monkeypatch, spark_connect_server)
    on_spark = run_dag(example_dag(), logical_date=pendulum.datetime(2027, 4, 2, tz="UTC"))
    assert on_spark.state == "success", on_spark.failed()
    assert loop_history(on_spark.xcom("loop.unify_loop")["history"]) == loop_history(expected.history)
    assert on_spark.xcom("report")["row_counts"] == expected.row_counts
    assert_equals_duckdb_and_networkx(spark_connect_server, expected, large, tmp_path)


BROKEN = "CREATE TABLE idu_demo.unified.broken AS SELECT no_such_column FROM idu_demo.unified.unified_customer_id_graph_unify_loop_0"


@pytest.fixture
def broken_dir(tmp_path: Path) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(EXAMPLE_SQL, target)
    merge = target / "02_extract_merge.sql"
    merge.write_text(merge.read_text().replace("USE SCHEMA unified;", f"USE SCHEMA unified;\n{BROKEN};", 1))
    return target


def test_a_sql_error_fails_at_once_naming_file_and_statement(
    airflow_db: Path,
    spark_connect_server: LocalSparkConnect,
    broken_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from tests.e2e.test_fail_fast import exception_lines, source, task_instance

    use_spark_connect(monkeypatch, spark_connect_server)
    dag = dag_from_file("idu_sc_broken", source("idu_sc_broken", broken_dir, CONN_ID))
    result = run_dag(dag, logical_date=pendulum.datetime(2027, 2, 1, tz="UTC"))
    failing = "setup.02_extract_merge"
    assert result.state == "failed"
    assert result.task_states[failing] == "failed"
    assert task_instance(result, failing).try_number == 1, "retried: a SQL error was classified transient"
    out = capfd.readouterr().out
    lines = exception_lines(out)
    assert len(lines) == 1, lines  # one try, one exception, the cause first
    assert "UNRESOLVED_COLUMN" in lines[0] and "no_such_column" in lines[0]
    assert "02_extract_merge.sql: statement 3 failed (CREATE TABLE idu_demo.unified.broken" in out
    assert "not retried" in out


def quick_retries_dag(dag_id: str, sql_dir: Path) -> Any:
    from tests.e2e.test_fail_fast import source

    return dag_from_file(dag_id, source(dag_id, sql_dir, CONN_ID))


@pytest.mark.beyond_test
@pytest.mark.faults
def test_server_stopped_mid_loop_fails_transiently_and_the_retry_resumes_there(
    spark_connect_server: LocalSparkConnect,
    spark: Any,
    sources: Path,
    duckdb_run: DuckDBRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server goes away as iteration 2 starts (it comes back a minute later, tables kept by its
    metastore): the loop task fails transiently, Airflow retries it, and the retry goes on at
    iteration 2; the published tables equal DuckDB's and networkx's."""
    import airflow_idu.engines as engines
    from tests.e2e.test_fail_fast import task_instance

    load_sources(spark, sources)
    use_spark_connect(monkeypatch, spark_connect_server, retry_seconds=2)
    real_open = engines.open_engine
    loop_labels: list[str] = []
    errors: list[BaseException] = []

    def open_engine(*args: Any, **kwargs: Any) -> Any:
        engine = real_open(*args, **kwargs)
        run = engine.run_script

        def run_script(sql: str, *, label: str) -> Any:
            if "(iteration" in label:
                loop_labels.append(label)
            if "(iteration 2)" not in label or errors:
                return run(sql, label=label)
            spark_connect_server.stop()
            try:
                return run(sql, label=label)
            except Exception as err:  # the engine's error; the task reduces it to its location later
                errors.append(err.__cause__ or err)
                raise
            finally:
                spark_connect_server.start()

        engine.run_script = run_script
        return engine

    monkeypatch.setattr(engines, "open_engine", open_engine)
    result = run_dag(
        quick_retries_dag("idu_sc_restart", EXAMPLE_SQL), logical_date=pendulum.datetime(2027, 3, 1, tz="UTC")
    )
    assert result.state == "success", result.failed()
    assert len(errors) == 1 and engines.is_transient(errors[0]), errors
    assert task_instance(result, "loop.unify_loop").try_number == 2
    iteration_1 = [label for label in loop_labels if "(iteration 1)" in label]
    assert len(iteration_1) == 1, "the retry started the loop over instead of resuming it"
    first, second = (f"04_unify_loop_iteration_0{k}.sql (iteration {k})" for k in (1, 2))
    assert loop_labels[:3] == [first, second, second], loop_labels[:4]  # try 2 began at iteration 2
    assert loop_history(result.xcom("loop.unify_loop")["history"]) == loop_history(duckdb_run.history)
    assert_equals_duckdb_and_networkx(spark_connect_server, duckdb_run, sources, tmp_path)
