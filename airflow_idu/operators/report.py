"""The final ``report`` task: what the run did and produced, as JSON (XCom) and Markdown (log)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_idu.engines.base import StatementError, is_transient
from airflow_idu.operators.base import IduBaseOperator
from airflow_idu.plan.contract import HEALTH_XCOM_KEY, TableNames, qualify

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["UnificationReportOperator", "render_markdown"]


class UnificationReportOperator(IduBaseOperator):
    """Row counts, coverage and loop convergence of a finished run, checked against ``min_coverage``.

    :param canonical_id: the canonical-id name (table prefix and enriched column).
    :param file_task_ids: tasks that ran SQL files (their XCom summaries are counted).
    :param loop_task_id: the unify loop task.
    :param enriched_tables: / :param master_tables: tables to count, unqualified.
    :param min_coverage: fail when an enriched table has fewer rows with a canonical id (0..1).
    :param gate_task_id: the identity-health gate; its ``health`` XCom becomes the report's ``health``.
    :param persistent_ids_task_id: the persistent-id commit; its counts become ``persistent_ids``.
    :param incremental_task_id: the incremental prepare task; its window becomes ``run_mode``. None:
        the directory is not incremental-capable, so the run was a full refresh (said once in the log).
    """

    template_fields = (*IduBaseOperator.template_fields, "min_coverage")
    ui_color = "#e2f5e1"

    def __init__(
        self,
        *,
        canonical_id: str,
        file_task_ids: Sequence[str],
        loop_task_id: str,
        enriched_tables: Sequence[str],
        master_tables: Sequence[str],
        min_coverage: float | str | None = None,
        fail_on_failed_tasks: bool = False,
        gate_task_id: str | None = None,
        persistent_ids_task_id: str | None = None,
        incremental_task_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.incremental_task_id = incremental_task_id
        self.persistent_ids_task_id = persistent_ids_task_id
        self.gate_task_id = gate_task_id
        self.fail_on_failed_tasks = fail_on_failed_tasks
        self.canonical_id = canonical_id
        self.file_task_ids = list(file_task_ids)
        self.loop_task_id = loop_task_id
        self.enriched_tables = list(enriched_tables)
        self.master_tables = list(master_tables)
        self.min_coverage = min_coverage

    def qualify(self, table: str) -> str:
        return qualify(self.catalog, self.schema, table)

    def execute(self, context: Context) -> dict[str, Any]:
        try:
            report = self._build(context)
        except StatementError as err:
            raise self.task_error(err) from err
        self.log.info("Unification report\n%s", render_markdown(report))
        self._check_coverage(report)
        if self.fail_on_failed_tasks:
            self._check_failed_tasks(context)
        return report

    def _check_failed_tasks(self, context: Context) -> None:
        """With ``on_file_error="continue"`` later phases ran past a failed file; the run still fails."""
        ti = context["ti"]
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id]).get(ti.run_id, {})
        failed = sorted(t for t, state in states.items() if state in ("failed", "upstream_failed"))
        if failed:
            raise AirflowFailException(f"the run continued past failed tasks: {', '.join(failed)}")

    def _build(self, context: Context) -> dict[str, Any]:
        ti = context["ti"]
        files = [x for x in (ti.xcom_pull(task_ids=self.file_task_ids) or []) if x]
        loop = ti.xcom_pull(task_ids=self.loop_task_id) or {}
        dag_run = context.get("dag_run")
        # A test run's start_date is its logical date; run_after is when it was really created.
        times = [t for t in (getattr(dag_run, "start_date", None), getattr(dag_run, "run_after", None)) if t]
        started = max(times) if times else None
        p = self.canonical_id
        names = TableNames(prefix=p)  # unqualified: the report's keys
        lookup = self.qualify(names.lookup)
        # One query per enriched table for its rows and rows with an id: a round trip each on a warehouse.
        enriched = {
            t: self._counts(f"SELECT COUNT(*), COUNT({p}) FROM {self.qualify(t)}")
            for t in self.enriched_tables
        }
        counts = {
            name: enriched[name][0]
            if name in enriched
            else self._counts(f"SELECT COUNT(*) FROM {self.qualify(name)}")[0]
            for name in [names.graph(), names.lookup, *self.master_tables, *self.enriched_tables]
        }
        coverage = {}
        for table in self.enriched_tables:
            with_id = enriched[table][1]
            coverage[table] = {
                "rows": counts[table],
                "with_canonical_id": with_id,
                "coverage": round(with_id / counts[table], 6) if counts[table] > 0 else None,
            }
        from airflow.sdk import timezone

        return {
            "canonical_id": p,
            "catalog": self.catalog,
            "schema": self.schema,
            "total_seconds": round((timezone.utcnow() - started).total_seconds(), 3) if started else None,
            "files_run": len(files),
            "file_seconds": round(sum(f.get("seconds", 0) for f in files), 3),
            "loop": {
                "converged": bool(loop.get("converged")),
                "iterations": loop.get("iterations"),
                "updated_counts": [h["updated_count"] for h in loop.get("history", [])],
            },
            "row_counts": counts,
            "distinct_canonical_ids": int(
                self.engine.scalar(f"SELECT COUNT(DISTINCT canonical_id) FROM {lookup}", label="report")
            ),
            "coverage": coverage,
            "next_steps": self._next_steps(),
            "min_coverage": None if self.min_coverage in (None, "", "None") else float(self.min_coverage),  # type: ignore[arg-type]
            "health": self._health(context),
            "persistent_ids": self._persistent_ids(context),
            "run_mode": self._run_mode(context),
        }

    def _run_mode(self, context: Context) -> dict[str, Any]:
        """Full refresh or incremental, and why (docs/incremental-runs.md)."""
        if not self.incremental_task_id:
            self.log.info("Full refresh: the SQL directory is not incremental-capable (no incremental.json)")
            return {"full_refresh": True, "reason": "not_incremental"}
        window = context["ti"].xcom_pull(task_ids=self.incremental_task_id) or {}
        return {"full_refresh": bool(window.get("full_refresh", True)), "reason": window.get("reason")}

    def _persistent_ids(self, context: Context) -> dict[str, Any] | None:
        if not self.persistent_ids_task_id:
            return None
        return context["ti"].xcom_pull(task_ids=self.persistent_ids_task_id)

    def _health(self, context: Context) -> dict[str, Any] | None:
        if not self.gate_task_id:
            return None
        return context["ti"].xcom_pull(task_ids=self.gate_task_id, key=HEALTH_XCOM_KEY)

    def _counts(self, sql: str) -> tuple[int, ...]:
        """The counts of a one-row query; -1 each for a table a failed file did not write."""
        try:
            rows = self.engine.query(sql, label="report")
        except StatementError as err:
            if is_transient(err.__cause__):
                raise
            # A table a failed file did not write (on_file_error="continue"): report it, don't hide the rest.
            self.log.warning("report: %s", err)
            return (-1, -1)
        return tuple(int(v or 0) for v in rows[0]) if rows else (0, 0)

    def _next_steps(self) -> list[str]:
        p = self.canonical_id
        steps = [
            f"SELECT COUNT(*) AS total_records, COUNT({p}) AS records_with_id, "
            f"COUNT({p}) * 100.0 / COUNT(*) AS coverage_percent FROM {self.qualify(t)};"
            for t in self.enriched_tables
        ]
        steps += [f"SELECT COUNT(*) AS unified_customers FROM {self.qualify(m)};" for m in self.master_tables]
        steps.append(
            f"SELECT * FROM {self.qualify(TableNames(prefix=p).result_key_stats)} WHERE from_table = '*';"
        )
        return steps

    def _check_coverage(self, report: dict[str, Any]) -> None:
        if self.min_coverage in (None, "", "None"):
            return
        threshold = float(self.min_coverage)  # type: ignore[arg-type]
        low = {
            t: c["coverage"]
            for t, c in report["coverage"].items()
            if c["coverage"] is not None and c["coverage"] < threshold
        }
        if low:
            raise AirflowFailException(
                f"coverage below min_coverage {threshold}: "
                + ", ".join(f"{t} {v:.2%}" for t, v in sorted(low.items()))
            )


def render_markdown(report: dict[str, Any]) -> str:
    loop = report["loop"]
    lines = [
        f"## Identity unification: `{report['canonical_id']}`",
        "",
        f"- total time: {report['total_seconds']} s; files run: {report['files_run']}",
        f"- loop: converged={loop['converged']} after {loop['iterations']} iterations; "
        f"updated counts {loop['updated_counts']}",
        f"- distinct canonical ids: {report['distinct_canonical_ids']:,}",
        "",
        "| table | rows | with canonical id | coverage |",
        "|---|---:|---:|---:|",
    ]
    for table, rows in report["row_counts"].items():
        cov = report["coverage"].get(table)
        lines.append(
            f"| {table} | {rows:,} | {cov['with_canonical_id']:,} | {cov['coverage']:.2%} |"
            if cov and cov["coverage"] is not None
            else f"| {table} | {rows:,} | | |"
        )
    mode = report.get("run_mode")
    if mode:
        kind = "full refresh" if mode["full_refresh"] else "incremental"
        lines += ["", f"- run: {kind} ({mode['reason']})"]
    lines += render_persistent_ids_markdown(report.get("persistent_ids"))
    lines += render_health_markdown(report.get("health"))
    lines += ["", "Next steps — validation queries to run:", ""]
    lines += [f"    {q}" for q in report["next_steps"]]
    return "\n".join(lines)


def render_persistent_ids_markdown(ids: dict[str, Any] | None) -> list[str]:
    """One line: how many identifiers got a new persistent id this run, per reason."""
    if not ids:
        return []
    reasons = ", ".join(f"{reason} {count:,}" for reason, count in ids["changes"].items())
    return ["", f"- persistent ids: {ids['total']:,} identifiers changed id this run ({reasons})"]


def render_health_markdown(health: dict[str, Any] | None) -> list[str]:
    """The identity-health section: sizes, largest clusters with their top values, churn, gates."""
    if not health:
        return []
    sizes = health["cluster_sizes"]
    lines = [
        "",
        "### Identity health",
        "",
        f"- clusters: {sizes['clusters']:,} over {sizes['identifiers']:,} identifiers; "
        f"size p50 {sizes['p50']}, p99 {sizes['p99']}, max {sizes['max']}",
        "- sizes: " + ", ".join(f"{b['bucket']}: {b['clusters']:,}" for b in sizes["buckets"]),
        "- identifiers per key type: "
        + ", ".join(f"{k} {v:,}" for k, v in health["identifiers_per_key_type"].items()),
    ]
    churn = health.get("churn")
    lines.append(
        "- churn: first run (nothing to compare)"
        if not churn
        else f"- churn: {churn['identifiers_changed']:,} of {churn['identifiers_compared']:,} identifiers "
        f"({churn['churn_share']:.2%}) changed canonical id; {churn['clusters_merged']} merged, "
        f"{churn['clusters_split']} split, {churn['ids_new']} ids new, {churn['ids_gone']} gone"
    )
    lines += ["", "| largest cluster | size | key types | top values (links) |", "|---|---:|---|---|"]
    for c in health["largest_clusters"]:
        keys = ", ".join(f"{k} {n}" for k, n in c["key_types"].items())
        values = ", ".join(f"{v['key_type']} `{v['value']}` ({v['records']})" for v in c["top_values"])
        lines.append(f"| {c['canonical_id']} | {c['size']:,} | {keys} | {values} |")
    if health.get("shared_values"):
        shared = ", ".join(
            f"{v['key_type']} `{v['value']}` ({v['leaders']})" for v in health["shared_values"][:10]
        )
        lines += ["", f"Values shared by many leaders before unification: {shared}"]
    lines += ["", "Gates:", ""]
    lines += [f"- {'PASS' if g['passed'] else 'FAIL'} {g['message']}" for g in health["gates"]]
    return lines
