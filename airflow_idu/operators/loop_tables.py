"""Tasks around the loop tables: re-create ``loop_final`` for a re-run, drop old iterations."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_idu.engines.base import StatementError, StatementStats
from airflow_idu.operators.base import IduBaseOperator
from airflow_idu.operators.sql_file import IduSqlFileOperator
from airflow_idu.plan import LoopSpec

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["CanonicalizeFileOperator", "DropLoopTablesOperator", "RestoreLoopFinalOperator"]


def converged_iteration(context: Context, loop_task_id: str) -> int:
    """The iteration the loop converged at in this run (from its XCom)."""
    result = context["ti"].xcom_pull(task_ids=loop_task_id)
    if not result or not result.get("converged"):
        raise AirflowFailException(
            f"no converged result from {loop_task_id} in this run; run (or clear) the loop task first"
        )
    return int(result["iterations"])


def _loop_spec(canonical_id: str, catalog: str | None, schema: str | None) -> LoopSpec:
    return LoopSpec(prefix=canonical_id, catalog=catalog, schema=schema, files=(Path(),))


class _LoopTablesOperator(IduBaseOperator):
    def __init__(self, *, canonical_id: str, loop_task_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.canonical_id = canonical_id
        self.loop_task_id = loop_task_id

    @cached_property
    def loop(self) -> LoopSpec:
        return _loop_spec(self.canonical_id, self.catalog, self.schema)

    def converged_iteration(self, context: Context) -> int:
        return converged_iteration(context, self.loop_task_id)

    def run(self, sql: str, label: str) -> None:
        try:
            self.engine.run_script(sql, label=label)
        except StatementError as err:
            raise self.task_error(err) from err


class RestoreLoopFinalOperator(_LoopTablesOperator):
    """Make ``<p>_graph_unify_loop_final`` exist before canonicalize.

    ``05_canonicalize`` renames ``loop_final`` away, so clearing and re-running
    canonicalize would find nothing. The loop already created it on a first run,
    so this is a no-op then; on a re-run it copies the converged iteration again.
    """

    ui_color = "#fdf1dc"

    def execute(self, context: Context) -> dict[str, Any]:
        k = self.converged_iteration(context)
        self.run(self.loop.restore_final_sql(k), label="restore loop final")
        return {"iteration": k, "final_table": self.loop.final_table}


class CanonicalizeFileOperator(IduSqlFileOperator):
    """``05_canonicalize``: renames ``loop_final`` away, so its retry first restores it.

    A try interrupted after the rename (the connection dropped, the worker was killed)
    would otherwise find no ``loop_final`` on the next try.
    """

    def __init__(self, *, canonical_id: str, loop_task_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.canonical_id = canonical_id
        self.loop_task_id = loop_task_id

    def before_retry(self, context: Context, sql: str) -> list[StatementStats]:
        loop = _loop_spec(self.canonical_id, self.catalog, self.schema)
        k = converged_iteration(context, self.loop_task_id)
        restored = self.engine.run_script(loop.restore_final_sql(k), label="restore loop final")
        return restored + super().before_retry(context, sql)


class DropLoopTablesOperator(_LoopTablesOperator):
    """Drop intermediate ``<p>_graph_unify_loop_K`` tables, keeping the last ``keep_iterations``.

    Without it every run leaves up to 30 full copies of the graph behind. Iterations beyond this
    run's (left by an earlier, longer run) are dropped too; ``keep_iterations`` >= 1
    so that canonicalize can still be re-run from the converged iteration. ``loop_0``, the
    initial graph of source links, is always kept (identity health and explain read it).
    """

    template_fields = (*IduBaseOperator.template_fields, "keep_iterations", "max_iterations")
    ui_color = "#eeeeee"

    def __init__(
        self, *, keep_iterations: int | str | None, max_iterations: int | str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.keep_iterations = keep_iterations
        self.max_iterations = max_iterations

    def execute(self, context: Context) -> dict[str, Any]:
        if self.keep_iterations in (None, "", "None"):
            self.log.info("keep_iterations not set: keeping every loop table")
            return {"dropped": []}
        keep = int(self.keep_iterations)  # type: ignore[arg-type]
        if keep < 1:
            raise AirflowFailException(f"keep_iterations must be >= 1 (the converged iteration), got {keep}")
        k = self.converged_iteration(context)
        highest = max(k, int(self.max_iterations))
        # loop_0 (the links from the source records) stays: identity health and explain read it.
        dropped = [i for i in range(1, highest + 1) if not (k - keep < i <= k)]
        # and an incremental loop's work tables, which nothing reads once the loop has converged
        drops = [self.loop.table(i) for i in dropped] + list(self.loop.work_tables)
        sql = ";\n".join(f"DROP TABLE IF EXISTS {table}" for table in drops)
        self.run(sql, label="drop old loop tables")
        kept = [0, *range(max(k - keep + 1, 1), k + 1)]
        self.log.info("Kept loop tables %s; dropped up to %d others", kept, len(dropped))
        return {"kept": kept, "dropped_upto": highest}
