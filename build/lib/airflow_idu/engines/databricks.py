"""Production: Databricks SQL warehouses through the provider's ``DatabricksSqlHook``."""

from __future__ import annotations

import logging
import re
import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_idu.engines.base import EngineKind, StatementStats, fetch_rows, run_statements

if TYPE_CHECKING:
    from airflow.providers.databricks.hooks.databricks_sql import DatabricksSqlHook

__all__ = ["DatabricksEngine"]

log = logging.getLogger(__name__)

_USE = re.compile(r"^\s*USE\s+(CATALOG|SCHEMA|DATABASE)\s+`?([A-Za-z0-9_]+)`?\s*$", re.I)


class DatabricksEngine:
    """One Databricks SQL session per task, reused across statements and loop iterations.

    The session is opened with the plan's catalog and schema, so the ``USE`` lines
    every generated file starts with are already in force; those are not sent again
    (a round trip each, per file and per loop iteration).
    """

    kind = EngineKind.DATABRICKS

    def __init__(
        self,
        conn_id: str,
        *,
        catalog: str | None = None,
        schema: str | None = None,
        http_path: str | None = None,
        hook_params: dict[str, Any] | None = None,
    ) -> None:
        self.conn_id = conn_id
        self.catalog = catalog
        self.schema = schema
        self.http_path = http_path
        self.hook_params = dict(hook_params or {})
        self._context = {"CATALOG": catalog, "SCHEMA": schema}
        self._cursor: Any = None
        self._lock = threading.Lock()

    @cached_property
    def hook(self) -> DatabricksSqlHook:
        from airflow.providers.databricks.hooks.databricks_sql import DatabricksSqlHook

        params: dict[str, Any] = {"caller": "airflow-idu", **self.hook_params}
        for key in ("catalog", "schema", "http_path"):
            value = getattr(self, key)
            if value:
                params.setdefault(key, value)
        return DatabricksSqlHook(databricks_conn_id=self.conn_id, **params)

    @property
    def host(self) -> str:
        return str(self.hook.host or "")

    @cached_property
    def connection(self) -> Any:
        return self.hook.get_conn()

    def run_script(self, sql: str, *, label: str) -> list[StatementStats]:
        return run_statements(sql, label=label, execute=self._execute)

    def _execute(self, statement: str) -> tuple[int | None, str | None, str | None]:
        use = _USE.match(statement)
        if use:
            kind = "SCHEMA" if use.group(1).upper() == "DATABASE" else use.group(1).upper()
            if self._context.get(kind) == use.group(2):
                return None, None, f"session already uses {kind.lower()} {use.group(2)}"
        cursor = self.connection.cursor()
        try:
            with self._lock:
                self._cursor = cursor
            cursor.execute(statement)
            rows = _affected_rows(cursor)
            query_id = getattr(cursor, "query_id", None)
        finally:
            with self._lock:
                self._cursor = None
            cursor.close()
        if use:
            self._context["SCHEMA" if use.group(1).upper() == "DATABASE" else use.group(1).upper()] = (
                use.group(2)
            )
        return rows, query_id, None

    def query(self, sql: str, *, label: str = "query") -> list[tuple[Any, ...]]:
        return fetch_rows(sql, label=label, fetch=self._fetch)

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        try:
            with self._lock:
                self._cursor = cursor
            cursor.execute(sql)
            rows = cursor.fetchall()
        finally:
            with self._lock:
                self._cursor = None
            cursor.close()
        return [tuple(r) for r in rows]

    def scalar(self, sql: str, *, label: str = "query") -> Any:
        rows = self.query(sql, label=label)
        return rows[0][0] if rows else None

    def close(self) -> None:
        if "connection" in self.__dict__:
            self.__dict__.pop("connection").close()
            self.hook._sql_conn = None  # the hook caches the session; it is closed now

    def cancel(self) -> None:
        with self._lock:
            cursor = self._cursor
        if cursor is not None:
            log.info("Cancelling the running Databricks statement")
            cursor.cancel()


def _affected_rows(cursor: Any) -> int | None:
    """DML on Databricks answers with a row of ``num_affected_rows`` (and ``num_inserted_rows``)."""
    names = [d[0] for d in (cursor.description or [])]
    if "num_affected_rows" not in names:
        return None
    row = cursor.fetchone()
    return None if row is None else int(row[names.index("num_affected_rows")])
