"""The prepare and commit steps alone, on tiny source tables: when a run refreshes in full, what its
window is, and that the watermarks move only at a commit and only forward."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from airflow_idu.generate.sqltext import GRAPH_COLUMNS
from airflow_idu.runstate.incremental import RefreshReason
from airflow_idu.runstate.incremental_steps import (
    WindowMismatchError,
    commit_incremental,
    prepare_incremental,
)
from tests.incremental.case import SOURCE_TABLES
from tests.incremental.driver import RAW, TABLES, engine_on, generate, watermarks

DAY = 86_400
LOOKBACK = 2 * DAY


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    """A DuckDB file with the four source tables (times 1000 .. 1000 + 10 days) and the directory."""
    database = tmp_path / "w.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE SCHEMA customer_db")
        for table in SOURCE_TABLES:
            con.execute(
                f"CREATE TABLE customer_db.{table} AS SELECT 1000 + i * {DAY} AS time FROM range(11) t(i)"
            )
    return database, generate(tmp_path / "sql", incremental=True)


def _graph_rows(database: Path) -> None:
    """A previous graph and this run's (empty) links, as the directory's files would leave them."""
    columns = ", ".join(GRAPH_COLUMNS).replace("STRING", "VARCHAR").replace("ARRAY<BIGINT>", "BIGINT[]")
    with duckdb.connect(str(database)) as con:
        con.execute(f"CREATE OR REPLACE TABLE {RAW.edges_delta} ({columns})")
        con.execute(f"INSERT INTO {RAW.graph()} VALUES ('a', 1, 'a', 1, 1, 1, [1], 1)")


def _run(database: Path, sql_dir: Path, run_id: str, monkeypatch, *, full: bool = False, commit: bool = True):
    with engine_on(database, monkeypatch) as engine:
        window = prepare_incremental(engine, TABLES, sql_dir, run_id=run_id, full_refresh=full)
    if commit:
        _graph_rows(database)
        with engine_on(database, monkeypatch) as engine:
            commit_incremental(engine, TABLES, run_id=run_id)
    return window


def _add_rows(database: Path, time: int) -> None:
    with duckdb.connect(str(database)) as con:
        for table in SOURCE_TABLES:
            con.execute(f"INSERT INTO customer_db.{table} VALUES ({time})")


def test_first_run_is_full_then_incremental_with_the_look_back(setup, monkeypatch) -> None:
    database, sql_dir = setup
    first = _run(database, sql_dir, "r1", monkeypatch)
    assert (first.reason, {r.since for r in first.rows}) == (RefreshReason.NO_STATE, {None})
    mark = 1000 + 10 * DAY
    assert {w for _t, w, _d, _r in watermarks(database)} == {mark}
    _add_rows(database, mark + DAY)
    second = _run(database, sql_dir, "r2", monkeypatch)
    assert second.reason is RefreshReason.INCREMENTAL
    assert {(r.since, r.upper) for r in second.rows} == {(mark - LOOKBACK, mark + DAY)}
    assert {w for _t, w, _d, r in watermarks(database)} == {mark + DAY}
    assert {r for *_, r in watermarks(database)} == {"r2"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("requested", RefreshReason.REQUESTED),
        ("directory", RefreshReason.DIGEST_CHANGED),
        ("lookback", RefreshReason.DIGEST_CHANGED),
        ("graph_dropped", RefreshReason.NO_STATE),
        ("state_dropped", RefreshReason.NO_STATE),
        ("nothing", RefreshReason.INCREMENTAL),
    ],
    ids=lambda v: str(v),
)
def test_what_forces_a_full_refresh(setup, monkeypatch, change: str, reason: RefreshReason) -> None:
    database, sql_dir = setup
    _run(database, sql_dir, "r1", monkeypatch)
    if change == "directory":
        path = sql_dir / "31_filter_lookup.sql"
        path.write_text(path.read_text() + "\n-- edited by hand\n")
    elif change == "lookback":
        marker = sql_dir / "incremental.json"
        marker.write_text(marker.read_text().replace("172800", "3600"))
    elif change in ("graph_dropped", "state_dropped"):
        table = RAW.graph() if change == "graph_dropped" else RAW.run_state
        with duckdb.connect(str(database)) as con:
            con.execute(f"DELETE FROM {table}")
    window = _run(database, sql_dir, "r2", monkeypatch, full=change == "requested", commit=False)
    assert window.reason is reason
    assert window.full_refresh is (reason is not RefreshReason.INCREMENTAL)
    assert all((r.since is None) is window.full_refresh for r in window.rows)


def test_an_uncommitted_full_refresh_is_repeated(setup, monkeypatch) -> None:
    database, sql_dir = setup
    _run(database, sql_dir, "r1", monkeypatch)
    assert _run(database, sql_dir, "r2", monkeypatch, full=True, commit=False).full_refresh  # fails later
    assert _run(database, sql_dir, "r3", monkeypatch, commit=False).reason is RefreshReason.PENDING
    assert _run(database, sql_dir, "r3", monkeypatch).reason is RefreshReason.PENDING  # its retry
    assert _run(database, sql_dir, "r4", monkeypatch, commit=False).reason is RefreshReason.INCREMENTAL


def test_watermarks_move_only_forward_and_only_at_a_commit(setup, monkeypatch) -> None:
    database, sql_dir = setup
    _run(database, sql_dir, "r1", monkeypatch)
    before = watermarks(database)
    _add_rows(database, 1000 + 20 * DAY)
    _run(database, sql_dir, "r2", monkeypatch, commit=False)  # a run that fails before its commit
    assert watermarks(database) == before
    # a backfill after the newest rows were deleted (or an older day re-run): the maxima are smaller
    with duckdb.connect(str(database)) as con:
        for table in SOURCE_TABLES:
            con.execute(f"DELETE FROM customer_db.{table} WHERE time > 1000 + {5 * DAY}")
    _run(database, sql_dir, "r3", monkeypatch, full=True)
    assert {w for _t, w, *_ in watermarks(database)} == {1000 + 10 * DAY}


def test_the_commit_refuses_another_runs_window_and_repeats_cleanly(setup, monkeypatch) -> None:
    database, sql_dir = setup
    _run(database, sql_dir, "r1", monkeypatch)
    _run(database, sql_dir, "r2", monkeypatch, commit=False)
    _graph_rows(database)
    with engine_on(database, monkeypatch) as engine, pytest.raises(WindowMismatchError, match="r2"):
        commit_incremental(engine, TABLES, run_id="r1")
    with engine_on(database, monkeypatch) as engine:
        first = commit_incremental(engine, TABLES, run_id="r2")
    state = watermarks(database)
    with engine_on(database, monkeypatch) as engine:
        again = commit_incremental(engine, TABLES, run_id="r2")  # a retry after the commit point
    assert first == again
    assert watermarks(database) == state
