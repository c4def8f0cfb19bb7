"""The writer lease's tasks: each run's token, the guard before every write, and lease_release."""

from __future__ import annotations

from datetime import timedelta

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_idu.operators.lease import LeaseGuard, LeaseReleaseOperator, run_holder
from tests.lease.runs import acquire_sensor, run_context


def test_token_is_per_run() -> None:
    a1, holder = run_holder(run_context("d", "r1"))  # type: ignore[arg-type]
    a2, _ = run_holder(run_context("d", "r1"))  # type: ignore[arg-type]
    b, _ = run_holder(run_context("d", "r2"))  # type: ignore[arg-type]
    assert a1 == a2 != b and holder == "d / r1"


def test_acquire_then_guard_then_release(duckdb_conn: str) -> None:
    first, second = run_context("d", "first"), run_context("d", "second")
    assert acquire_sensor(duckdb_conn).poke(first)  # type: ignore[arg-type]
    assert not acquire_sensor(duckdb_conn).poke(second)  # type: ignore[arg-type]  # waits

    task = LeaseReleaseOperator(
        task_id="setup.01_create_graph", conn_id=duckdb_conn, catalog="cat", schema="s"
    )
    guard = LeaseGuard(ttl=timedelta(minutes=5))
    guard({**first, "task": task})  # type: ignore[arg-type]  # holder: passes and renews
    with pytest.raises(AirflowFailException, match="d / first"):
        guard({**second, "task": task})  # type: ignore[arg-type]  # not the holder: fails, naming it

    LeaseReleaseOperator(task_id="lease_release", conn_id=duckdb_conn, catalog="cat", schema="s").execute(
        first
    )  # type: ignore[arg-type]
    assert acquire_sensor(duckdb_conn).poke(second)  # type: ignore[arg-type]  # free now


def test_guard_takes_a_free_lease_again(duckdb_conn: str) -> None:
    """A task cleared in a finished run (without lease_acquire) takes the free lease for its run."""
    task = LeaseReleaseOperator(task_id="stats.06", conn_id=duckdb_conn, catalog="cat", schema="s")
    holder = LeaseGuard(ttl=timedelta(minutes=5)).check(task, run_context("d", "cleared"))  # type: ignore[arg-type]
    assert holder.holder == "d / cleared"
    assert not acquire_sensor(duckdb_conn).poke(run_context("d", "other"))  # type: ignore[arg-type]


def test_release_leaves_closing_its_engine_to_the_base_class(duckdb_conn: str) -> None:
    release = LeaseReleaseOperator(task_id="lease_release", conn_id=duckdb_conn, catalog="cat", schema="s")
    release.execute(run_context("d", "r"))  # type: ignore[arg-type]
    assert "engine" not in release.__dict__  # closed: the DuckDB file is free for the next task
