"""Persistent-id tasks: stage after canonicalize, commit once everything else of the run succeeded.

The SQL and its steps are :mod:`airflow_idu.runstate` (no Airflow); these operators add the run id,
the mode parameter, XCom and the retry verdicts. See docs/persistent-ids.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_idu.engines.base import StatementError
from airflow_idu.operators.base import IduBaseOperator, TablesOperator
from airflow_idu.runstate.persistent_ids import PersistentIdMode

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["PersistentIdsCommitOperator", "PersistentIdsStageOperator"]


class PersistentIdsStageOperator(TablesOperator):
    """Map this run's clusters to persistent ids into ``<p>_id_map_staging`` and put them in the lookup.

    :param mode: ``beside`` (a ``persistent_id`` column) or ``replace`` (``canonical_id`` holds it).
    :param incremental: the directory is incremental-capable (its lookup is updated in place).
    The state ``<p>_id_map`` is only read: a run that fails after this task leaves it as it was.
    """

    template_fields: Sequence[str] = (*IduBaseOperator.template_fields, "mode")
    ui_color = "#e3f4e8"

    def __init__(
        self,
        *,
        mode: PersistentIdMode | str = PersistentIdMode.BESIDE,
        incremental: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.mode = mode
        self.incremental = incremental  # the directory updates the lookup in place

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_idu.runstate.steps import stage_persistent_ids

        try:
            mode = PersistentIdMode(str(self.mode))
        except ValueError:
            raise AirflowFailException(
                f"persistent ids mode must be one of {[m.value for m in PersistentIdMode]}, got {self.mode!r}"
            ) from None
        if mode is PersistentIdMode.OFF:
            raise AirflowFailException(
                "persistent ids are off: this task should not exist; re-render the DAG"
            )
        try:
            changes = stage_persistent_ids(
                self.engine, self.tables, run_id=context["ti"].run_id, mode=mode, incremental=self.incremental
            )
        except StatementError as err:
            raise self.task_error(err) from err
        return changes.to_dict()


class PersistentIdsCommitOperator(TablesOperator):
    """Staging -> ``<p>_id_map`` and the change log ``<p>_id_changes``: the run's last write.

    Idempotent: a retry after a kill at any statement gives the same state and log.
    """

    ui_color = "#c9ead3"

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_idu.runstate.steps import StagingMismatchError, commit_persistent_ids

        try:
            changes = commit_persistent_ids(self.engine, self.tables, run_id=context["ti"].run_id)
        except StagingMismatchError as err:
            raise AirflowFailException(f"{err} — not retried") from None
        except StatementError as err:
            raise self.task_error(err) from err
        return changes.to_dict()
