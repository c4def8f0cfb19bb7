"""The unify loop as a sensor: every poke runs one iteration and checks convergence."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_idu.engines.base import StatementError
from airflow_idu.links import DatabricksQueryHistoryLink
from airflow_idu.loop import ConvergenceCheckError, LoopNotConvergedError, LoopRunner, run_key
from airflow_idu.operators.base import DEFAULT_CONN_ID, IduBaseOperator, as_bool
from airflow_idu.plan import LoopSpec, PlanError
from airflow_idu.plan.contract import HISTORY_XCOM_KEY
from airflow_idu.sensors.deferral import (
    StatementApi,
    cancel_left_by_killed_try,
    event_error,
    event_stats,
    statement_api,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["DEFAULT_MAX_ITERATIONS", "UnifyLoopSensor"]

# What a loop step raises for the task to judge (retry or fail): a statement, the plan, or the loop itself.
LOOP_ERRORS = (StatementError, PlanError, LoopNotConvergedError, ConvergenceCheckError)

DEFAULT_MAX_ITERATIONS = 30


class UnifyLoopSensor(IduBaseOperator, BaseSensorOperator):
    """Re-run the unify SQL until no row changes, then create ``<p>_graph_unify_loop_final``.

    One poke = one iteration (the file for K, or the last file with its loop numbers
    moved on), then the convergence count, then one row in the loop log. Done when
    the count is 0. Reaching ``max_iterations`` without convergence fails the task
    without retry, so nothing downstream ever reads a non-converged graph.

    Returns (XCom ``return_value``)::

        {"converged": True, "iterations": K, "final_table": "...",
         "history": [{"iteration": 1, "updated_count": 1500, "rows": ..., "seconds": ..., "source": "file"}]}

    :param loop_files: iteration files 1..N, in order.
    :param canonical_id: the table prefix ``<p>``.
    :param max_iterations: hard limit (templated, so a trigger param can set it).
    :param optimize: run ``OPTIMIZE`` on each iteration table (a no-op on DuckDB).
    :param resume_loop: record each finished iteration in ``<p>_unify_loop_log`` (one
        small INSERT) so that a retried or rescheduled loop continues where it stopped.
        ``False`` saves that statement per iteration (3 instead of 4 on Databricks); a
        retry then starts over at iteration 1 (same result, more work). Required for
        ``mode="reschedule"``, where every poke is a new process.
    :param deferrable: on a Databricks connection, send each iteration's statements through the
        SQL Statement Execution API and defer to :class:`~airflow_idu.triggers.unify_loop.UnifyLoopTrigger`
        while the warehouse works: no worker slot is held during the loop. Each resume records the
        iteration (loop log, same runner) and defers again or finishes. Needs ``resume_loop``. On
        other connections the loop runs in the worker as in poke mode (the log says so).
    :param poll_interval: deferrable mode: seconds between statement state polls in the trigger.
    """

    template_fields = (*IduBaseOperator.template_fields, "max_iterations", "optimize")
    ui_color = "#fbe3c4"
    operator_extra_links = (DatabricksQueryHistoryLink(),)

    def __init__(
        self,
        *,
        loop_files: Sequence[str | Path],
        canonical_id: str,
        max_iterations: int | str = DEFAULT_MAX_ITERATIONS,
        optimize: bool | str = False,
        conn_id: str = DEFAULT_CONN_ID,
        poke_interval: float = 0,
        resume_loop: bool = True,
        deferrable: bool = False,
        poll_interval: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(conn_id=conn_id, poke_interval=poke_interval, **kwargs)
        self.resume_loop = resume_loop
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        if error := self._mode_error():
            raise ValueError(error)
        self.loop_files = [str(p) for p in loop_files]
        self.canonical_id = canonical_id
        self.max_iterations = max_iterations
        self.optimize = optimize

    @cached_property
    def loop(self) -> LoopSpec:
        return LoopSpec(
            prefix=self.canonical_id,
            catalog=self.catalog,
            schema=self.schema,
            files=tuple(Path(p) for p in self.loop_files),
        )

    def _mode_error(self) -> str | None:
        if self.resume_loop or not (self.reschedule or self.deferrable):
            return None
        mode = "deferrable=True" if self.deferrable else "mode='reschedule'"
        return (
            f"{self.task_id}: resume_loop=False cannot work with {mode} (every poke or resume is a new "
            "process and must read the loop log); use mode='poke' or resume_loop=True"
        )

    def execute(self, context: Context) -> Any:
        if error := self._mode_error():  # mode may have been set after __init__
            raise AirflowFailException(error)
        self._limit = _positive_int(self.max_iterations, "max_iterations")
        self._optimize = as_bool(self.optimize, "optimize")
        if int(getattr(context["ti"], "try_number", 1) or 1) > 1:
            self._cancel_left_by_earlier_try(context)
        if self.deferrable:
            api = statement_api(self.conn_id, http_path=self.http_path, hook_params=self.hook_params)
            if api is not None:
                return self._advance(context, api)
            self.log.info(
                "deferrable=True does not apply on connection %r (not a Databricks SQL warehouse): "
                "the loop runs in this worker, one iteration per poke",
                self.conn_id,
            )
        return super().execute(context)

    def _cancel_left_by_earlier_try(self, context: Context) -> None:
        """A worker killed outright cancels nothing: on a SQL warehouse, what it was running (an
        iteration's statement in poke or reschedule mode; a loop-log record or the final script in
        any mode) would go on writing the tables this try writes. (On DuckDB the killed process's
        statements died with it.)"""
        try:
            api = statement_api(self.conn_id, http_path=self.http_path, hook_params=self.hook_params)
        except AirflowException:  # not a SQL warehouse (a cluster's http_path): no query history to ask
            api = None
        if api is None:
            return
        self._set_key(context)
        try:
            k = self.runner.next_iteration
        except StatementError as err:
            raise self._loop_error(err) from err
        guards = [self._key, self.loop.final_table, self.loop.table(k), *self.loop.work_tables]
        if cancel_left_by_killed_try(api, guards, self.log):
            self.__dict__.pop("runner", None)  # a record may have landed before the cancel: read again

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resumed after the trigger ran an iteration: record it, then defer again or finish."""
        self._limit = _positive_int(self.max_iterations, "max_iterations")
        self._optimize = as_bool(self.optimize, "optimize")
        if not event:
            raise AirflowException(
                "the unify loop trigger fired no event; the retry runs the iteration again"
            )
        from airflow_idu.triggers.unify_loop import EventStatus

        if event.get("status") != EventStatus.SUCCESS:
            raise event_error(event)
        try:
            self._set_key(context)
            runner = self.runner
            k = int(event["iteration"])
            if k == runner.next_iteration:
                runner.record(
                    runner.work(k),
                    updated_count=event.get("updated_count"),
                    rows=event.get("rows"),
                    seconds=float(event.get("seconds") or 0.0),
                )
                self._push_history(context)
            else:  # an earlier try of this resume recorded it already (the log wins)
                self.log.warning(
                    "Iteration %d is already recorded; continuing at %d", k, runner.next_iteration
                )
            self._event_stats = event_stats(event)
            api = statement_api(self.conn_id, http_path=self.http_path, hook_params=self.hook_params)
            if api is None:
                raise AirflowFailException(
                    f"connection {self.conn_id!r} is no longer a Databricks SQL warehouse; a deferred loop "
                    "resumes on the connection it started on: restore it or clear the loop task"
                )
            return self._advance(context, api)
        except LOOP_ERRORS as err:
            raise self._loop_error(err) from err

    def _advance(self, context: Context, api: StatementApi) -> Any:
        """Finish if converged, fail at the limit, else defer the next iteration to the trigger."""
        try:
            self._set_key(context)
            runner = self.runner
            if runner.converged:
                result, final = runner.finish()
                self.record_query_history([*getattr(self, "_event_stats", []), *final])
                return result
            runner.check_limit()
            work = runner.work()
        except LOOP_ERRORS as err:
            raise self._loop_error(err) from err
        from airflow_idu.triggers.unify_loop import UnifyLoopTrigger

        self.log.info("Deferring iteration %d (%s) to the triggerer", work.iteration, work.label)
        self.defer(
            trigger=UnifyLoopTrigger(
                conn_id=api.conn_id,
                warehouse_id=api.warehouse_id,
                iteration=work.iteration,
                statements=work.statements(),
                catalog=self.catalog,
                schema=self.schema,
                poll_interval=self.poll_interval,
                guard_tables=[self.loop.table(work.iteration), *self.loop.work_tables],
            ),
            method_name="execute_complete",
            timeout=self.execution_timeout,
        )

    @cached_property
    def runner(self) -> LoopRunner:
        """The loop of this task instance (``_key`` is set by the first poke); state read at first use."""
        return LoopRunner(
            self.engine,
            self.loop,
            self._key,
            resume=self.resume_loop,
            optimize=self._optimize,
            max_iterations=self._limit,
            logger=self.log,
        )

    def _loop_error(self, err: Exception) -> AirflowException:
        if isinstance(err, StatementError):
            return self.task_error(err)
        if isinstance(err, ConvergenceCheckError):
            return AirflowException(str(err))
        # an unreadable iteration file or the iteration limit: the same again on a retry
        return AirflowFailException(str(err))

    def _set_key(self, context: Context) -> None:
        ti = context["ti"]
        self._key = run_key(ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1))

    def poke(self, context: Context) -> bool | PokeReturnValue:
        try:
            return self._poke(context)
        except LOOP_ERRORS as err:
            raise self._loop_error(err) from err

    def _poke(self, context: Context) -> bool | PokeReturnValue:
        self._set_key(context)
        runner = self.runner
        if not runner.converged:
            runner.step()
            self._push_history(context)
        if runner.converged:
            return self._finish(context)
        runner.check_limit()
        return False

    def _push_history(self, context: Context) -> None:
        """The report tab's partial convergence curve when the loop fails (no return value then)."""
        context["ti"].xcom_push(key=HISTORY_XCOM_KEY, value=[r.to_dict() for r in self.runner.state.history])

    def _finish(self, context: Context) -> PokeReturnValue:
        result, final = self.runner.finish()
        self.record_query_history([*self.runner.last_stats, *final])
        return PokeReturnValue(is_done=True, xcom_value=result)


def _positive_int(value: int | str, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AirflowFailException(f"{name} must be a whole number >= 1, got {value!r}") from None
    if number < 1:
        raise AirflowFailException(f"{name} must be >= 1, got {number}")
    return number
