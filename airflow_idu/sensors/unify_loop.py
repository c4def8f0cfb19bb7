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

    def poke(self, context: Context) -> bool | PokeReturnValue:
        try:
            return self._poke(context)
        except StatementError as err:
            raise self.task_error(err) from err
        except PlanError as err:  # an unreadable iteration file fails again: no retry
            raise AirflowFailException(str(err)) from err
        except LoopNotConvergedError as err:
            raise AirflowFailException(str(err)) from err
        except ConvergenceCheckError as err:
            raise AirflowException(str(err)) from err

    def _poke(self, context: Context) -> bool | PokeReturnValue:
        ti = context["ti"]
        self._key = run_key(ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1))
        runner = self.runner
        if not runner.converged:
            runner.step()
        if runner.converged:
            return self._finish(context)
        runner.check_limit()
        return False

    def _finish(self, context: Context) -> PokeReturnValue:
        result, final = self.runner.finish()
        self.push_query_history(context, [*self.runner.last_stats, *final])
        return PokeReturnValue(is_done=True, xcom_value=result)


def _positive_int(value: int | str, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AirflowFailException(f"{name} must be a whole number >= 1, got {value!r}") from None
    if number < 1:
        raise AirflowFailException(f"{name} must be >= 1, got {number}")
    return number
