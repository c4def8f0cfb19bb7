"""The deferrable unify loop's worker side: where the Statement Execution API is, and what an event means.

The sensor (``UnifyLoopSensor(deferrable=True)``) uses these to hand each iteration to
:class:`~airflow_idu.triggers.unify_loop.UnifyLoopTrigger` and to turn its event back into an
iteration record, a retry, or a failure that names the file, the iteration and the error class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_idu.engines.base import StatementStats
from airflow_idu.operators.base import Verdict

__all__ = [
    "StatementApi",
    "cancel_left_by_killed_try",
    "event_error",
    "event_stats",
    "statement_api",
    "warehouse_id_from_http_path",
]

DATABRICKS_CONN_TYPE = "databricks"
_HTTP_PATH = re.compile(r"^/?sql/(?:1\.0|protocolv1)/(?:warehouses|endpoints)/([A-Za-z0-9_-]+)/?$")


@dataclass(frozen=True, kw_only=True)
class StatementApi:
    """Where a deferred iteration's statements go: a Databricks connection and a SQL warehouse id."""

    conn_id: str
    warehouse_id: str

    def __post_init__(self) -> None:
        if not self.warehouse_id:
            raise ValueError("StatementApi.warehouse_id must not be empty; set the connection's http_path")


def warehouse_id_from_http_path(http_path: str) -> str | None:
    """``/sql/1.0/warehouses/abc123`` -> ``abc123``; None for a cluster path (no Statement API there)."""
    match = _HTTP_PATH.match((http_path or "").strip())
    return match.group(1) if match else None


def statement_api(
    conn_id: str, *, http_path: str | None, hook_params: dict[str, Any] | None
) -> StatementApi | None:
    """The Statement API target of ``conn_id``, or None when the connection is not Databricks
    (deferral does not apply: the loop runs in the worker). Called at execute time."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    if (conn.conn_type or "").lower() != DATABRICKS_CONN_TYPE:
        return None
    params = hook_params or {}
    path = http_path or params.get("http_path") or conn.extra_dejson.get("http_path") or ""
    if not path and params.get("sql_endpoint_name"):
        from airflow_idu.engines.statement_api import warehouse_id_by_name

        return StatementApi(
            conn_id=conn_id, warehouse_id=warehouse_id_by_name(conn_id, params["sql_endpoint_name"])
        )
    warehouse_id = warehouse_id_from_http_path(str(path))
    if warehouse_id is None:
        raise AirflowFailException(
            f"deferrable=True sends statements through the SQL Statement Execution API, which needs a SQL "
            f"warehouse; connection {conn_id!r} has http_path {path!r}. Set http_path to "
            "/sql/1.0/warehouses/<id> (connection extra or http_path=...), or use deferrable=False"
        )
    return StatementApi(conn_id=conn_id, warehouse_id=warehouse_id)


def event_error(event: dict[str, Any]) -> AirflowException:
    """A failed iteration: names the file (label), the statement, the iteration and the error class.

    SQL errors fail at once; an unreachable API or a statement cancelled by someone else is retried."""
    what = (
        f"{event.get('label')}: statement {event.get('index')} failed ({event.get('first_line')}) "
        f"in iteration {event.get('iteration')}"
    )
    cause = event.get("error_class") or event.get("error_code")
    detail = f"{cause}: {event.get('message')}" if cause else str(event.get("message"))
    where = f" [statement id {event['statement_id']}]" if event.get("statement_id") else ""
    verdict = Verdict.of(bool(event.get("transient")))
    return verdict.exception(f"{what}: {detail}{where} — {verdict}")


def event_stats(event: dict[str, Any]) -> list[StatementStats]:
    """The statements a trigger ran, as the engines report theirs (for the query-history link)."""
    return [
        StatementStats(
            index=int(s["index"]),
            first_line=str(s["label"]),
            rows=s.get("rows"),
            seconds=float(s.get("seconds") or 0.0),
            query_id=s.get("statement_id"),
        )
        for s in event.get("statements", [])
    ]


def cancel_left_by_killed_try(api: StatementApi, guards: list[str], log: Any) -> list[str]:
    """Cancel what an earlier try of the loop task left running on the warehouse (a worker killed
    outright cancels nothing): statements that name ``guards`` (the run's loop-log key, the final
    table). Otherwise a loop-log row written late would record an iteration twice, and a late final
    script would write the table this try writes. Returns the cancelled statement ids.

    Best effort: a failure is logged and the try goes on (the Statement API may refuse to cancel a
    query that a Thrift session sent; the loop log then keeps the first of two records)."""
    import asyncio

    from airflow.providers.databricks.hooks.databricks import DatabricksHook

    from airflow_idu.engines.statement_api import cancel_left_running

    hook = DatabricksHook(api.conn_id, caller="UnifyLoopSensor")
    hook.databricks_conn  # noqa: B018  # the connection is looked up here, not on the event loop

    async def cancel() -> list[str]:
        async with hook:
            return await cancel_left_running(
                hook, api.warehouse_id, guards, log, "by an earlier try of this task"
            )

    try:
        return asyncio.run(cancel())
    except Exception:  # best effort: the loop log keeps the first record of an iteration written twice
        log.warning(
            "Could not cancel what an earlier try left running on %s; continuing",
            ", ".join(guards),
            exc_info=True,
        )
        return []
