"""Incremental-run tasks: prepare the window first, commit the watermarks once everything else succeeded.

The SQL and its steps are :mod:`airflow_idu.runstate.incremental` (no Airflow); these operators add
the run id, the ``full_refresh`` param, XCom and the retry verdicts. See docs/incremental-runs.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_idu.engines.base import StatementError
from airflow_idu.operators.base import IduBaseOperator, TablesOperator, as_bool
from airflow_idu.plan.contract import FULL_REFRESH_PARAM

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["IncrementalCommitOperator", "IncrementalPrepareOperator"]


class IncrementalPrepareOperator(TablesOperator):
    """Decide full refresh or incremental and write this run's window (``<p>_run_window``).

    :param sql_dir: the directory (its marker names the source tables; its digest is compared with
        the state's). :param full_refresh: the trigger form's ``full_refresh`` (templated).
    The watermarks are only read: a run that fails after this task leaves them as they were.
    """

    template_fields: Sequence[str] = (*IduBaseOperator.template_fields, "full_refresh")
    ui_color = "#e8eefc"

    def __init__(self, *, sql_dir: str, full_refresh: bool | str = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sql_dir = sql_dir
        self.full_refresh = full_refresh

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_idu.runstate.incremental_steps import prepare_incremental

        requested = as_bool(self.full_refresh, f"param {FULL_REFRESH_PARAM}")
        try:
            window = prepare_incremental(
                self.engine, self.tables, self.sql_dir, run_id=context["ti"].run_id, full_refresh=requested
            )
        except StatementError as err:
            raise self.task_error(err) from err
        return window.to_dict()


class IncrementalCommitOperator(TablesOperator):
    """This run's links into ``<p>_edges``, then its watermarks into ``<p>_run_state``: after every other task.

    Idempotent: a retry after a kill at any statement gives the same state.
    """

    ui_color = "#cfdcf7"

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_idu.runstate.incremental_steps import WindowMismatchError, commit_incremental

        try:
            return commit_incremental(self.engine, self.tables, run_id=context["ti"].run_id)
        except WindowMismatchError as err:
            raise AirflowFailException(f"{err} — not retried") from None
        except StatementError as err:
            raise self.task_error(err) from err
