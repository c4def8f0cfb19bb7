"""Run one SQL file of the directory as one task."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowSkipException

from airflow_idu.engines.base import StatementError
from airflow_idu.links import DatabricksQueryHistoryLink
from airflow_idu.operators.base import IduBaseOperator, as_bool

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["IduSqlFileOperator"]


class IduSqlFileOperator(IduBaseOperator):
    """Render one SQL file with Jinja (``{{ data_interval_end }}`` etc.), run its statements, push stats.

    The file is read and split at execute time, not at DAG-parse time.

    :param sql_file: path of the ``.sql`` file.
    :param render: render the file with Jinja first (default); turn off for SQL that contains ``{{``.
    """

    template_fields = (*IduBaseOperator.template_fields, "sql_file", "optimize")
    ui_color = "#d6e9f8"
    operator_extra_links = (DatabricksQueryHistoryLink(),)

    def __init__(
        self,
        *,
        sql_file: str | Path,
        render: bool = True,
        requires: Sequence[str] = (),
        optimize: bool | str = False,
        optimize_tables: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sql_file = str(sql_file)
        self.render = render
        self.requires = list(requires)
        self.optimize = optimize
        self.optimize_tables = list(optimize_tables)

    def execute(self, context: Context) -> dict[str, Any]:
        self._check_requirements(context)
        path = Path(self.sql_file)
        sql = path.read_text(encoding="utf-8")
        if self.render:
            sql = self.render_template(sql, context)
        started = time.perf_counter()
        try:
            stats = self.engine.run_script(sql, label=path.name)
            if self.optimize_tables and as_bool(self.optimize, "optimize"):
                # Delta file compaction of the big tables this file wrote; a logged no-op on DuckDB.
                optimize = ";\n".join(f"OPTIMIZE {t}" for t in self.optimize_tables)
                stats += self.engine.run_script(optimize, label=f"{path.name} optimize")
            self.push_query_history(context, stats)
        except StatementError as err:
            raise self.task_error(err) from err
        finally:
            self.close_engine()
        seconds = round(time.perf_counter() - started, 3)
        rows = sum(s.rows or 0 for s in stats)
        self.log.info("%s: %d statements, %d rows affected, %.3fs", path.name, len(stats), rows, seconds)
        return {
            "file": path.name,
            "statements": len(stats),
            "rows": rows,
            "seconds": seconds,
            "statement_stats": [s.to_dict() for s in stats],
        }

    def _check_requirements(self, context: Context) -> None:
        """With ``on_file_error="continue"`` this task runs after failed files, but never without a
        converged, canonicalized graph: the tasks in ``requires`` must have succeeded (returned XCom)."""
        missing = [t for t in self.requires if not context["ti"].xcom_pull(task_ids=t)]
        if missing:
            raise AirflowSkipException(f"not run: {', '.join(missing)} did not succeed in this run")
