"""The writer lease on a real DuckDB file: take, wait, renew, expire, release, lost races, conflicts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from airflow_idu.engines import StatementError
from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.lease.model import LeaseSettings, WriterLease, is_conflict
from airflow_idu.plan.contract import lease_table

TABLE = "cat.s.idu_writer_lease"
TTL = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(lease_conn_id: str) -> Any:
    eng = DuckDBEngine(lease_conn_id)
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


@pytest.mark.parametrize(
    ("elapsed", "fresh"),
    [(0.0, True), (TTL * 0.24, True), (TTL * 0.25, False), (TTL * 0.9, False)],
    ids=["just-renewed", "under-a-quarter-ttl", "a-quarter-ttl", "nearly-expired"],
)
def test_a_holder_renews_only_once_a_quarter_ttl_has_passed(
    lease: WriterLease, clock: Clock, elapsed: float, fresh: bool
) -> None:
    """Each task checks the lease; it writes (renews) only when the last renewal is a quarter TTL old."""
    lease.take("a", "dag / run a")
    clock.now += elapsed
    assert lease.is_fresh(lease.holder(), "a") is fresh
    assert not lease.is_fresh(lease.holder(), "b")  # not the holder: never fresh for b
    assert not lease.is_fresh(None, "a")
