"""Production: Databricks SQL warehouses through the provider's ``DatabricksSqlHook``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_idu.engines.base import EngineKind, StatementStats, fetch_rows, known_connection, run_statements
from airflow_idu.engines.databricks_errors import (
    DatabricksAuthError,
    DatabricksTokenExpired,
    http_code,
    is_transient_databricks_error,
)
from airflow_idu.plan.contract import parse_use

if TYPE_CHECKING:
    from airflow.providers.databricks.hooks.databricks_sql import DatabricksSqlHook
    from airflow.sdk import Connection

__all__ = ["DatabricksAuthError", "DatabricksEngine", "is_transient_databricks_error"]

log = logging.getLogger(__name__)

T = TypeVar("T")
CANCEL_WAIT_SECONDS = 10.0


class DatabricksEngine:
    """One Databricks SQL session per task, reused across statements and loop iterations.

    The session is opened with the plan's catalog and schema, so the ``USE`` lines
    every generated file starts with are already in force; those are not sent again
    (a round trip each, per file and per loop iteration).

    Every statement takes its connection from ``hook.get_conn()``: the hook keeps the session
    while the token is valid and reconnects with a new one when an OAuth/Azure AD token nears
    expiry, so a loop that outlives its token keeps working. If the warehouse still answers that
    the token expired (before running the statement), the engine drops the hook's cached token,
    reconnects once and sends the statement again.
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
        connection: Connection | None = None,
    ) -> None:
        self.conn_id = conn_id
        self._airflow_connection = connection
        self.catalog = catalog
        self.schema = schema
        self.http_path = http_path
        self.hook_params = dict(hook_params or {})
        self._context = self._initial_context()
        self._cursor: Any = None
        self._cursor_thread: int | None = None
        self._conn: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_task(cls, conn_id: str, **settings: Any) -> DatabricksEngine:
        """Every setting a task passes (``Engine.from_task``) is a Databricks one."""
        return cls(conn_id, **settings)

    @staticmethod
    def is_transient(error: BaseException) -> bool:
        return is_transient_databricks_error(error)

    def query_history_url(self, stats: list[StatementStats]) -> str | None:
        from airflow_idu.links import query_history_url

        conn = self.hook.databricks_conn
        scheme = conn.schema if conn.schema in ("http", "https") else "https"
        port = f":{conn.port}" if conn.port and scheme == "http" else ""
        return query_history_url(f"{scheme}://{self.host}{port}", [s.query_id for s in stats if s.query_id])

    def _initial_context(self) -> dict[str, str | None]:
        return {"CATALOG": self.catalog, "SCHEMA": self.schema}

    @cached_property
    def hook(self) -> DatabricksSqlHook:
        from airflow.providers.databricks.hooks.databricks_sql import DatabricksSqlHook

        params: dict[str, Any] = {"caller": "airflow-idu", **self.hook_params}
        for key in ("catalog", "schema", "http_path"):
            value = getattr(self, key)
            if value:
                params.setdefault(key, value)
        hook = DatabricksSqlHook(databricks_conn_id=self.conn_id, **params)
        known = known_connection(self._airflow_connection, self.conn_id)
        if known is not None:
            # the hook's cached lookup, filled as the provider's own async path fills it
            hook.__dict__["databricks_conn"] = known
        return hook

    @property
    def host(self) -> str:
        return str(self.hook.host or "")

    @property
    def connection(self) -> Any:
        """The hook's connection: the same session while its token is valid, a new one after a refresh."""
        conn = self.hook.get_conn()
        if self._conn is not None and conn is not self._conn:
            log.info("Databricks token refreshed: continuing on a new session")
            self._context = self._initial_context()  # a new session starts in the task's catalog/schema
        self._conn = conn
        return conn

    def run_script(self, sql: str, *, label: str) -> list[StatementStats]:
        return run_statements(sql, label=label, execute=self._execute)

    def _execute(self, statement: str) -> tuple[int | None, str | None, str | None]:
        use = parse_use(statement)
        if use and all(self._context.get(k) == v for k, v in use.namespace().items()):
            return None, None, f"session already uses {use.kind.lower()} {use.name}"

        def run(cursor: Any) -> tuple[int | None, str | None]:
            cursor.execute(statement)
            return _affected_rows(cursor), getattr(cursor, "query_id", None)

        rows, query_id = self._with_cursor(run)
        if use:
            self._context.update(use.namespace())
        return rows, query_id, None

    def _with_cursor(self, work: Callable[[Any], T]) -> T:
        """Run ``work`` on a new cursor; one reconnect with a fresh token if the token had expired."""
        for attempt in (1, 2):
            cursor = None
            try:
                cursor = self.connection.cursor()
                with self._lock:
                    self._cursor, self._cursor_thread = cursor, threading.get_ident()
                return work(cursor)
            except Exception as err:
                if attempt == 1 and _expired_before_running(err) and self._refresh_token():
                    continue
                if _expired_while_running(err):
                    raise DatabricksTokenExpired(
                        f"the access token of connection {self.conn_id!r} expired while a statement "
                        "ran (HTTP 401 on a poll or fetch); transient: the task's retry sends it again "
                        "with a new token"
                    ) from err
                auth = _auth_error(err, self.conn_id)
                if auth is not None:
                    raise auth from err
                raise
            finally:
                with self._lock:
                    self._cursor = None
                if cursor is not None:
                    cursor.close()
        raise AssertionError("unreachable")

    def _refresh_token(self) -> bool:
        """Forget the hook's cached OAuth tokens and reconnect; True if that gave a new session."""
        before = self._conn
        self.hook.oauth_tokens.clear()
        return self.connection is not before

    def query(self, sql: str, *, label: str = "query") -> list[tuple[Any, ...]]:
        return fetch_rows(sql, label=label, fetch=self._fetch)

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        def run(cursor: Any) -> list[tuple[Any, ...]]:
            cursor.execute(sql)
            return [tuple(r) for r in cursor.fetchall()]

        return self._with_cursor(run)

    def scalar(self, sql: str, *, label: str = "query") -> Any:
        rows = self.query(sql, label=label)
        return rows[0][0] if rows else None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        # The hook caches its session; forgetting the hook (a new one is made on the next use) is the
        # public way to make sure a closed session is never handed out again.
        self.__dict__.pop("hook", None)
        if conn is not None:
            conn.close()

    def cancel(self) -> None:
        with self._lock:
            cursor, thread = self._cursor, self._cursor_thread
        if cursor is None:
            return
        # The connector knows the statement's id only once ExecuteStatement has answered; a cancel
        # sent before that would be lost, so wait for it (briefly: the task is being killed) — unless
        # called on the thread running the statement (a SIGTERM handler), which cannot advance it.
        wait = CANCEL_WAIT_SECONDS if thread != threading.get_ident() else 0.0
        deadline = time.monotonic() + wait
        while getattr(cursor, "active_command_id", None) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        log.info("Cancelling the running Databricks statement")
        cursor.cancel()


