"""Identity-health tasks: keep the previous lookup before canonicalize; the gate before publishing.

The measuring is :mod:`airflow_idu.health` (SQL through the engine, no Airflow); these
operators add params, XCom, and the pass/fail decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from airflow_idu.engines.base import StatementError
from airflow_idu.operators.base import IduBaseOperator, TablesOperator
from airflow_idu.plan.contract import HEALTH_XCOM_KEY

if TYPE_CHECKING:
    from airflow.sdk import Context


__all__ = ["HEALTH_XCOM_KEY", "IdentityHealthGateOperator", "KeepPreviousLookupOperator"]


class KeepPreviousLookupOperator(TablesOperator):
    """Keep the published ``<p>_lookup`` as ``<p>_lookup_previous`` before ``05_canonicalize`` replaces it.

    Once per run: a retry or a cleared ``canonicalize`` group finds the snapshot this run took
    and keeps it (it still holds the previous run's result, not this run's).
    """

    ui_color = "#f3e8fb"

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_idu.health.churn import keep_previous

        try:
            outcome = keep_previous(self.engine, self.tables, context["ti"].run_id)
        except StatementError as err:
            raise self.task_error(err) from err
        if not outcome.taken:
            self.log.info("Previous lookup was kept earlier in this run; leaving it as it is")
        elif outcome.had_lookup:
            self.log.info("Kept %s as %s", self.tables.lookup, self.tables.lookup_previous)
        else:
            self.log.info("No %s yet: this is the first run, nothing to compare against", self.tables.lookup)
        return outcome.to_dict()


class IdentityHealthGateOperator(TablesOperator):
    """Measure the run's identity graph and refuse to publish one that breaches a limit.

    Pushes XCom ``health`` (and returns it) in the shape the UI renders. On a breach it
    restores the previous lookup and fails without retry, naming each breached limit, the
    offending clusters and their top values; enrichment and master tables were not rewritten
    yet, so every published table stays the previous result. On a pass it appends this
    run's canonical-id changes to ``<p>_id_history``.

    :param max_cluster_size: / :param max_cluster_growth: / :param max_id_churn: limits (empty: not checked).
    :param min_coverage: listed in the verdicts only; the report task checks it after enrichment.
    :param requires: tasks that must have succeeded (``on_file_error="continue"``), else skip.
    :param incremental: the directory is incremental-capable (its links are not all in loop 0).
    """

    template_fields = (
        *IduBaseOperator.template_fields,
        "max_cluster_size",
        "max_cluster_growth",
        "max_id_churn",
        "min_coverage",
    )
    ui_color = "#fde2e2"

    def __init__(
        self,
        *,
        max_cluster_size: int | str | None = None,
        max_cluster_growth: float | str | None = None,
        max_id_churn: float | str | None = None,
        min_coverage: float | str | None = None,
        requires: Sequence[str] = (),
        largest_clusters: int = 10,
        shared_min_leaders: int = 5,
        incremental: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.max_cluster_size = max_cluster_size
        self.max_cluster_growth = max_cluster_growth
        self.max_id_churn = max_id_churn
        self.min_coverage = min_coverage
        self.requires = list(requires)
        self.largest_clusters = largest_clusters
        self.shared_min_leaders = shared_min_leaders
        self.incremental = incremental

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_idu.health import GateLimits

        missing = [t for t in self.requires if not context["ti"].xcom_pull(task_ids=t)]
        if missing:
            raise AirflowSkipException(f"not run: {', '.join(missing)} did not succeed in this run")
        try:
            limits = GateLimits.from_params(
                max_cluster_size=self.max_cluster_size,
                max_cluster_growth=self.max_cluster_growth,
                max_id_churn=self.max_id_churn,
                min_coverage=self.min_coverage,
            )
        except ValueError as err:
            raise AirflowFailException(str(err)) from err
        try:
            return self._gate(context, limits)
        except StatementError as err:
            raise self.task_error(err) from err

    def _gate(self, context: Context, limits: Any) -> dict[str, Any]:
        from airflow_idu.health import evaluate_gates, failure_message
        from airflow_idu.health.churn import (
            churn,
            clear_id_history,
            previous_max_cluster,
            read_state,
            restore_previous,
            write_id_history,
        )
        from airflow_idu.health.measure import ClusterOptions, measure_clusters

        run_id = context["ti"].run_id
        state = read_state(self.engine, self.tables)
        if state is None or state.run_id != run_id:
            raise AirflowFailException(
                f"no previous-lookup snapshot from this run in {self.tables.previous_state}; "
                "canonicalize.keep_previous_lookup must run before canonicalize: clear the canonicalize group"
            )
        if state.restored:
            raise AirflowFailException(
                f"the gate already refused this run's result and restored {self.tables.lookup}; "
                "clear the canonicalize group (with downstream) to publish this run again"
            )
        has_previous = state.had_lookup
        options = ClusterOptions(
            largest=self.largest_clusters,
            shared_min_leaders=self.shared_min_leaders,
            incremental=self.incremental,
        )
        health: dict[str, Any] = measure_clusters(self.engine, self.tables, options)
        health["churn"] = churn(self.engine, self.tables) if has_previous else None
        previous_max = previous_max_cluster(self.engine, self.tables) if has_previous else None
        results = evaluate_gates(limits, health, previous_max=previous_max)
        health["gates"] = [r.to_dict() for r in results]
        health["passed"] = all(r.passed for r in results)
        for result in results:
            self.log.info("gate %s", result.message)
        context["ti"].xcom_push(key=HEALTH_XCOM_KEY, value=health)
        if not health["passed"]:
            clear_id_history(self.engine, self.tables, run_id)
            outcome = restore_previous(self.engine, self.tables, state)
            raise AirflowFailException(failure_message(results, outcome))
        moved = write_id_history(self.engine, self.tables, run_id, had_previous=has_previous)
        self.log.info("Identity health passed; %d rows of %s for this run", moved, self.tables.id_history)
        return health
