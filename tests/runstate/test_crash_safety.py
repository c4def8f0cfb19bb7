"""The state moves only at the commit point; every step can be repeated after a kill."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.plan import split_statements
from airflow_idu.runstate import PersistentIdMode
from airflow_idu.runstate import persistent_ids as sql
from airflow_idu.runstate.steps import StagingMismatchError, commit_persistent_ids, stage_persistent_ids
from tests.runstate.checks import History, check_transition
from tests.runstate.conftest import RAW, TABLES, read_day, unify
from tests.runstate.days import BRIDGE_DAY, build_daily_case

Snapshot = tuple[list[tuple[object, ...]], ...]


def snapshot(database: Path) -> Snapshot:
    with duckdb.connect(str(database), read_only=True) as con:
        return tuple(
            con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in (RAW.id_map, RAW.id_changes, RAW.lookup)
        )


def stage(engine: DuckDBEngine, run_id: str) -> None:
    stage_persistent_ids(engine, TABLES, run_id=run_id, mode=PersistentIdMode.BESIDE)


@pytest.fixture
def two_days(tmp_path: Path, open_engine: Callable[[Path], DuckDBEngine]) -> tuple[object, ...]:
    """Day 1 committed, day ``BRIDGE_DAY`` (a merge) unified; an engine on the file."""
    case = build_daily_case(tmp_path / "crash.duckdb", people=40, seed=9)
    first = unify(case, 1)
    engine = open_engine(case.database)
    stage(engine, "day1")
    commit_persistent_ids(engine, TABLES, run_id="day1")
    engine.close()
    before = read_day(case.database, first, "day1")
    graph = unify(case, BRIDGE_DAY)
    return case, before, graph, open_engine(case.database)


def test_commit_and_a_cleared_run_repeat_to_the_same_tables(two_days) -> None:
    case, _before, _graph, engine = two_days
    stage(engine, "day2")
    statements = split_statements(sql.commit_sql(TABLES, "day2", "day1"))
    assert len(statements) == 3
    for killed_after in range(len(statements)):  # a worker killed after each statement, then the retry
        engine.run_script(";\n".join(statements[:killed_after]) or "SELECT 1", label="killed commit")
        commit_persistent_ids(engine, TABLES, run_id="day2")
        engine.close()
        tables = snapshot(case.database)
        if killed_after == 0:
            reference = tables
        assert tables == reference, f"a retry after statement {killed_after} gave other tables"
    changes = stage_persistent_ids(engine, TABLES, run_id="day2", mode=PersistentIdMode.BESIDE)
    assert changes.restaged  # the cleared run finds its commit and stages it again, not anew
    commit_persistent_ids(engine, TABLES, run_id="day2")
    engine.close()
    assert snapshot(case.database) == reference
    assert changes.counts == {k: v for k, v in changes.counts.items() if v} and changes.total > 0


def test_a_run_failing_before_its_commit_point_leaves_the_state(two_days) -> None:
    case, before, graph, engine = two_days
    map_before = snapshot(case.database)[0]
    stage(engine, "failed")
    statements = split_statements(sql.commit_sql(TABLES, "failed", "day1"))
    engine.run_script(";\n".join(statements[:-1]), label="commit killed before the map")
    engine.close()
    assert snapshot(case.database)[0] == map_before, "the map moved before the commit point"
    # the next run stages on the same state, and its commit drops the failed run's log rows
    stage(engine, "next")
    commit_persistent_ids(engine, TABLES, run_id="next")
    engine.close()
    with duckdb.connect(str(case.database), read_only=True) as con:
        runs = {r for (r,) in con.execute(f"SELECT DISTINCT run_id FROM {RAW.id_changes}").fetchall()}
    assert runs == {"day1", "next"}
    after = read_day(case.database, graph, "next")
    check_transition(before, after, History(given=set(before.ids.values())))


def test_commit_refuses_another_runs_staging(two_days) -> None:
    case, _before, _graph, engine = two_days
    map_before = snapshot(case.database)[0]
    stage(engine, "other")
    with pytest.raises(StagingMismatchError, match="other"):
        commit_persistent_ids(engine, TABLES, run_id="mine")
    engine.close()
    assert snapshot(case.database)[0] == map_before
