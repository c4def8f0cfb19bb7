"""The local SQL warehouse: Databricks SQL run on one DuckDB file, behind sessions and statements.

Protocol front ends (Thrift in :mod:`airflow_idu.warehouse.thrift`, REST in ``rest``) share one
:class:`Warehouse`. Statements are translated exactly as the embedded DuckDB engine translates
them (:func:`airflow_idu.engines.duckdb.translate.translate_statement` plus ``COMPAT_MACROS``), run in a
worker thread, and keep a state a client can poll, cancel (DuckDB ``interrupt``) and close.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb

from airflow_idu.engines.duckdb.float_columns import FloatColumns
from airflow_idu.engines.duckdb.spark_compat.library import register_functions
from airflow_idu.engines.duckdb.translate import COMPAT_MACROS
from airflow_idu.warehouse.errors import WarehouseError, to_warehouse_error
from airflow_idu.warehouse.execution import StatementResult, execute_statement, use_namespace
from airflow_idu.warehouse.latency import NO_LATENCY, Latency

__all__ = [
    "HistoryEntry",
    "Statement",
    "StatementResult",
    "StatementState",
    "Warehouse",
    "WarehouseError",
]

log = logging.getLogger(__name__)


class StatementState(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    CLOSED = "CLOSED"

    @property
    def terminal(self) -> bool:
        return self is not StatementState.PENDING and self is not StatementState.RUNNING


@dataclass(frozen=True, kw_only=True)
class HistoryEntry:
    statement_id: str
    sql: str
    state: StatementState
    error_class: str | None
    seconds: float


@dataclass
class Statement:
    statement_id: str
    sql: str
    session_id: str | None
    state: StatementState = StatementState.PENDING
    result: StatementResult | None = None
    error: WarehouseError | None = None
    started: float = field(default_factory=time.monotonic)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def wait(self, timeout: float | None) -> bool:
        """True when the statement is terminal (succeeded, failed, canceled or closed)."""
        return self._done.wait(timeout)


@dataclass
class _Session:
    session_id: str
    cursor: duckdb.DuckDBPyConnection
    lock: threading.Lock = field(default_factory=threading.Lock)
    running: Statement | None = None


class Warehouse:
    """One DuckDB file, thread-safe: one DuckDB cursor per session, statements serialized per session.

    Options: ``statement_timeout`` (seconds; a statement running longer is canceled and fails with
    ``STATEMENT_TIMEOUT``), ``slow_statements`` ({substring: seconds}: such a statement first waits
    that long, cancelably — the "slow statement" fault), ``latency`` (:mod:`.latency`).
    """

    def __init__(
        self,
        database: str | Path,
        *,
        statement_timeout: float | None = None,
        slow_statements: dict[str, float] | None = None,
        latency: Latency = NO_LATENCY,
    ) -> None:
        self.database = str(database)
        self.latency = latency
        self.statement_timeout = statement_timeout
        self.slow_statements: dict[str, float] = dict(slow_statements or {})
        self._sabotage: list[list[Any]] = []  # [needle, replacement sql, remaining]
        self._db = duckdb.connect(self.database)
        for macro in COMPAT_MACROS:
            self._db.execute(macro)
        register_functions(self._db)
        self._lock = threading.Lock()
        self._float_columns = FloatColumns()  # whether the database holds one (the FLOAT widening)
        self._sessions: dict[str, _Session] = {}
        self._statements: dict[str, Statement] = {}
        self.history: list[HistoryEntry] = []
        self.sessions_opened: list[tuple[str, str | None, str | None]] = []  # (id, catalog, schema)
        self.sessions_closed: list[str] = []

    # sessions -------------------------------------------------------------------------------
    def open_session(self, catalog: str | None = None, schema: str | None = None) -> str:
        session = _Session(session_id=str(uuid.uuid4()), cursor=self._db.cursor())
        try:
            use_namespace(session.cursor, catalog, schema)
        except Exception:
            session.cursor.close()
            raise
        with self._lock:
            self._sessions[session.session_id] = session
            self.sessions_opened.append((session.session_id, catalog, schema))
        return session.session_id

    def close_session(self, session_id: str) -> None:
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is None:
            return
        with self._lock:
            self.sessions_closed.append(session_id)
        if session.running is not None:
            self.cancel(session.running.statement_id)
        with session.lock:
            session.cursor.close()

    def has_session(self, session_id: str) -> bool:
        with self._lock:
            return session_id in self._sessions

    # statements -----------------------------------------------------------------------------
    def submit(
        self,
        sql: str,
        *,
        session_id: str | None = None,
        catalog: str | None = None,
        schema: str | None = None,
    ) -> Statement:
        """Start ``sql`` in a worker thread and return at once (state PENDING or later)."""
        if session_id is not None:
            with self._lock:
                if session_id not in self._sessions:
                    raise KeyError(f"session {session_id} does not exist or was closed")
        statement = Statement(statement_id=self._new_id(), sql=sql, session_id=session_id)
        with self._lock:
            self._statements[statement.statement_id] = statement
        threading.Thread(
            target=self._run,
            args=(statement, catalog, schema),
            name=f"warehouse-{statement.statement_id[:8]}",
            daemon=True,
        ).start()
        return statement

    def execute(self, sql: str, **kwargs: Any) -> Statement:
        """Submit and wait until terminal (for tests and the CLI)."""
        statement = self.submit(sql, **kwargs)
        statement.wait(None)
        return statement

    def get(self, statement_id: str) -> Statement:
        with self._lock:
            return self._statements[statement_id]

    def cancel(self, statement_id: str) -> None:
        statement = self.get(statement_id)
        if statement.state.terminal:
            return
        statement._cancel.set()
        with self._lock:
            session = self._sessions.get(statement.session_id or "")
        cursor = getattr(statement, "_cursor", None) or (session.cursor if session else None)
        if cursor is not None and statement.state is StatementState.RUNNING:
            cursor.interrupt()
        log.info("warehouse: cancel requested for %s", statement_id)

    def close_statement(self, statement_id: str) -> None:
        statement = self.get(statement_id)
        if not statement.state.terminal:
            self.cancel(statement_id)
            statement.wait(5)
        statement.state = StatementState.CLOSED
        statement.result = None
        with self._lock:
            self._statements.pop(statement_id, None)

    def snapshot(self, path: str | Path, schemas: list[str]) -> None:
        """Copy every table of ``schemas`` into a new DuckDB file (to read it while the warehouse runs)."""
        cursor = self._db.cursor()
        try:
            cursor.execute("ATTACH ? AS idu_snapshot", [str(path)])
            for schema in schemas:
                cursor.execute(f'CREATE SCHEMA IF NOT EXISTS idu_snapshot."{schema}"')
                tables = cursor.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                    "AND table_catalog = current_database()",
                    [schema],
                ).fetchall()
                for (table,) in tables:
                    cursor.execute(
                        f'CREATE OR REPLACE TABLE idu_snapshot."{schema}"."{table}" AS SELECT * FROM "{schema}"."{table}"'
                    )
            cursor.execute("DETACH idu_snapshot")
        finally:
            cursor.close()

    def close(self) -> None:
        with self._lock:
            sessions = list(self._sessions)
        for session_id in sessions:
            self.close_session(session_id)
        self._db.close()

    # running ----------------------------------------------------------------------------------
    def _new_id(self) -> str:
        return str(uuid.uuid4())

    def _run(self, statement: Statement, catalog: str | None, schema: str | None) -> None:
        with self._lock:
            session = self._sessions.get(statement.session_id or "")
        own_cursor = session is None
        lock = session.lock if session else threading.Lock()
        timer: threading.Timer | None = None
        with lock:
            try:
                if statement._cancel.is_set():
                    raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
                cursor = self._db.cursor() if own_cursor else session.cursor  # type: ignore[union-attr]
                statement._cursor = cursor  # type: ignore[attr-defined]
                if own_cursor:
                    use_namespace(cursor, catalog, schema)
                if session is not None:
                    session.running = statement
                statement.state = StatementState.RUNNING
                if self.statement_timeout:
                    timer = threading.Timer(self.statement_timeout, self._time_out, args=(statement,))
                    timer.daemon = True
                    timer.start()
                self._wait_if_slow(statement)
                self.latency.before_statement()
                if statement._cancel.is_set():
                    raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
                statement.result = execute_statement(
                    cursor, self._sql_to_run(statement.sql), self._float_columns
                )
                statement.state = StatementState.SUCCEEDED
            except Exception as err:  # every failure becomes the statement's Databricks-shaped error
                self._fail(statement, err)
            finally:
                if timer is not None:
                    timer.cancel()
                if session is not None:
                    session.running = None
                if own_cursor and getattr(statement, "_cursor", None) is not None:
                    statement._cursor.close()  # type: ignore[attr-defined]
                statement._cursor = None  # type: ignore[attr-defined]
        self._finish(statement)

    def sabotage(self, needle: str, replacement: str, *, times: int = 1) -> None:
        """Fault injection: the next ``times`` statements containing ``needle`` run ``replacement``
        instead (e.g. a query on a missing table), so a client meets a real engine error there."""
        with self._lock:
            self._sabotage.append([needle, replacement, times])

    def clear_faults(self) -> None:
        with self._lock:
            self._sabotage.clear()
        self.slow_statements.clear()

    def _sql_to_run(self, sql: str) -> str:
        with self._lock:
            for entry in self._sabotage:
                if entry[2] > 0 and entry[0] in sql:
                    entry[2] -= 1
                    log.info("warehouse fault: statement replaced by %s", entry[1])
                    return str(entry[1])
        return sql

    def _wait_if_slow(self, statement: Statement) -> None:
        for needle, seconds in self.slow_statements.items():
            if needle in statement.sql and statement._cancel.wait(seconds):
                raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    def _time_out(self, statement: Statement) -> None:
        statement.timed_out = True  # type: ignore[attr-defined]
        self.cancel(statement.statement_id)

    def _fail(self, statement: Statement, err: BaseException) -> None:
        if getattr(statement, "timed_out", False):
            statement.error = WarehouseError.of(
                "STATEMENT_TIMEOUT",
                "57KD0",
                f"The statement timed out after {self.statement_timeout} seconds.",
            )
            statement.state = StatementState.FAILED
        elif statement._cancel.is_set():
            statement.error = WarehouseError.of("OPERATION_CANCELED", "HY008", "The statement was canceled.")
            statement.state = StatementState.CANCELED
        else:
            statement.error = to_warehouse_error(err)
            statement.state = StatementState.FAILED

    def _finish(self, statement: Statement) -> None:
        entry = HistoryEntry(
            statement_id=statement.statement_id,
            sql=statement.sql,
            state=statement.state,
            error_class=statement.error.error_class if statement.error else None,
            seconds=round(time.monotonic() - statement.started, 6),
        )
        with self._lock:
            self.history.append(entry)
        statement._done.set()

    def statements_sql(self) -> list[str]:
        """The text of every finished statement, in the order they finished (what tests inspect)."""
        with self._lock:
            return [h.sql for h in self.history]
