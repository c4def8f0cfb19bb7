"""The writer lease on a real DuckDB file: take, wait, renew, expire, release, lost races, conflicts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_idu.engines import StatementError
from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.lease import LeaseSettings, WriterLease, is_conflict
from airflow_idu.operators.lease import LeaseGuard, LeaseReleaseOperator, run_holder
from airflow_idu.plan.contract import lease_table
from airflow_idu.sensors.lease import LeaseAcquireSensor

TABLE = "cat.s.idu_writer_lease"
TTL = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def conn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    db = tmp_path / "lease.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_IDU_LEASE", json.dumps({"conn_type": "duckdb", "host": str(db)}))
    return "idu_lease"


@pytest.fixture
def engine(conn: str) -> Any:
    eng = DuckDBEngine(conn)
    yield eng
    eng.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lease(engine: DuckDBEngine, clock: Clock) -> WriterLease:
    lease = WriterLease(engine, TABLE, ttl_seconds=TTL, clock=clock)
    lease.ensure_table()
    return lease


def test_free_lease_is_taken_and_others_wait(lease: WriterLease) -> None:
    mine = lease.take("a", "dag / run a")
    assert mine is not None and mine.token == "a" and mine.expires_at == lease.clock() + TTL
    other = lease.take("b", "dag / run b")
    assert other is not None and other.token == "a"  # b sees a as the holder and did not insert
    assert lease.engine.scalar(f"SELECT COUNT(*) FROM {TABLE}") == 1


def test_expired_lease_is_taken_over(lease: WriterLease, clock: Clock) -> None:
    lease.take("a", "crashed run")
    clock.now += TTL + 1  # a stopped renewing
    holder = lease.take("b", "next run")
    assert holder is not None and holder.token == "b"
    assert lease.engine.scalar(f"SELECT COUNT(*) FROM {TABLE}") == 1  # a's expired row is gone


@pytest.mark.parametrize(
    ("renewer", "expected_holder", "expected_expiry"),
    [("a", "a", 30 + TTL), ("b", "a", TTL)],
    ids=["holder-renews", "other-cannot-renew"],
)
def test_renew(
    lease: WriterLease, clock: Clock, renewer: str, expected_holder: str, expected_expiry: float
) -> None:
    start = clock.now
    lease.take("a", "run a")
    clock.now += 30
    holder = lease.renew(renewer)
    assert holder is not None and holder.token == expected_holder
    assert holder.expires_at == start + expected_expiry


def test_renew_after_expiry_does_not_revive_the_lease(lease: WriterLease, clock: Clock) -> None:
    lease.take("a", "run a")
    clock.now += TTL + 1
    assert lease.renew("a") is None


@pytest.mark.parametrize(("releaser", "left"), [("a", None), ("b", "a")], ids=["holder", "other"])
def test_release_only_frees_own_lease(lease: WriterLease, releaser: str, left: str | None) -> None:
    lease.take("a", "run a")
    lease.release(releaser)
    holder = lease.holder()
    assert (holder.token if holder else None) == left


def test_both_rows_landed_the_earliest_wins_and_the_loser_removes_its_row(
    lease: WriterLease, clock: Clock
) -> None:
    # What a Delta race without a conflict would leave: two live rows. Both read the same winner.
    lease.engine.run_script(
        f"INSERT INTO {TABLE} VALUES ('a', 'run a', {clock.now - 1}, {clock.now + TTL})", label="t"
    )
    lease.engine.run_script(
        f"INSERT INTO {TABLE} VALUES ('b', 'run b', {clock.now}, {clock.now + TTL})", label="t"
    )
    holder = lease.take("b", "run b")
    assert holder is not None and holder.token == "a"
    assert lease.engine.query(f"SELECT token FROM {TABLE}") == [("a",)]


@pytest.mark.parametrize(
    ("message", "conflict"),
    [
        ("[DELTA_CONCURRENT_APPEND] ConcurrentAppendException: Files were added", True),
        ("ConcurrentDeleteReadException: This transaction attempted to read", True),
        ("MetadataChangedException: The metadata of the Delta table has been changed", True),
        ("[TABLE_OR_VIEW_NOT_FOUND] The table cannot be found", False),
        ("IOException: Could not set lock on file", False),
    ],
    ids=["append", "delete-read", "metadata", "sql-error", "duckdb-lock"],
)
def test_delta_conflicts_are_recognised(message: str, conflict: bool) -> None:
    err = StatementError(label="writer lease take", index=2, statement="INSERT", error=RuntimeError(message))
    assert is_conflict(err) is conflict


def test_lease_table_is_per_schema() -> None:
    assert lease_table("c", "s") == "c.s.idu_writer_lease"
    assert lease_table(None, "s") == "s.idu_writer_lease"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"ttl": timedelta(0)}, "ttl"), ({"poke_interval": 0}, "poke_interval")],
    ids=["ttl", "poke_interval"],
)
def test_settings_are_validated(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"LeaseSettings.{field}"):
        LeaseSettings(**kwargs)


# --- the Airflow side: tokens of runs, the guard, the acquire sensor and the release ---------------


def _context(dag_id: str, run_id: str, task: Any = None) -> dict[str, Any]:
    started = pendulum.datetime(2026, 1, 1, tz="UTC")
    dag_run = SimpleNamespace(
        dag_id=dag_id, run_id=run_id, start_date=started, run_after=started, clear_number=0
    )
    return {"dag_run": dag_run, "task": task}


def test_token_is_per_run() -> None:
    a1, holder = run_holder(_context("d", "r1"))  # type: ignore[arg-type]
    a2, _ = run_holder(_context("d", "r1"))  # type: ignore[arg-type]
    b, _ = run_holder(_context("d", "r2"))  # type: ignore[arg-type]
    assert a1 == a2 != b and holder == "d / r1"


def _sensor(conn: str) -> LeaseAcquireSensor:
    return LeaseAcquireSensor(task_id="lease_acquire", conn_id=conn, catalog="cat", schema="s")


def test_acquire_then_guard_then_release(conn: str) -> None:
    first, second = _context("d", "first"), _context("d", "second")
    assert _sensor(conn).poke(first)  # type: ignore[arg-type]
    assert not _sensor(conn).poke(second)  # type: ignore[arg-type]  # waits

    task = LeaseReleaseOperator(task_id="setup.01_create_graph", conn_id=conn, catalog="cat", schema="s")
    guard = LeaseGuard(ttl=timedelta(minutes=5))
    guard({**first, "task": task})  # type: ignore[arg-type]  # holder: passes and renews
    with pytest.raises(AirflowFailException, match="d / first"):
        guard({**second, "task": task})  # type: ignore[arg-type]  # not the holder: fails, naming it

    LeaseReleaseOperator(task_id="lease_release", conn_id=conn, catalog="cat", schema="s").execute(first)  # type: ignore[arg-type]
    assert _sensor(conn).poke(second)  # type: ignore[arg-type]  # free now


def test_guard_takes_a_free_lease_again(conn: str) -> None:
    """A task cleared in a finished run (without lease_acquire) takes the free lease for its run."""
    task = LeaseReleaseOperator(task_id="stats.06", conn_id=conn, catalog="cat", schema="s")
    holder = LeaseGuard(ttl=timedelta(minutes=5)).check(task, _context("d", "cleared"))  # type: ignore[arg-type]
    assert holder.holder == "d / cleared"
    assert not _sensor(conn).poke(_context("d", "other"))  # type: ignore[arg-type]


class ConflictEngine:
    """An engine whose writes hit a Delta conflict (another taker committed first)."""

    def run_script(self, sql: str, *, label: str) -> list[Any]:
        raise StatementError(
            label=label,
            index=1,
            statement=sql,
            error=RuntimeError("[DELTA_CONCURRENT_APPEND] ConcurrentAppendException"),
        )

    def close(self) -> None:
        pass


def test_a_conflict_while_taking_means_try_again() -> None:
    sensor = _sensor("unused")
    sensor.__dict__["engine"] = ConflictEngine()
    assert sensor.poke(_context("d", "r")) is False  # type: ignore[arg-type]


def test_loop_checks_the_lease_first_then_every_quarter_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_idu.sensors import lease as lease_sensors
    from airflow_idu.sensors.lease import LeasedUnifyLoopSensor
    from airflow_idu.sensors.unify_loop import UnifyLoopSensor

    checks: list[float] = []
    now = [100.0]

    class Guard:
        ttl = timedelta(minutes=4)

        def check(self, task: Any, context: Any) -> None:
            checks.append(now[0])

    monkeypatch.setattr(UnifyLoopSensor, "poke", lambda self, context: False)
    monkeypatch.setattr(lease_sensors.time, "monotonic", lambda: now[0])
    loop = LeasedUnifyLoopSensor(
        task_id="unify_loop", loop_files=["x.sql"], canonical_id="p", lease_guard=Guard()
    )
    for step in (0, 30, 30, 0.5):  # iterations at 100, 130, 160, 160.5 (quarter TTL = 60 s)
        now[0] += step
        loop.poke({})  # type: ignore[arg-type]
    assert checks == [100.0, 160.0]


class FakeTi:
    """The Task SDK calls the acquire sensor makes to order runs by logical date."""

    dag_id = "d"

    def __init__(self, earlier: Any, first_poke: Any, earlier_lease: str | None) -> None:
        self.earlier, self.first_poke, self.earlier_lease = earlier, first_poke, earlier_lease
        self.asked: list[str] = []

    def get_previous_dagrun(self, state: str | None = None) -> Any:
        self.asked.append(str(state))
        return self.earlier

    def get_task_states(self, *, dag_id: str, run_ids: list[str], task_ids: list[str]) -> dict[str, Any]:
        return {run_id: {task_id: self.earlier_lease for task_id in task_ids} for run_id in run_ids}

    def get_first_reschedule_date(self, context: Any) -> Any:
        return self.first_poke


_EARLIER = SimpleNamespace(
    run_id="backfill__2026-01-01", logical_date=pendulum.datetime(2026, 1, 1, tz="UTC")
)
_DAY2 = pendulum.datetime(2026, 1, 2, tz="UTC")


@pytest.mark.parametrize(
    ("logical_date", "earlier", "earlier_lease", "waited", "takes"),
    [
        (_DAY2, None, None, None, True),
        (_DAY2, _EARLIER, "up_for_reschedule", None, False),
        (_DAY2, _EARLIER, None, None, False),
        (_DAY2, _EARLIER, "success", None, True),
        (_DAY2, _EARLIER, "up_for_reschedule", timedelta(minutes=5), False),
        (_DAY2, _EARLIER, "up_for_reschedule", timedelta(hours=1), True),
        (None, _EARLIER, "up_for_reschedule", None, True),
    ],
    ids=[
        "no_earlier_run",
        "earlier_run_waiting",
        "earlier_run_not_at_its_lease_task_yet",
        "earlier_run_had_the_lease",
        "waited_less_than_ttl",
        "waited_past_ttl",
        "no_logical_date",
    ],
)
def test_a_free_lease_goes_to_the_earliest_running_run_of_the_dag(
    conn: str,
    logical_date: Any,
    earlier: Any,
    earlier_lease: str | None,
    waited: timedelta | None,
    takes: bool,
) -> None:
    from airflow.sdk import timezone

    ti = FakeTi(earlier, None if waited is None else timezone.utcnow() - waited, earlier_lease)
    context = _context("d", "later")
    context["dag_run"].logical_date = logical_date
    context["ti"] = ti
    assert bool(_sensor(conn).poke(context)) is takes  # type: ignore[arg-type]  # the lease is free
    assert ti.asked == ([] if logical_date is None else ["running"])  # only running runs go first
