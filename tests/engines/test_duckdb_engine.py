"""The embedded engine on a real DuckDB file, and the loop log kept next to the data."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from airflow_idu.engines import StatementError, is_transient
from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.loop.state import IterationRecord, LoopLog
from airflow_idu.plan import LoopSpec, SqlSource


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DuckDBEngine:
    db = tmp_path / "e.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_IDU_UNIT", json.dumps({"conn_type": "duckdb", "host": str(db)}))
    eng = DuckDBEngine("idu_unit")
    yield eng
    eng.close()


def test_script_stats_and_databricks_sql(engine: DuckDBEngine) -> None:
    stats = engine.run_script(
        """USE CATALOG cat;
        USE SCHEMA sch;
        CREATE OR REPLACE TABLE cat.sch.t (id STRING, ns BIGINT, ids ARRAY<BIGINT>) USING DELTA;
        INSERT INTO cat.sch.t SELECT 'a;b', 1, array(1, 2) UNION ALL SELECT 'c', 2, array(3);
        OPTIMIZE cat.sch.t;""",
        label="f.sql",
    )
    assert [s.index for s in stats] == [1, 2, 3, 4, 5]
    assert stats[3].rows == 2 and stats[3].first_line.startswith("INSERT INTO cat.sch.t")
    assert stats[0].skipped and "USE CATALOG" in stats[0].skipped
    assert stats[4].skipped and "no-op" in stats[4].skipped
    assert engine.scalar("SELECT COUNT(*) FROM cat.sch.t WHERE id = 'a;b'") == 1


def test_statement_error_names_file_number_first_line_and_engine_error(engine: DuckDBEngine) -> None:
    with pytest.raises(StatementError) as err:
        engine.run_script(
            "CREATE SCHEMA IF NOT EXISTS s;\n-- why\nSELECT * FROM s.missing_table;", label="bad.sql"
        )
    cause, location, *_ = str(err.value).splitlines()
    assert cause.startswith("CatalogException: Catalog Error: Table with name missing_table does not exist")
    assert location == "bad.sql: statement 2 failed (SELECT * FROM s.missing_table)"
    assert "missing_table" in err.value.engine_error
    assert not is_transient(err.value.__cause__)


def _hold_lock(db: Path, seconds: float) -> subprocess.Popen:
    code = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); c.execute('CREATE TABLE IF NOT EXISTS x(a INT)');"
        "print('locked', flush=True); time.sleep(float(sys.argv[2]))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout and proc.stdout.readline().strip() == "locked"
    return proc


@pytest.mark.parametrize(
    ("timeout", "waits"), [(30.0, True), (0.2, False)], ids=["waits_for_lock", "times_out"]
)
def test_parallel_process_waits_for_the_file_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, timeout: float, waits: bool
) -> None:
    db = tmp_path / "locked.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_IDU_LOCK", json.dumps({"conn_type": "duckdb", "host": str(db)}))
    holder = _hold_lock(db, 1.5)
    engine = DuckDBEngine("idu_lock", lock_timeout=timeout)
    started = time.monotonic()
    try:
        if waits:
            assert engine.scalar("SELECT 1") == 1
            assert time.monotonic() - started > 0.5  # it really waited for the other process
        else:
            with pytest.raises(StatementError) as err:
                engine.scalar("SELECT 1")
            assert isinstance(err.value.__cause__, duckdb.IOException)
            assert is_transient(
                err.value.__cause__
            )  # so Airflow retries the task instead of failing it for good
    finally:
        engine.close()
        holder.wait()


def _loop(prefix: str = "p") -> LoopSpec:
    return LoopSpec(prefix=prefix, catalog="cat", schema="sch", files=(Path("x.sql"),))


def test_loop_log_round_trip_and_stale_records(engine: DuckDBEngine) -> None:
    engine.run_script(
        "CREATE SCHEMA IF NOT EXISTS sch; CREATE TABLE sch.p_graph_unify_loop_0 AS SELECT 1 AS a", label="s"
    )
    log = LoopLog(engine, _loop(), key="run1")
    assert log.load().next_iteration == 1
    for k, count in ((1, 5), (2, 0)):
        log.append(
            IterationRecord(iteration=k, updated_count=count, rows=10, seconds=0.5, source=SqlSource.FILE)
        )
    state = LoopLog(engine, _loop(), key="run1").load()
    assert [r.iteration for r in state.history] == [1, 2] and state.converged
    assert LoopLog(engine, _loop(), key="other-run").load().history == []
    # Setup ran again (loop_0 re-created with other data): the records no longer describe this graph.
    engine.run_script("CREATE OR REPLACE TABLE sch.p_graph_unify_loop_0 AS SELECT * FROM range(3)", label="s")
    assert LoopLog(engine, _loop(), key="run1").load().history == []


def test_a_failing_query_is_a_statement_error_naming_it(engine: DuckDBEngine) -> None:
    with pytest.raises(StatementError) as err:
        engine.scalar("SELECT COUNT(*) FROM nowhere.missing_table", label="convergence check of iteration 3")
    assert str(err.value).splitlines()[1] == (
        "convergence check of iteration 3: statement 1 failed (SELECT COUNT(*) FROM nowhere.missing_table)"
    )
    assert not is_transient(err.value.__cause__)  # a SQL error: failing the task, not retrying it


@pytest.mark.parametrize(
    ("sql", "ok"),
    [
        ("CREATE TABLE cat.sch.t AS SELECT 1 AS a; SELECT * FROM src.other.t", True),
        ("CREATE TABLE cat.sch.t AS SELECT 1 AS a; SELECT * FROM other_cat.sch.t", False),
    ],
    ids=["distinct-schemas", "one-schema-two-catalogs"],
)
def test_catalogs_that_one_file_cannot_hold_apart_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql: str, ok: bool
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_IDU_MAP", json.dumps({"conn_type": "duckdb", "host": str(tmp_path / "m.duckdb")})
    )
    engine = DuckDBEngine("idu_map", catalog="cat", schema="sch")
    try:
        engine.run_script(
            "CREATE SCHEMA other; CREATE SCHEMA sch; CREATE TABLE other.t AS SELECT 1 AS a", label="prep"
        )
        if ok:
            engine.run_script(sql, label="f.sql")
            return
        with pytest.raises(StatementError, match=r"schema 'sch' is used in catalogs 'cat' and 'other_cat'"):
            engine.run_script(sql, label="f.sql")
        # Refused before it ran: the statement that would have read the other catalog's tables.
        assert engine.scalar("SELECT COUNT(*) FROM cat.sch.t") == 1
        # Queries (the convergence check, report counts) are checked the same way as scripts.
        with pytest.raises(StatementError, match=r"schema 'sch' is used in catalogs 'cat' and 'other_cat'"):
            engine.scalar("SELECT COUNT(*) FROM other_cat.sch.t", label="check")
    finally:
        engine.close()
