"""Run one SQL file of the directory as one task."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from airflow_idu.engines.base import StatementError, StatementStats
from airflow_idu.links import DatabricksQueryHistoryLink
from airflow_idu.operators.base import IduBaseOperator, as_bool
from airflow_idu.plan import PlanError, appended_tables, created_tables, read_sql_file

if TYPE_CHECKING:
    import jinja2
    from airflow.sdk import Context

__all__ = ["IduSqlFileOperator"]


class IduSqlFileOperator(IduBaseOperator):
    """Render one SQL file with Jinja (``{{ data_interval_end }}`` etc.), run its statements, push stats.

    The file is read and split at execute time, not at DAG-parse time.

    :param sql_file: path of the ``.sql`` file.
    :param render: render the file with Jinja first (default; a file without the DAG's Jinja syntax is
        sent as written); turn off for SQL that contains ``{{``.
    :param replay_on_retry: earlier files of the same sequential phase, replayed on a retry
        when this file appends to a table one of them creates (see :meth:`before_retry`).
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
        replay_on_retry: Sequence[str | Path] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sql_file = str(sql_file)
        self.render = render
        self.requires = list(requires)
        self.optimize = optimize
        self.optimize_tables = list(optimize_tables)
        self.replay_on_retry = [str(p) for p in replay_on_retry]

    def execute(self, context: Context) -> dict[str, Any]:
        path = Path(self.sql_file)
        started = time.perf_counter()
        try:
            self._check_requirements(context)
            sql = self._read(path, context)
            stats = self.before_retry(context, sql) if context["ti"].try_number > 1 else []
            stats += self.engine.run_script(sql, label=path.name)
            if self.optimize_tables and as_bool(self.optimize, "optimize"):
                # Delta file compaction of the big tables this file wrote; a logged no-op on DuckDB.
                optimize = ";\n".join(f"OPTIMIZE {t}" for t in self.optimize_tables)
                stats += self.engine.run_script(optimize, label=f"{path.name} optimize")
            self.record_query_history(stats)
        except StatementError as err:
            raise self.task_error(err) from err
        finally:
            self.close_engine()  # inside the timing: on DuckDB the close writes the file's tables to disk
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

    def _read(self, path: Path, context: Context) -> str:
        try:
            sql = read_sql_file(path)
        except PlanError as err:
            raise AirflowFailException(str(err)) from err  # the same file fails again: no retry
        if not self.render:
            return sql
        env = self.get_template_env()
        if not has_template_syntax(sql, env):
            # Jinja would give the text back (less a final newline): a generated file, 10-25 KB, costs
            # 0.3-2.6 ms to compile for nothing, in every task
            return sql
        return self.render_template(sql, context, jinja_env=env)

    def before_retry(self, context: Context, sql: str) -> list[StatementStats]:
        """Make a second try (a retry, or a cleared task) start from what the first try started from.

        A file that appends (``INSERT INTO``) to a table an earlier file of its phase created
        would append twice; replay the earlier files from the one that creates that table.
        """
        appended = appended_tables(sql)
        earlier = [Path(p) for p in self.replay_on_retry]
        texts = [self._read(p, context) for p in earlier] if appended else []
        first = next((i for i, text in enumerate(texts) if created_tables(text) & appended), None)
        if first is None:
            return []
        self.log.info(
            "Try %d of %s: it appends to %s, so %s run first to re-create them",
            context["ti"].try_number,
            Path(self.sql_file).name,
            ", ".join(sorted(appended)),
            ", ".join(p.name for p in earlier[first:]),
        )
        return [
            s
            for p, text in zip(earlier[first:], texts[first:], strict=True)
            for s in self.engine.run_script(text, label=f"{p.name} (replayed before a retry)")
        ]

    def _check_requirements(self, context: Context) -> None:
        """With ``on_file_error="continue"`` this task runs after failed files, but never without a
        converged, canonicalized graph: the tasks in ``requires`` must have succeeded (returned XCom)."""
        missing = [t for t in self.requires if not context["ti"].xcom_pull(task_ids=t)]
        if missing:
            raise AirflowSkipException(f"not run: {', '.join(missing)} did not succeed in this run")


def has_template_syntax(text: str, env: jinja2.Environment) -> bool:
    """Whether Jinja, as ``env`` is configured (the DAG's ``jinja_environment_kwargs`` may change the
    delimiters), could find anything to render in ``text``."""
    if env.line_statement_prefix or env.line_comment_prefix:
        return True  # a line prefix ("#", "%") is too common in SQL to rule out cheaply
    starts = (env.block_start_string, env.variable_start_string, env.comment_start_string)
    return any(start in text for start in starts)
