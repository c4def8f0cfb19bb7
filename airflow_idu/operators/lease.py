"""The writer lease's tasks: the guard every writing task runs first, and ``lease_release``.

The lease itself (its row, SQL and settings) is :mod:`airflow_idu.lease`; the sensors that wait
for it and renew it per loop iteration are :mod:`airflow_idu.sensors.lease`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_idu.engines.base import StatementError
from airflow_idu.lease.model import LeaseHolder, WriterLease, is_conflict, iso, retry_conflicts
from airflow_idu.operators.base import IduBaseOperator, record_failure

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["LeaseGuard", "LeaseReleaseOperator", "run_holder"]


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

    Reads the lease and renews it (its TTL starts again) once a quarter TTL has passed since the
    last renewal (:data:`~airflow_idu.lease.model.RENEW_AFTER_FRACTION`). If nobody holds it (a task cleared in a finished run
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
        lease = WriterLease.of_schema(
            task.engine, task.catalog, task.schema, ttl_seconds=self.ttl.total_seconds()
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
        task.log.info("Writer lease %s held by %s until %s", lease.table, holder, iso(current.expires_at))
        return current

    @staticmethod
    def _renew_or_take(
        task: IduBaseOperator, lease: WriterLease, token: str, holder: str
    ) -> LeaseHolder | None:
        try:
            current = lease.holder()
            if not lease.is_fresh(current, token):
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
        lease = WriterLease.of_schema(self.engine, self.catalog, self.schema, ttl_seconds=1)
        table = lease.table

        def release() -> LeaseHolder | None:
            lease.ensure_table()
            lease.release(token)
            return lease.holder()

        try:
            current = retry_conflicts(release)
        except StatementError as err:
            raise self.task_error(err) from err
        if current is not None:
            self.log.info("Released %s; it is now held by %s", table, current.describe(lease.clock()))
        else:
            self.log.info("Released writer lease %s held by %s", table, holder)
        return {"table": table, "holder": holder, "released_at": iso(lease.clock())}
