"""LoopRunner on the embedded engine (a real DuckDB file): steps, log rows, resume, limit, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.loop import ConvergenceCheckError, LoopNotConvergedError, LoopRunner
from airflow_idu.plan import LoopSpec, SqlSource

COPY = "CREATE OR REPLACE TABLE s.p_graph_unify_loop_1 AS SELECT * FROM s.p_graph_unify_loop_0;"
# A new row every iteration (its id is the previous table's row count): never converges.
GROW = (
    "CREATE OR REPLACE TABLE s.p_graph_unify_loop_1 AS SELECT * FROM s.p_graph_unify_loop_0 "
    "UNION ALL SELECT 'n', CAST((SELECT COUNT(*) FROM s.p_graph_unify_loop_0) AS STRING), 'n', 'f';"
)


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DuckDBEngine]:
    db = tmp_path / "r.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_IDU_RUNNER", json.dumps({"conn_type": "duckdb", "host": str(db)}))
    eng = DuckDBEngine("idu_runner")
    eng.run_script(
        "CREATE SCHEMA s; CREATE TABLE s.p_graph_unify_loop_0 (leader_ns STRING, leader_id STRING, "
        "follower_ns STRING, follower_id STRING); INSERT INTO s.p_graph_unify_loop_0 VALUES "
        "('n', 'a', 'n', 'a'), ('n', 'a', 'n', 'b');",
        label="setup",
    )
    yield eng
    eng.close()


def _spec(tmp_path: Path, sql: str) -> LoopSpec:
    path = tmp_path / "04_unify_loop_iteration_01.sql"
    path.write_text(sql)
    return LoopSpec(prefix="p", catalog=None, schema="s", files=(path,))


def test_converges_logs_and_resumes(engine: DuckDBEngine, tmp_path: Path) -> None:
    loop = _spec(tmp_path, COPY)
    runner = LoopRunner(engine, loop, "key1")
    record = runner.step()
    assert (record.iteration, record.updated_count, record.rows, record.source) == (1, 0, 2, SqlSource.FILE)
    assert runner.converged
    result, final = runner.finish()
    assert result["converged"] is True and result["iterations"] == 1
    assert result["history"] == [record.to_dict()]
    assert engine.scalar("SELECT COUNT(*) FROM s.p_graph_unify_loop_final") == 2
    assert len(final) == 1
    again = LoopRunner(engine, loop, "key1")  # a new process: the log has the iteration
    assert again.converged and again.next_iteration == 2
    assert LoopRunner(engine, loop, "other-key").next_iteration == 1


def test_limit_fails_with_the_recent_counts(engine: DuckDBEngine, tmp_path: Path) -> None:
    runner = LoopRunner(engine, _spec(tmp_path, GROW), "key2", max_iterations=3)
    sources = []
    for _ in range(3):
        runner.check_limit()
        sources.append(runner.step().source)
    assert sources == [SqlSource.FILE, SqlSource.DERIVED, SqlSource.DERIVED]
    with pytest.raises(LoopNotConvergedError, match=r"did not converge in 3 iterations .*recent: 1, 1, 1"):
        runner.check_limit()


def test_record_refuses_a_count_that_is_missing_or_out_of_order(engine: DuckDBEngine, tmp_path: Path) -> None:
    runner = LoopRunner(engine, _spec(tmp_path, COPY), "key3", resume=False)
    with pytest.raises(ConvergenceCheckError, match="iteration 1 returned no row"):
        runner.record(runner.work(), updated_count=None, rows=None, seconds=0.0)
    with pytest.raises(ValueError, match="iteration 4 finished, but the loop is at iteration 1"):
        runner.record(runner.work(4), updated_count=0, rows=None, seconds=0.0)
    assert not engine.query("SELECT * FROM information_schema.tables WHERE table_name = 'p_unify_loop_log'")


def test_an_iteration_recorded_twice_does_not_cut_the_history(engine: DuckDBEngine, tmp_path: Path) -> None:
    """A killed try's loop-log INSERT of iteration 2 lands after its retry recorded 2 and 3."""
    loop = _spec(tmp_path, GROW)
    runner = LoopRunner(engine, loop, "key5")
    for _ in range(3):
        runner.step()
    runner.loop_log.append(runner.state.history[1])
    again = LoopRunner(engine, loop, "key5")
    assert [r.iteration for r in again.state.history] == [1, 2, 3]
    assert again.next_iteration == 4


@pytest.mark.parametrize(("optimize", "expected"), [(False, 2), (True, 3)], ids=["plain", "optimize"])
def test_work_statements_end_with_the_count(
    engine: DuckDBEngine, tmp_path: Path, optimize: bool, expected: int
) -> None:
    work = LoopRunner(engine, _spec(tmp_path, COPY), "key4", optimize=optimize, resume=False).work()
    pairs = work.statements()
    assert len(pairs) == expected
    assert pairs[0] == (work.label, COPY.rstrip(";"))
    assert pairs[-1] == (work.convergence_label, work.convergence_sql)
