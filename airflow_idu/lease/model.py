"""One writer per target schema: a lease row kept in ``<catalog>.<schema>.idu_writer_lease``.

Every run of every workflow that writes a schema takes the schema's lease before its first
write (the ``lease_acquire`` sensor), checks and renews it before each task writes (the
:class:`LeaseGuard`, run as each task's ``pre_execute``; the loop renews it per iteration),
and gives it back at the end, also after a failure (``lease_release``, a teardown). A run that
crashed without releasing stops renewing, so its lease expires after the TTL and the next run
takes it. The lease lives next to the data, so it holds across backfills, manual triggers,
schedules, other DAGs and other Airflow deployments alike.

Taking it is one ``INSERT ... SELECT ... WHERE NOT EXISTS`` and a read-back: on DuckDB the file
lock serialises writers; on Databricks a concurrent taker gets a Delta conflict (read as "not
taken, try again") or, should both rows land, both read the same earliest row as the holder.
Times are the workers' clocks (epoch seconds): keep them in sync (NTP) across deployments.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from airflow_idu.engines.base import StatementError
from airflow_idu.engines.databricks_errors import is_write_conflict
from airflow_idu.plan.contract import lease_table

if TYPE_CHECKING:
    from airflow_idu.engines import Engine

__all__ = [
    "CONFLICT_ATTEMPTS",
    "DEFAULT_LEASE_POKE_INTERVAL",
    "DEFAULT_LEASE_TTL",
    "RENEW_AFTER_FRACTION",
    "LeaseHolder",
    "LeaseSettings",
    "WriterLease",
    "is_conflict",
    "iso",
    "retry_conflicts",
]

DEFAULT_LEASE_TTL = timedelta(minutes=30)
DEFAULT_LEASE_POKE_INTERVAL = 30.0
# A holder renews the lease once a quarter of its TTL has passed since the last renewal, not at every
# task: each task and loop iteration still starts with at least three quarters of the TTL ahead, and
# a run of quick tasks sends one read per task instead of a write (on a Spark catalog without row-level
# DML an UPDATE rewrites the lease table: about 2 s a task).
RENEW_AFTER_FRACTION = 0.25
T = TypeVar("T")
CONFLICT_ATTEMPTS = 3  # a lease statement that lost a write race is sent again after 1 s, then 2 s
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:+\-/ @]")


@dataclass(frozen=True, kw_only=True)
class LeaseSettings:
    """How the writer lease behaves; ``create_unification_dag(writer_lease=LeaseSettings(...))``.

    :param ttl: the lease expires this long after its last renewal (a crashed run's lease frees
        itself then). Every writing task checks it as it starts, the loop before each iteration, and
        renews it once a quarter of the TTL has passed since the last renewal, so three quarters of
        it must exceed the longest single task or iteration.
    :param poke_interval: seconds between tries of a run waiting in ``lease_acquire``.
    """

    ttl: timedelta = DEFAULT_LEASE_TTL
    poke_interval: float = DEFAULT_LEASE_POKE_INTERVAL

    def __post_init__(self) -> None:
        if not isinstance(self.ttl, timedelta) or self.ttl.total_seconds() <= 0:
            raise ValueError(f"LeaseSettings.ttl must be a positive timedelta, got {self.ttl!r}")
        if self.poke_interval <= 0:
            raise ValueError(f"LeaseSettings.poke_interval must be > 0 seconds, got {self.poke_interval!r}")


def is_conflict(err: StatementError) -> bool:
    """A Delta write conflict on the lease table: someone else changed it at the same moment."""
    return is_write_conflict(err.engine_error)


def retry_conflicts(
    work: Callable[[], T],
    *,
    attempts: int = CONFLICT_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``work``; after a write conflict on the lease table wait ``attempt`` seconds and run it again
    (``attempts`` in all). Any other error, or a conflict on the last attempt, is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except StatementError as err:
            if not is_conflict(err) or attempt == attempts:
                raise
            sleep(attempt)
    raise AssertionError("unreachable")


@dataclass(frozen=True, kw_only=True)
class LeaseHolder:
    token: str
    holder: str
    acquired_at: float
    expires_at: float

    def describe(self, now: float) -> str:
        return (
            f"{self.holder} (since {iso(self.acquired_at)}, expires {iso(self.expires_at)}, "
            f"in {max(0, round(self.expires_at - now))} s, unless renewed)"
        )


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="seconds")


def _literal(text: str) -> str:
    """A SQL string literal both engines read the same way (no quotes or backslashes inside)."""
    return "'" + _UNSAFE.sub("_", text) + "'"


class WriterLease:
    """The lease row of one schema, read and written through an engine. No Airflow here."""

    @classmethod
    def of_schema(
        cls, engine: Engine, catalog: str | None, schema: str | None, *, ttl_seconds: float
    ) -> WriterLease:
        """The lease of ``catalog.schema`` (its table is named by the SQL contract)."""
        return cls(engine, lease_table(catalog, schema), ttl_seconds=ttl_seconds)

    def __init__(
        self, engine: Engine, table: str, *, ttl_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError(f"lease ttl must be > 0 seconds, got {ttl_seconds}")
        self.engine = engine
        self.table = table
        self.ttl = float(ttl_seconds)
        self.clock = clock

    def ensure_table(self) -> None:
        # Before setup ran, the schema may not exist yet; USE SCHEMA creates it on DuckDB (as the
        # files' own USE lines do) and is skipped on Databricks, whose session starts in it.
        schema = self.table.split(".")[-2] if self.table.count(".") else None
        use = f"USE SCHEMA {schema};\n" if schema else ""
        self.engine.run_script(
            f"{use}CREATE TABLE IF NOT EXISTS {self.table} "
            "(token STRING, holder STRING, acquired_at DOUBLE, expires_at DOUBLE)",
            label="writer lease",
        )

    def holder(self) -> LeaseHolder | None:
        """The live holder: the earliest taken unexpired row (one row, unless two takers raced)."""
        rows = self.engine.query(
            f"SELECT token, holder, acquired_at, expires_at FROM {self.table} "
            f"WHERE expires_at > {self.clock()!r} ORDER BY acquired_at, token",
            label="writer lease holder",
        )
        if not rows:
            return None
        token, holder, acquired, expires = rows[0]
        return LeaseHolder(
            token=str(token), holder=str(holder), acquired_at=float(acquired), expires_at=float(expires)
        )

    def take(self, token: str, holder: str) -> LeaseHolder | None:
        """Take the lease if nobody holds it (expired rows are dropped); return who holds it now."""
        now = self.clock()
        self.engine.run_script(
            f"DELETE FROM {self.table} WHERE expires_at <= {now!r};\n"
            f"INSERT INTO {self.table} (token, holder, acquired_at, expires_at) "
            f"SELECT {_literal(token)}, {_literal(holder)}, {now!r}, {now + self.ttl!r} "
            f"FROM (SELECT 1 AS one) AS one "
            f"WHERE NOT EXISTS (SELECT 1 FROM {self.table} WHERE expires_at > {now!r})",
            label="writer lease take",
        )
        current = self.holder()
        if current is not None and current.token != token:
            self.release(token)  # lost a race in which both rows landed: leave only the winner's
        return current

    def is_fresh(self, current: LeaseHolder | None, token: str) -> bool:
        """``token`` holds the lease and renewed it less than a quarter TTL ago: no renewal needed."""
        if current is None or current.token != token:
            return False
        return current.expires_at - self.clock() > self.ttl * (1 - RENEW_AFTER_FRACTION)

    def renew(self, token: str) -> LeaseHolder | None:
        """Move this holder's expiry on (only while it still holds it); return who holds it now."""
        now = self.clock()
        self.engine.run_script(
            f"UPDATE {self.table} SET expires_at = {now + self.ttl!r} "
            f"WHERE token = {_literal(token)} AND expires_at > {now!r}",
            label="writer lease renew",
        )
        return self.holder()

    def release(self, token: str) -> None:
        self.engine.run_script(
            f"DELETE FROM {self.table} WHERE token = {_literal(token)}", label="writer lease release"
        )
