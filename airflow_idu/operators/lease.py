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

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk.exceptions import AirflowFailException

from airflow_idu.engines.base import StatementError
from airflow_idu.engines.databricks_errors import is_write_conflict
from airflow_idu.operators.base import IduBaseOperator, record_failure
from airflow_idu.plan.contract import lease_table

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_idu.engines import Engine

__all__ = [
    "DEFAULT_LEASE_POKE_INTERVAL",
    "DEFAULT_LEASE_TTL",
    "LeaseGuard",
    "LeaseHolder",
    "LeaseReleaseOperator",
    "LeaseSettings",
    "WriterLease",
    "is_conflict",
    "lease_table",
    "retry_conflicts",
    "run_holder",
]

DEFAULT_LEASE_TTL = timedelta(minutes=30)
DEFAULT_LEASE_POKE_INTERVAL = 30.0
T = TypeVar("T")
CONFLICT_ATTEMPTS = 3  # a lease statement that lost a write race is sent again after 1 s, then 2 s
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:+\-/ @]")


@dataclass(frozen=True, kw_only=True)
class LeaseSettings:
    """How the writer lease behaves; ``create_unification_dag(writer_lease=LeaseSettings(...))``.

    :param ttl: the lease expires this long after its last renewal (a crashed run's lease frees
        itself then). Every writing task renews it as it starts, the loop before each iteration,
        so it must exceed the longest single task or iteration.
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


def retry_conflicts(work: Callable[[], T], *, attempts: int = CONFLICT_ATTEMPTS) -> T:
    """Run ``work``; after a write conflict on the lease table run it again (``attempts`` in all).
    Any other error, or a conflict on the last attempt, is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except StatementError as err:
            if not is_conflict(err) or attempt == attempts:
                raise
            time.sleep(attempt)
    raise AssertionError("unreachable")


@dataclass(frozen=True, kw_only=True)
class LeaseHolder:
    token: str
    holder: str
    acquired_at: float
    expires_at: float

    def describe(self, now: float) -> str:
        return (
            f"{self.holder} (since {_iso(self.acquired_at)}, expires {_iso(self.expires_at)}, "
            f"in {max(0, round(self.expires_at - now))} s, unless renewed)"
        )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="seconds")


def _literal(text: str) -> str:
    """A SQL string literal both engines read the same way (no quotes or backslashes inside)."""
    return "'" + _UNSAFE.sub("_", text) + "'"


class WriterLease:
    """The lease row of one schema, read and written through an engine. No Airflow here."""

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


def run_holder(context: Context) -> tuple[str, str]:
    """``(token, holder)`` of this DAG run: the same in every task and try of the run, different
    for every other run (also a run of the same DAG and run id in another deployment)."""
    dag_run = context["dag_run"]
    started = getattr(dag_run, "start_date", None) or getattr(dag_run, "run_after", "")
    parts = (dag_run.dag_id, dag_run.run_id, str(started), str(getattr(dag_run, "clear_number", 0) or 0))
    token = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return token, f"{dag_run.dag_id} / {dag_run.run_id}"


class LeaseGuard:
    """Each writing task's ``pre_execute``: fail before the first write unless this run holds the lease.

    Renews the lease (its TTL starts again). If nobody holds it (a task cleared in a finished run
    without ``lease_acquire``; the UI's Clear includes it), the run takes it again. If another
    run holds it, the task fails at once, without retry, naming the holder: this run's earlier
    writes may have been overwritten, so it must not go on.

    :param ttl: how long the lease lives without renewal.
    :param chain: another ``pre_execute`` hook to run after the check.
    """

    def __init__(self, *, ttl: timedelta, chain: Callable[[Context], Any] | None = None) -> None:
        self.ttl = ttl
        self.chain = chain

    def __call__(self, context: Context) -> None:
        task = context["task"]
        if not isinstance(task, IduBaseOperator):
            raise TypeError(f"LeaseGuard guards airflow-idu tasks, not {type(task).__name__}")
        try:
            self.check(task, context)
            if self.chain is not None:
                self.chain(context)
        except BaseException as err:
            # A task that fails here never reaches execute, which closes the engine: it must not
            # keep this connection, which on DuckDB holds the file against other processes.
            task.close_engine()
            record_failure(context, err)
            raise
        # Otherwise execute uses the same connection (and closes it): one open per task, not two.

    def check(self, task: IduBaseOperator, context: Context) -> LeaseHolder:
        """Renew or take this run's lease through the task's own engine (one connection)."""
        token, holder = run_holder(context)
        lease = WriterLease(
            task.engine, lease_table(task.catalog, task.schema), ttl_seconds=self.ttl.total_seconds()
        )
        try:
            current = retry_conflicts(lambda: self._renew_or_take(task, lease, token, holder))
        except StatementError as err:
            raise task.task_error(err) from err
        if current is None or current.token != token:
            now = lease.clock()
            raise AirflowFailException(
                f"{holder} does not hold the writer lease of {lease.table}: "
                f"{current.describe(now) if current else 'nobody'} holds it. Another run wrote this "
                "schema meanwhile, so this run stops before writing; re-run it (clear it) once that "
                "run has finished"
            )
        task.log.info("Writer lease %s held by %s until %s", lease.table, holder, _iso(current.expires_at))
        return current

    @staticmethod
    def _renew_or_take(
        task: IduBaseOperator, lease: WriterLease, token: str, holder: str
    ) -> LeaseHolder | None:
        try:
            current = lease.renew(token)
        except StatementError as err:
            if is_conflict(err):
                raise
            lease.ensure_table()  # no lease table (the schema was dropped and re-created?): take it anew
            current = None
        if current is None:
            task.log.warning(
                "Writer lease %s was free: this run takes it again (a task cleared without lease_acquire?); "
                "lease_release or its TTL frees it",
                lease.table,
            )
            current = lease.take(token, holder)
        return current


class LeaseReleaseOperator(IduBaseOperator):
    """``lease_release``: give the lease back (a teardown, so it runs after failures too).

    Deletes only this run's row: a lease that expired and was taken by another run stays theirs.
    """

    ui_color = "#eeeeee"

    def execute(self, context: Context) -> dict[str, Any]:
        token, holder = run_holder(context)
        table = lease_table(self.catalog, self.schema)
        lease = WriterLease(self.engine, table, ttl_seconds=1)

        def release() -> LeaseHolder | None:
            lease.ensure_table()
            lease.release(token)
            return lease.holder()

        try:
            current = retry_conflicts(release)
        except StatementError as err:
            raise self.task_error(err) from err
        finally:
            self.close_engine()
        if current is not None:
            self.log.info("Released %s; it is now held by %s", table, current.describe(lease.clock()))
        else:
            self.log.info("Released writer lease %s held by %s", table, holder)
        return {"table": table, "holder": holder, "released_at": _iso(lease.clock())}
