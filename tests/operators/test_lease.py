"""The writer lease's tasks: each run's token, the guard before every write, and lease_release."""

from __future__ import annotations

import time
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


def test_acquire_then_guard_then_release(lease_conn_id: str) -> None:
    first, second = run_context("d", "first"), run_context("d", "second")
    assert acquire_sensor(lease_conn_id).poke(first)  # type: ignore[arg-type]
    assert not acquire_sensor(lease_conn_id).poke(second)  # type: ignore[arg-type]  # waits

    task = LeaseReleaseOperator(
        task_id="setup.01_create_graph", conn_id=lease_conn_id, catalog="cat", schema="s"
    )
    guard = LeaseGuard(ttl=timedelta(minutes=5))
    guard({**first, "task": task})  # type: ignore[arg-type]  # holder: passes and renews
    with pytest.raises(AirflowFailException, match="d / first"):
        guard({**second, "task": task})  # type: ignore[arg-type]  # not the holder: fails, naming it

    LeaseReleaseOperator(task_id="lease_release", conn_id=lease_conn_id, catalog="cat", schema="s").execute(
        first
    )  # type: ignore[arg-type]
    assert acquire_sensor(lease_conn_id).poke(second)  # type: ignore[arg-type]  # free now


def test_guard_takes_a_free_lease_again(lease_conn_id: str) -> None:
    """A task cleared in a finished run (without lease_acquire) takes the free lease for its run."""
    task = LeaseReleaseOperator(task_id="stats.06", conn_id=lease_conn_id, catalog="cat", schema="s")
    holder = LeaseGuard(ttl=timedelta(minutes=5)).check(task, run_context("d", "cleared"))  # type: ignore[arg-type]
    assert holder.holder == "d / cleared"
    assert not acquire_sensor(lease_conn_id).poke(run_context("d", "other"))  # type: ignore[arg-type]


def test_release_leaves_closing_its_engine_to_the_base_class(lease_conn_id: str) -> None:
    release = LeaseReleaseOperator(task_id="lease_release", conn_id=lease_conn_id, catalog="cat", schema="s")
    release.execute(run_context("d", "r"))  # type: ignore[arg-type]
    assert "engine" not in release.__dict__  # closed: the DuckDB file is free for the next task


def test_guard_reads_a_fresh_lease_and_renews_a_stale_one(lease_conn_id: str) -> None:
    """Two tasks in a row: the second finds the lease renewed moments ago and sends no UPDATE; with
    the lease's last renewal a quarter TTL back it renews (its expiry moves on)."""
    from airflow_idu.engines.duckdb import DuckDBEngine
    from airflow_idu.plan.contract import lease_table

    run = run_context("d", "fresh")
    assert acquire_sensor(lease_conn_id).poke(run)  # type: ignore[arg-type]
    task = LeaseReleaseOperator(task_id="stats.06", conn_id=lease_conn_id, catalog="cat", schema="s")
    guard = LeaseGuard(ttl=timedelta(minutes=5))
    sent: list[str] = []
    engine = task.engine
    run_script = engine.run_script

    def recording(sql: str, *, label: str) -> object:
        sent.append(label)
        return run_script(sql, label=label)

    engine.run_script = recording  # type: ignore[method-assign]
    first = guard.check(task, run)  # type: ignore[arg-type]
    assert "writer lease renew" not in sent  # acquired moments ago: read, not written
    task.close_engine()

    assert first.expires_at - time.time() > 225  # acquired with the sensor's TTL: fresh for this guard
    con = DuckDBEngine(lease_conn_id)  # 2 minutes left: renewed more than a quarter TTL (75 s) ago
    con.run_script(f"UPDATE {lease_table('cat', 's')} SET expires_at = {time.time() + 120!r}", label="test")
    con.close()
    renewed = guard.check(task, run)  # type: ignore[arg-type]
    assert renewed.expires_at > time.time() + 250  # renewed now: the guard's 5 minutes ahead
    task.close_engine()
