"""Extra link from a task that ran on Databricks to the query history of its statements."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink
from airflow.sdk.bases.xcom import BaseXCom

from airflow_idu.plan.contract import QUERY_HISTORY_XCOM_KEY

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

__all__ = ["QUERY_HISTORY_XCOM_KEY", "DatabricksQueryHistoryLink", "query_history_url"]


def query_history_url(host: str, query_ids: list[str]) -> str | None:
    """Query history of the workspace, opened on the task's first statement (the others follow it)."""
    if not host or not query_ids:
        return None
    base = host if host.startswith("http") else f"https://{host}"
    return f"{base.rstrip('/')}/sql/history?queryId={quote(query_ids[0])}"


class DatabricksQueryHistoryLink(BaseOperatorLink):
    """Shown on tasks that ran on Databricks; empty for the embedded DuckDB engine."""

    name = "Databricks query history"
    # The task runner stores the link under this key right after execute: the key the report tab and
    # `airflow-idu summary` read, so a task pushes its link once, not once more under `_link_<class>`.
    xcom_key = QUERY_HISTORY_XCOM_KEY

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        # The task runner asks right after execute, with the operator that ran: its own record saves
        # a round trip to the API server. A process that ran no statement (a sensor's later poke,
        # a task that failed first) has none, and the XCom an earlier process pushed answers.
        known = getattr(operator, "query_history_link", None)
        if known is not None:
            return str(known)
        # get_all answers "none" for a missing key; get_value would log "XCom not found" as an error
        # for every task that did not run on Databricks (or failed before running a statement).
        values = BaseXCom.get_all(
            key=QUERY_HISTORY_XCOM_KEY, dag_id=ti_key.dag_id, task_id=ti_key.task_id, run_id=ti_key.run_id
        )
        return next((str(v) for v in values or () if v), "")