def _affected_rows(cursor: Any) -> int | None:
    """DML on Databricks answers with a row of ``num_affected_rows`` (and ``num_inserted_rows``)."""
    names = [d[0] for d in (cursor.description or [])]
    if "num_affected_rows" not in names:
        return None
    row = cursor.fetchone()
    return None if row is None else int(row[names.index("num_affected_rows")])


def _expired_before_running(error: BaseException) -> bool:
    """A 401 on the request that opens a session or sends a statement: nothing ran, sending again is safe."""
    context = getattr(error, "context", None)
    method = context.get("method") if isinstance(context, dict) else None
    return http_code(error) == 401 and method in ("OpenSession", "ExecuteStatement")


def _expired_while_running(error: BaseException) -> bool:
    """A 401 on a request that follows a statement already sent (poll, fetch): the token was good
    when the statement started, so it expired since; the statement cannot be followed any more."""
    context = getattr(error, "context", None)
    method = context.get("method") if isinstance(context, dict) else None
    return http_code(error) == 401 and method not in (None, "OpenSession", "ExecuteStatement")


def _auth_error(error: BaseException, conn_id: str) -> DatabricksAuthError | None:
    code = http_code(error)
    if code not in (401, 403):
        return None
    context = getattr(error, "context", {}) or {}
    reason = str(context.get("error-message") or "").strip(" :") or "credentials refused"
    return DatabricksAuthError(
        f"the SQL warehouse refused the credentials of connection {conn_id!r} (HTTP {code}: {reason}); "
        "fix the connection's token (password) or OAuth client, then clear the task"
    )
