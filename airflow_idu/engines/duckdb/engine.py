"""The embedded default: Databricks SQL run, translated, on a DuckDB database file."""

from __future__ import annotations

import logging
import time
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_idu.engines.base import (
    CatalogSchemaFromTask,
    ConnectionOpenError,
    EngineKind,
    StatementStats,
    error_names,
    fetch_rows,
    known_connection,
    run_statements,
)
from airflow_idu.engines.duckdb.float_columns import FloatColumns

if TYPE_CHECKING:
    import duckdb
    from airflow.providers.duckdb.hooks.duckdb import DuckDBHook
    from airflow.sdk import Connection

    from airflow_idu.engines.duckdb.translate import Translation

__all__ = ["DuckDBEngine", "is_transient_duckdb_error"]

log = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT = 300.0  # seconds a task waits for another process's write lock on the file


class DuckDBEngine(CatalogSchemaFromTask):
    """Runs Databricks SQL on one DuckDB connection through the official ``DuckDBHook``.

    The connection is opened on first use and reused for every statement and loop
    iteration of the task. Parallel tasks in other processes hold the file's write
    lock for their whole run, so opening retries until ``lock_timeout`` (connection
    extra ``lock_timeout``) instead of failing at once.
    """

    kind = EngineKind.DUCKDB

    def __init__(
        self,
        conn_id: str,
        *,
        lock_timeout: float | None = None,
        catalog: str | None = None,
        schema: str | None = None,
        connection: Connection | None = None,
    ) -> None:
        self.conn_id = conn_id
        self._airflow_connection = connection
        self._lock_timeout = lock_timeout
        # A DuckDB file is one catalog: schema s of two catalogs would be the same tables.
        self._catalog_of_schema: dict[str, str] = {schema: catalog} if catalog and schema else {}
        self._float_columns = FloatColumns()  # whether the database holds one (the FLOAT widening)

    @staticmethod
    def is_transient(error: BaseException) -> bool:
        return is_transient_duckdb_error(error)

    def query_history_url(self, stats: list[StatementStats]) -> str | None:
        return None  # an embedded file keeps no query history

    @cached_property
    def hook(self) -> DuckDBHook:
        from airflow.providers.duckdb.hooks.duckdb import DuckDBHook

        hook = DuckDBHook(duckdb_conn_id=self.conn_id)
        known = known_connection(self._airflow_connection, self.conn_id)
        if known is not None:
            hook.__dict__["airflow_connection"] = known  # the hook's cached lookup, filled
        return hook

    @cached_property
    def connection(self) -> duckdb.DuckDBPyConnection:
        import duckdb

        from airflow_idu.engines.duckdb.macros import install_macros

        try:
            conn = self._connect_waiting_for_lock()
        except (duckdb.Error, OSError) as err:
            # The file, not a statement, is at fault: say so before any statement is named.
            raise ConnectionOpenError(target=self._describe_file(), error=err) from err
        install_macros(conn)
        return conn

    @property
    def lock_timeout(self) -> float:
        if self._lock_timeout is not None:
            return self._lock_timeout
        return float(self.hook.connection_extra.get("lock_timeout", DEFAULT_LOCK_TIMEOUT))

    def _describe_file(self) -> str:
        try:
            conn = self.hook.airflow_connection
            path = (conn.host if conn is not None else None) or "(no host)"
        except Exception:  # the connection was read a moment ago; never hide the real error
            path = "(unknown path)"
        return f"the database file {path} (connection {self.conn_id!r})"

    def _connect_waiting_for_lock(self) -> duckdb.DuckDBPyConnection:
        import duckdb

        deadline = time.monotonic() + self.lock_timeout
        delay = 0.05
        while True:
            try:
                return self.hook.get_conn()
            except duckdb.IOException as err:
                if "lock" not in str(err).lower() or time.monotonic() >= deadline:
                    raise
                log.info("DuckDB file is locked by another task; retrying in %.2fs", delay)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def run_script(self, sql: str, *, label: str) -> list[StatementStats]:
        return run_statements(sql, label=label, execute=self._execute)

    def _translate(self, statement: str) -> Translation:
        """Every statement and query goes through here, so each one is checked for catalogs."""
        from airflow_idu.engines.duckdb.translation_cache import cached_translation

        translation = cached_translation(statement, float_values=self._float_columns(self.connection))
        self._check_catalogs(translation.catalog_schemas)
        return translation

    def _execute(self, statement: str) -> tuple[int | None, str | None, str | None]:
        from airflow_idu.engines.duckdb.merge import rollback

        translation = self._translate(statement)
        if not translation.statements:
            return None, None, translation.note or "no-op on DuckDB"
        from airflow_idu.engines.duckdb.type_checks import check_types

        check_types(self.connection, translation)
        rows: int | None = None
        self._float_columns.after(translation)
        try:
            for duck_sql in translation.statements:
                result = _run(self.connection, duck_sql)
                rows = _affected_rows(result)
        except Exception:
            if translation.transaction:
                rollback(self.connection)
            raise
        return rows, None, None

    def _check_catalogs(self, pairs: frozenset[tuple[str, str]]) -> None:
        from airflow_idu.engines.duckdb.translate import TranslationError

        for catalog, schema in sorted(pairs):
            known = self._catalog_of_schema.setdefault(schema, catalog)
            if known != catalog:
                raise TranslationError(
                    f"schema {schema!r} is used in catalogs {known!r} and {catalog!r}; the embedded DuckDB "
                    f"engine keeps one database file, where {known}.{schema} and {catalog}.{schema} would be "
                    "the same tables. Give the schemas distinct names (generate --schema/--source-schema) "
                    "or run this directory on Databricks"
                )

    def query(self, sql: str, *, label: str = "query") -> list[tuple[Any, ...]]:
        return fetch_rows(sql, label=label, fetch=self._fetch)

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        *setup, last = self._translate(sql).statements
        for statement in setup:
            _run(self.connection, statement)
        return _run(self.connection, last).fetchall()

    def scalar(self, sql: str, *, label: str = "query") -> Any:
        rows = self.query(sql, label=label)
        return rows[0][0] if rows else None

    def close(self) -> None:
        self._float_columns.forget()
        if "connection" in self.__dict__:
            self.__dict__.pop("connection").close()

    def cancel(self) -> None:
        if "connection" in self.__dict__:
            self.connection.interrupt()


