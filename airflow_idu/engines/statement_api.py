"""The one place that speaks Databricks' SQL Statement Execution API: submit, poll, fetch, cancel and
the query history, through the Databricks provider's ``DatabricksHook``.

Used by the deferrable loop's trigger (in the triggerer, on its event loop) and by the loop sensor's
cancel of what a killed try left running. No Airflow SDK imports: the triggerer loads it.

Public hook methods are used where the provider has them (``a_get_sql_statement_state``,
``cancel_sql_statement``). Where it has none, this module calls the provider's private methods, and
nothing else in the package does (``tests/test_architecture.py`` checks it):

- ``DatabricksHook._a_do_api_call`` (the hook's async request with its retries and auth):

  - ``POST 2.0/sql/statements`` (:meth:`StatementClient.submit`): ``post_sql_statement`` is
    synchronous, which would block every trigger on the triggerer's event loop, and returns only the
    id, while a statement that ends within ``wait_timeout`` answers with its result right away.
  - ``GET 2.0/sql/statements/{id}`` (:meth:`StatementClient.fetch`): ``a_get_sql_statement_state``
    returns the state only; the rows and the error message are in the full answer.
  - ``POST 2.0/sql/statements/{id}/cancel`` (:meth:`StatementClient.cancel`): ``cancel_sql_statement``
    is synchronous only (it is used where blocking is wanted: :meth:`StatementClient.cancel_now`).
  - ``GET 2.0/sql/history/queries`` (:meth:`StatementClient.running_queries`): the provider has no
    query-history method.

- ``DatabricksSqlHook._get_sql_endpoint_by_name`` (:func:`warehouse_id_by_name`): the provider resolves
  a connection's ``sql_endpoint_name`` to its warehouse only inside this method (the SQL hook calls it
  when it connects); the Statement API needs the warehouse id itself.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.providers.databricks.hooks.databricks import DatabricksHook

__all__ = ["TERMINAL_STATES", "StatementClient", "cancel_left_running", "warehouse_id_by_name"]

TERMINAL_STATES = ("SUCCEEDED", "FAILED", "CANCELED", "CLOSED")
_FIRST_POLL = 0.02  # seconds; doubled per poll up to the caller's poll interval


class StatementClient:
    """Statements on one SQL warehouse through ``hook`` (an async ``DatabricksHook``, entered by the caller
    for the async methods)."""

    def __init__(self, hook: DatabricksHook) -> None:
        self.hook = hook

    async def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send one statement; the answer holds its id and state (and its result, if it ended)."""
        answer: dict[str, Any] = await self.hook._a_do_api_call(("POST", "2.0/sql/statements"), body)
        return answer

    async def fetch(self, statement_id: str) -> dict[str, Any]:
        """The full answer of one statement: state, error, manifest and result."""
        answer: dict[str, Any] = await self.hook._a_do_api_call(("GET", f"2.0/sql/statements/{statement_id}"))
        return answer

    async def is_terminal(self, statement_id: str) -> bool:
        state = await self.hook.a_get_sql_statement_state(statement_id)
        return bool(state.is_terminal)

    async def wait(self, answer: dict[str, Any], poll_interval: float) -> dict[str, Any]:
        """Poll a submitted statement until it is terminal; its full answer then."""
        statement_id, polls = answer["statement_id"], 0
        while answer["status"]["state"] not in TERMINAL_STATES:
            # Short statements answer within the first few polls; long ones are polled every poll_interval.
            await asyncio.sleep(min(poll_interval, _FIRST_POLL * 2**polls))
            polls += 1
            if await self.is_terminal(statement_id):
                answer = await self.fetch(statement_id)
        return answer

    async def cancel(self, statement_id: str) -> None:
        await self.hook._a_do_api_call(("POST", f"2.0/sql/statements/{statement_id}/cancel"))

    def cancel_now(self, statement_id: str) -> None:
        """Cancel synchronously: one short request that a stopping event loop cannot drop."""
        self.hook.cancel_sql_statement(statement_id)

    async def running_queries(self, warehouse_id: str) -> list[dict[str, Any]]:
        """Statements QUEUED or RUNNING on the warehouse, from the query history."""
        params = {"filter_by": {"statuses": ["QUEUED", "RUNNING"], "warehouse_ids": [warehouse_id]}}
        answer = await self.hook._a_do_api_call(("GET", "2.0/sql/history/queries"), params)
        return list(answer.get("res") or [])


async def cancel_left_running(
    hook: DatabricksHook, warehouse_id: str, guards: list[str], log: Any, left_by: str
) -> list[str]:
    """Cancel the statements QUEUED or RUNNING on ``warehouse_id`` whose text names one of ``guards``
    (table names or a run key, as whole words), found through the query history API; returns their ids.

    ``hook`` is an entered async ``DatabricksHook``. Shared by the trigger (its iteration's tables) and
    the deferrable sensor's retry (what a killed worker left running on its loop log and final table)."""
    if not guards:
        return []
    client = StatementClient(hook)
    cancelled = []
    for query in await client.running_queries(warehouse_id):
        text = str(query.get("query_text") or "")
        if any(re.search(rf"(?<![A-Za-z0-9_.]){re.escape(g)}(?![A-Za-z0-9_])", text) for g in guards):
            log.info(
                "Cancelling statement %s left running on %s %s",
                query.get("query_id"),
                ", ".join(guards),
                left_by,
            )
            await client.cancel(str(query["query_id"]))
            cancelled.append(str(query["query_id"]))
    return cancelled


def warehouse_id_by_name(conn_id: str, name: str) -> str:
    """The id of the SQL warehouse called ``name`` (a connection's ``sql_endpoint_name``)."""
    from airflow.providers.databricks.hooks.databricks_sql import DatabricksSqlHook

    endpoint = DatabricksSqlHook(conn_id)._get_sql_endpoint_by_name(name)
    return str(endpoint["id"])
