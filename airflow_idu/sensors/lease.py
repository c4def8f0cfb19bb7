"""Sensors around the writer lease: ``lease_acquire`` waits for it; the loop renews it per iteration."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, DagRunState, PokeReturnValue, TaskInstanceState, timezone

from airflow_idu.engines.base import StatementError
from airflow_idu.lease.model import (
    DEFAULT_LEASE_POKE_INTERVAL,
    DEFAULT_LEASE_TTL,
    RENEW_AFTER_FRACTION,
    WriterLease,
    is_conflict,
)
from airflow_idu.operators.base import IduBaseOperator
from airflow_idu.operators.lease import LeaseGuard, run_holder
from airflow_idu.sensors.unify_loop import UnifyLoopSensor

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["LeaseAcquireSensor", "LeasedUnifyLoopSensor"]

# States of an earlier run's lease_acquire after which this run need not leave the lease to it.
_DONE = frozenset(
    s.value
    for s in (
        TaskInstanceState.SUCCESS,
        TaskInstanceState.FAILED,
        TaskInstanceState.SKIPPED,
        TaskInstanceState.UPSTREAM_FAILED,
        TaskInstanceState.REMOVED,
    )
)


class LeaseAcquireSensor(IduBaseOperator, BaseSensorOperator):
    """``lease_acquire``: take the target schema's writer lease, or wait until it is free or expired.

    Runs in ``mode="reschedule"`` by default: a waiting run shows ``up_for_reschedule`` and holds
    no worker slot between pokes. Each poke opens the connection, tries once and closes it again
    (on DuckDB an open connection would hold the file's lock against the run that has the lease).
    A Delta write conflict with another taker counts as "not taken this time".

    Returns (XCom) ``{"table", "holder", "token", "expires_at"}``.

    :param ttl: how long the lease lives without renewal; writing tasks renew it as they start.
    """

    ui_color = "#f4e2f7"

    def __init__(
        self,
        *,
        ttl: timedelta = DEFAULT_LEASE_TTL,
        poke_interval: float = DEFAULT_LEASE_POKE_INTERVAL,
        mode: str = "reschedule",
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, mode=mode, **kwargs)
        self.ttl = ttl

    def execute(self, context: Context) -> Any:
        # Defined here so IduBaseOperator wraps it: a failed poke records its error (runstatus).
        return super().execute(context)

    def poke(self, context: Context) -> bool | PokeReturnValue:
        earlier = self._earlier_run_first(context)
        if earlier is not None:
            self.log.info(
                "Waiting for the writer lease: run %s of this DAG (logical date %s) is running and goes "
                "first (runs take the lease in logical-date order); next try in %ss",
                earlier.run_id,
                earlier.logical_date,
                self.poke_interval,
            )
            return False
        token, holder = run_holder(context)
        lease = WriterLease.of_schema(
            self.engine, self.catalog, self.schema, ttl_seconds=self.ttl.total_seconds()
        )
        table = lease.table
        try:
            lease.ensure_table()
            current = lease.take(token, holder)
        except StatementError as err:
            if not is_conflict(err):
                raise self.task_error(err) from err
            self.log.info("Writer lease %s: another run wrote it at the same moment; trying again", table)
            return False
        finally:
            # Per poke, not per execute: in poke mode execute sleeps between pokes, and an open
            # DuckDB connection would hold the file against the run that holds the lease.
            self.close_engine()
        if current is not None and current.token == token:
            self.log.info("Took writer lease %s for %s", table, holder)
            return PokeReturnValue(
                is_done=True,
                xcom_value={
                    "table": table,
                    "holder": holder,
                    "token": token,
                    "expires_at": current.expires_at,
                },
            )
        self.log.info(
            "Waiting for writer lease %s: held by %s; next try in %ss (%s mode)",
            table,
            current.describe(lease.clock()) if current else "nobody (taken and freed meanwhile)",
            self.poke_interval,
            self.mode,
        )
        return False

    def _earlier_run_first(self, context: Context) -> Any:
        """A running run of this DAG with an earlier logical date whose ``lease_acquire`` has not finished:
        it takes the lease first. None if there is none.

        So a backfill writes its dates in order, however many of its runs Airflow starts at once.
        Only *running* runs count: a queued one may be waiting for this run's slot (max_active_runs),
        and must not be waited for. A run that has gone first for longer than the lease's TTL no
        longer holds this one back (a run left running by a lost scheduler must not block forever)."""
        ti, dag_run = context.get("ti"), context.get("dag_run")
        if ti is None or getattr(dag_run, "logical_date", None) is None:
            return None  # a manual run without a logical date: it takes the lease as it frees
        earlier = ti.get_previous_dagrun(state=DagRunState.RUNNING.value)
        if earlier is None:
            return None
        # Its lease_acquire is done: it has taken the lease (and maybe given it back); nothing to wait for.
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[earlier.run_id], task_ids=[self.task_id])
        state = (states.get(earlier.run_id) or {}).get(self.task_id)
        if str(getattr(state, "value", state)) in _DONE:
            return None
        first_poke = ti.get_first_reschedule_date(context)
        if first_poke is not None and timezone.utcnow() - first_poke > self.ttl:
            self.log.warning(
                "Run %s (earlier logical date) has been running for over the lease TTL %s while this run "
                "waited; taking the lease in turn regardless",
                earlier.run_id,
                self.ttl,
            )
            return None
        return earlier


class LeasedUnifyLoopSensor(UnifyLoopSensor):
    """``loop.unify_loop`` with the writer lease: checked before the first iteration of each process,
    then renewed before any iteration that starts a quarter TTL or more after the last renewal.

    A lease renewed every quarter TTL (:data:`~airflow_idu.lease.model.RENEW_AFTER_FRACTION`) cannot expire while the loop runs, so a long loop keeps it;
    fast iterations send no extra statements (the round trips per iteration stay 3 or 4).
    """

    def __init__(self, *, lease_guard: LeaseGuard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lease_guard = lease_guard
        self._lease_renewed: float | None = None

    def execute(self, context: Context) -> Any:
        self._lease_renewed = None  # every try (and every run of a reused task object) checks first
        self._renew_lease(context)  # before the first iteration, also when it is deferred at once
        return super().execute(context)

    def poke(self, context: Context) -> bool | PokeReturnValue:
        self._renew_lease(context)
        return super().poke(context)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        # Deferred mode: every resume is a new process, so the lease is checked before each recorded
        # iteration (an iteration's statements already ran in the warehouse, under the renewed lease).
        self._renew_lease(context)
        return super().execute_complete(context, event)

    def _renew_lease(self, context: Context) -> None:
        ttl = self.lease_guard.ttl.total_seconds()
        if self._lease_renewed is None or time.time() - self._lease_renewed >= ttl * RENEW_AFTER_FRACTION:
            current = self.lease_guard.check(self, context)
            # when the lease was last renewed (the guard renews only a lease renewed a quarter TTL ago):
            # the lease's own clock (epoch seconds), so the next check comes exactly when it is due
            self._lease_renewed = current.expires_at - ttl