def _run(connection: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyConnection:
    """Execute; DuckDB's binder error on arguments of types it cannot join, where Spark casts them to one
    type (a STRING column with a number), is reported as the refusal it is (spark_compat/unify.py)."""
    import duckdb

    from airflow_idu.engines.duckdb.spark_compat.unify import binder_refusal

    try:
        return connection.execute(sql)
    except duckdb.BinderException as err:
        refusal = binder_refusal(sql, str(err))
        if refusal is None:
            raise
        raise duckdb.BinderException(refusal) from err


def _affected_rows(result: duckdb.DuckDBPyConnection) -> int | None:
    """DuckDB answers DML and CTAS with one ``Count`` column; other statements report nothing."""
    description = result.description
    if description and len(description) == 1 and description[0][0] == "Count":
        row = result.fetchone()
        return None if row is None else int(row[0])
    return None


# A file that cannot be opened for good: its directory or the file is missing, not ours to read or
# write, or not a DuckDB database. Matched on DuckDB's IO error text (it has no finer error types).
_PERMANENT_IO = (
    "no such file or directory",
    "permission denied",
    "read-only file system",
    "not a valid duckdb database",
    "is a directory",
)


def is_transient_duckdb_error(error: BaseException) -> bool:
    """DuckDB errors that may heal: the file locked by another process (waited for up to
    ``lock_timeout`` already), other IO trouble and interrupted statements. Missing files or
    directories and permission errors are permanent, like every SQL error (catalog, binder, parser)."""
    names = error_names(error)
    if isinstance(error, (FileNotFoundError, PermissionError, NotADirectoryError)):
        return False
    if "_duckdb" not in type(error).__module__ and "duckdb" not in type(error).__module__:
        return False  # another driver's error: not ours to judge
    if "IOException" in names:
        text = str(error).lower()
        return "lock" in text or not any(marker in text for marker in _PERMANENT_IO)
    return bool(names & {"ConnectionException", "InterruptException"})
