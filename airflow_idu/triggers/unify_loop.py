"""One unify-loop iteration on a Databricks SQL warehouse, run by the triggerer (no worker slot held).

The deferrable :class:`~airflow_idu.sensors.unify_loop.UnifyLoopSensor` hands the iteration's
statements (from the loop runner) to :class:`UnifyLoopTrigger`. The trigger sends them one by one
through the Statement Execution API with the provider's ``DatabricksHook`` (``POST
/api/2.0/sql/statements``, then the hook's async state poll), and
fires one event: the convergence count and per-statement results, or the first failure.
Statements are submitted with ``wait_timeout`` ``0s`` so their id is known at once (a statement
still inside a longer ``wait_timeout`` could not be cancelled by id), then polled 20 ms, 40 ms, ...
up to ``poll_interval`` apart, so short statements cost milliseconds and long ones few requests.

The Statement Execution API has no session, so ``USE CATALOG``/``USE SCHEMA`` lines are not sent:
they set the ``catalog``/``schema`` of the statements that follow, as a session would.

A statement in flight is cancelled when the trigger stops before it finished: a user kill
(``on_kill``), a deferral timeout, or (best effort) a triggerer shutting down. The iteration cannot be re-attached
to (the trigger's arguments are fixed when the task defers), so a re-created trigger runs the
iteration again from its first statement (``CREATE OR REPLACE`` ... idempotent), and a statement left
running would write the same table concurrently. A triggerer killed outright cancels nothing, so a
trigger first cancels whatever still runs on its iteration's tables (``guard_tables``, found through
the query history API).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_idu.engines.databricks_errors import is_transient_statement_failure
from airflow_idu.engines.statement_api import StatementClient, cancel_left_running
from airflow_idu.plan import first_line
from airflow_idu.plan.contract import parse_use

__all__ = ["EventStatus", "UnifyLoopTrigger", "cancel_left_running", "error_class_of"]

_ERROR_CLASS = re.compile(r"^\[([A-Z0-9_.]+)\]")


class EventStatus(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"  # a statement failed or was cancelled on the warehouse
    ERROR = "error"  # the API could not be reached (after the hook's retries)


def error_class_of(message: str) -> str | None:
    """``"[TABLE_OR_VIEW_NOT_FOUND] The table ..."`` -> ``"TABLE_OR_VIEW_NOT_FOUND"``."""
    match = _ERROR_CLASS.match(message or "")
    return match.group(1) if match else None


class UnifyLoopTrigger(BaseTrigger):
    """Run iteration ``iteration``'s ``statements`` (``[label, sql]`` pairs) on SQL warehouse ``warehouse_id``.

    Event payload on success: ``{"status": "success", "iteration", "updated_count", "rows", "seconds",
    "statements": [{"label", "index", "statement_id", "rows", "seconds"}]}``; on failure:
    ``{"status": "failed"|"error", "iteration", "label", "index", "first_line", "state", "error_code",
    "error_class", "message", "statement_id", "transient"}``.
    """

    def __init__(
        self,
        *,
        conn_id: str,
        warehouse_id: str,
        iteration: int,
        statements: list[list[str]] | list[tuple[str, str]],
        catalog: str | None = None,
        schema: str | None = None,
        poll_interval: float = 1.0,
        wait_timeout: str = "0s",
        retry_limit: int = 3,
        retry_delay: float = 1.0,
        guard_tables: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.warehouse_id = warehouse_id
        self.iteration = iteration
        self.statements = [[str(label), str(sql)] for label, sql in statements]
        self.catalog = catalog
        self.schema = schema
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.retry_limit = retry_limit
        self.retry_delay = retry_delay
        self.guard_tables = list(guard_tables or [])
        self._in_flight: str | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "conn_id": self.conn_id,
                "warehouse_id": self.warehouse_id,
                "iteration": self.iteration,
                "statements": self.statements,
                "catalog": self.catalog,
                "schema": self.schema,
                "poll_interval": self.poll_interval,
                "wait_timeout": self.wait_timeout,
                "retry_limit": self.retry_limit,
                "retry_delay": self.retry_delay,
                "guard_tables": self.guard_tables,
            },
        )

    def _hook(self) -> Any:
        from airflow.providers.databricks.hooks.databricks import DatabricksHook

        return DatabricksHook(
            self.conn_id,
            retry_limit=self.retry_limit,
            retry_delay=self.retry_delay,
            caller="UnifyLoopTrigger",
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = self._hook()
        self.hook = hook
        started = time.monotonic()
        namespace = {"CATALOG": self.catalog, "SCHEMA": self.schema}
        done: list[dict[str, Any]] = []
        counters: dict[str, int] = {}
        answer: dict[str, Any] = {}
        label, index, sql = "", 0, ""
        try:
            async with hook:
                client = StatementClient(hook)
                await self._cancel_leftovers(hook)
                for label, sql in self.statements:
                    index = counters[label] = counters.get(label, 0) + 1
                    use = parse_use(sql)
                    if use:  # no session: the namespace goes with each statement instead
                        namespace.update(use.namespace())
                        continue
                    t0 = time.monotonic()
                    answer = await self._execute(client, sql, namespace)
                    if answer["status"]["state"] != "SUCCEEDED":
                        yield TriggerEvent(self._failure(answer, label, index, sql))
                        return
                    done.append(self._succeeded(answer, label, index, sql, round(time.monotonic() - t0, 4)))
        except asyncio.CancelledError:
            await self._cancel_in_flight("the trigger was stopped")
            raise
        except Exception as err:  # the API itself failed (after the hook's retries): may pass later
            await self._cancel_in_flight("the statement API call failed")
            yield TriggerEvent(self._api_error(err, label, index, sql))
            return
        script = self.statements[0][0] if self.statements else ""
        rows = [d["rows"] for d in done if d["label"] == script and d["rows"] is not None]
        yield TriggerEvent(
            {
                "status": EventStatus.SUCCESS.value,
                "iteration": self.iteration,
                "updated_count": _scalar(answer),
                "rows": rows[-1] if rows else None,
                "seconds": round(time.monotonic() - started, 4),
                "statements": done,
            }
        )

    def _succeeded(
        self, answer: dict[str, Any], label: str, index: int, sql: str, seconds: float
    ) -> dict[str, Any]:
        record = {
            "label": label,
            "index": index,
            "statement_id": answer["statement_id"],
            "rows": _affected_rows(answer),
            "seconds": seconds,
        }
        self.log.info(
            "%s #%d %s — rows=%s seconds=%.3f statement_id=%s",
            label,
            index,
            first_line(sql),
            record["rows"] if record["rows"] is not None else "n/a",
            seconds,
            answer["statement_id"],
        )
        return record

    async def _execute(
        self, client: StatementClient, sql: str, namespace: dict[str, str | None]
    ) -> dict[str, Any]:
        """Submit one statement; poll its state (the hook's async API) until it is terminal."""
        body = {
            "statement": sql,
            "warehouse_id": self.warehouse_id,
            "catalog": namespace["CATALOG"],
            "schema": namespace["SCHEMA"],
            "wait_timeout": self.wait_timeout,
            "on_wait_timeout": "CONTINUE",
            "disposition": "INLINE",
            "format": "JSON_ARRAY",
        }
        answer = await client.submit(body)
        self._in_flight = answer["statement_id"]
        answer = await client.wait(answer, self.poll_interval)
        self._in_flight = None
        return answer

    def _failure(self, answer: dict[str, Any], label: str, index: int, sql: str) -> dict[str, Any]:
        status = answer["status"]
        error = status.get("error") or {}
        message = str(error.get("message") or f"the statement ended {status['state']}")
        code = str(error.get("error_code") or status["state"])
        return {
            "status": EventStatus.FAILED.value,
            "iteration": self.iteration,
            "label": label,
            "index": index,
            "first_line": first_line(sql),
            "state": status["state"],
            "error_code": code,
            "error_class": error_class_of(message),
            "message": message,
            "statement_id": answer["statement_id"],
            "transient": is_transient_statement_failure(status["state"], code, message),
        }

    def _api_error(self, err: Exception, label: str, index: int, sql: str) -> dict[str, Any]:
        return {
            "status": EventStatus.ERROR.value,
            "iteration": self.iteration,
            "label": label,
            "index": index,
            "first_line": first_line(sql),
            "state": None,
            "error_code": type(err).__name__,
            "error_class": None,
            "message": str(err),
            "statement_id": self._in_flight,
            "transient": True,
        }

    async def _cancel_leftovers(self, hook: Any) -> None:
        """Cancel statements still running on this iteration's tables (``guard_tables``).

        A trigger stopped without a chance to cancel (its triggerer was killed) may have left its
        statement running; this trigger re-runs the iteration from its first statement, so that
        statement must not keep writing the same table. Found through the query history API."""
        await cancel_left_running(
            hook, self.warehouse_id, self.guard_tables, self.log, "by an earlier run of this iteration"
        )

    async def _cancel_in_flight(self, why: str) -> None:
        statement_id, self._in_flight = self._in_flight, None
        if statement_id is None:
            return
        self.log.info("Cancelling Databricks SQL statement %s: %s", statement_id, why)
        try:
            # The run's hook has its connection cached: no lookup through the triggerer's comms,
            # which may be shutting down when a stopped triggerer cancels this trigger. Sent
            # synchronously (one short request): a stopping triggerer cancels its tasks again and
            # ends its process, which would drop a cancel still waiting in a thread.
            StatementClient(getattr(self, "hook", None) or self._hook()).cancel_now(statement_id)
        except Exception:  # best effort: the task's retry runs the iteration again either way
            self.log.warning("Could not cancel statement %s", statement_id, exc_info=True)

    async def on_kill(self) -> None:
        """A user killed the deferred task: cancel the statement in flight (run() does it when cancelled)."""
        await self._cancel_in_flight("the task was killed")

    async def cleanup(self) -> None:
        await self._cancel_in_flight("the trigger is being removed")


def _columns(answer: dict[str, Any]) -> list[str]:
    manifest = answer.get("manifest") or {}
    return [str(c["name"]) for c in (manifest.get("schema") or {}).get("columns", [])]


def _data(answer: dict[str, Any]) -> list[list[Any]]:
    return list((answer.get("result") or {}).get("data_array") or [])


def _affected_rows(answer: dict[str, Any]) -> int | None:
    """DML answers with ``num_affected_rows`` (values come as strings in JSON_ARRAY)."""
    columns, data = _columns(answer), _data(answer)
    if "num_affected_rows" not in columns or not data:
        return None
    value = data[0][columns.index("num_affected_rows")]
    return None if value is None else int(value)


def _scalar(answer: dict[str, Any]) -> int | None:
    data = _data(answer)
    return None if not data or data[0][0] is None else int(data[0][0])
