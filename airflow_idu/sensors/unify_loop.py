"""The unify loop as a sensor: every poke runs one iteration and checks convergence."""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_idu.engines.base import StatementError, StatementStats
from airflow_idu.links import DatabricksQueryHistoryLink
from airflow_idu.operators.base import DEFAULT_CONN_ID, IduBaseOperator, as_bool
from airflow_idu.plan import LoopSpec, PlanError
from airflow_idu.sensors.loop_state import IterationRecord, LoopLog, LoopState, run_key

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["DEFAULT_MAX_ITERATIONS", "UnifyLoopSensor"]

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
        **kwargs: Any,
    ) -> None:
        super().__init__(conn_id=conn_id, poke_interval=poke_interval, **kwargs)
        self.resume_loop = resume_loop
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
        if self.resume_loop or not self.reschedule:
            return None
        return (
            f"{self.task_id}: resume_loop=False cannot work with mode='reschedule' (every poke is a new "
            "process and must read the loop log); use mode='poke' or resume_loop=True"
        )

    def execute(self, context: Context) -> Any:
        if error := self._mode_error():  # mode may have been set after __init__
            raise AirflowFailException(error)
        self._limit = _positive_int(self.max_iterations, "max_iterations")
        self._optimize = as_bool(self.optimize, "optimize")
        try:
            return super().execute(context)
        finally:
            self.close_engine()

    @cached_property
    def _log(self) -> LoopLog:
        return LoopLog(self.engine, self.loop, self._key)

    @cached_property
    def _state(self) -> LoopState:
        if not self.resume_loop:
            return LoopState()
        state = self._log.load()
        if state.history:
            self.log.info(
                "Resuming the unify loop at iteration %d (%d iterations recorded for this run)",
                state.next_iteration,
                len(state.history),
            )
        return state

    def poke(self, context: Context) -> bool | PokeReturnValue:
        try:
            return self._poke(context)
        except StatementError as err:
            raise self.task_error(err) from err
        except PlanError as err:  # an unreadable iteration file fails again: no retry
            raise AirflowFailException(str(err)) from err

    def _poke(self, context: Context) -> bool | PokeReturnValue:
        ti = context["ti"]
        self._key = run_key(ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1))
        state = self._state
        if not state.converged:
            record = self._run_iteration(state.next_iteration)
            if self.resume_loop:
                self._log.append(record)
            state.history.append(record)
            # The report tab's partial convergence curve when the loop fails (no return value then).
            ti.xcom_push(key="history", value=[r.to_dict() for r in state.history])
        if state.converged:
            return self._finish(state, context)
        last = state.history[-1]
        if last.iteration >= self._limit:
            counts = ", ".join(str(r.updated_count) for r in state.history[-5:])
            raise AirflowFailException(
                f"unify loop did not converge in {self._limit} iterations (max_iterations); "
                f"last updated_count {last.updated_count} (recent: {counts}). Check the key validation "
                f"rules for over-merging identifiers, or raise max_iterations (trigger param or "
                f"create_unification_dag(max_iterations=...))."
            )
        return False

    def _run_iteration(self, k: int) -> IterationRecord:
        sql, source = self.loop.sql_for_iteration(k)
        started = time.perf_counter()
        stats = self.engine.run_script(sql, label=self.loop.label(k))
        self._stats = stats
        if self._optimize:
            self.engine.run_script(f"OPTIMIZE {self.loop.table(k)}", label=f"iteration {k} optimize")
        count = self.engine.scalar(
            self.loop.convergence_sql(k),
            label=f"convergence check of iteration {k} ({self.loop.table(k)} EXCEPT {self.loop.table(k - 1)})",
        )
        if count is None:
            # Never read a failed or empty check as "converged".
            raise AirflowException(f"convergence query for iteration {k} returned no row")
        rows = [s.rows for s in stats if s.rows is not None]
        record = IterationRecord(
            iteration=k,
            updated_count=int(count),
            rows=rows[-1] if rows else None,
            seconds=round(time.perf_counter() - started, 3),
            source=source,
        )
        self.log.info(
            "Iteration %d (%s): updated_count=%d rows=%s seconds=%.3f",
            k,
            source.value,
            record.updated_count,
            "n/a" if record.rows is None else record.rows,
            record.seconds,
        )
        return record

    def _finish(self, state: LoopState, context: Context) -> PokeReturnValue:
        k = state.history[-1].iteration
        final: list[StatementStats] = self.engine.run_script(self.loop.final_sql(k), label="loop final")
        self.push_query_history(context, [*getattr(self, "_stats", []), *final])
        self.log.info("Unify loop converged after %d iterations; created %s", k, self.loop.final_table)
        return PokeReturnValue(
            is_done=True,
            xcom_value={
                "converged": True,
                "iterations": k,
                "final_table": self.loop.final_table,
                "history": [r.to_dict() for r in state.history],
            },
        )


def _positive_int(value: int | str, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AirflowFailException(f"{name} must be a whole number >= 1, got {value!r}") from None
    if number < 1:
        raise AirflowFailException(f"{name} must be >= 1, got {number}")
    return number
