"""Spark SQL on any Spark Connect server, through the Apache Spark provider's ``SparkConnectHook``.

One Spark Connect session per task (``SparkSession.builder.remote(url).create()``), reused for
every statement and loop iteration, released when the task ends. Statements run as Spark SQL,
unchanged except where the session lacks what they need (:mod:`airflow_idu.engines.spark_sql`);
what the session has is asked of it once (:func:`probe_capabilities`) and logged.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_idu.engines.base import (
    CatalogSchemaFromTask,
    EngineKind,
    StatementStats,
    error_names,
    fetch_rows,
    known_connection,
    run_statements,
)
from airflow_idu.engines.spark_sql import Adapted, SessionCapabilities, adapt_statement, update_statements

if TYPE_CHECKING:
    from airflow.providers.apache.spark.hooks.spark_connect import SparkConnectHook
    from airflow.sdk import Connection
    from pyspark.sql.connect.session import SparkSession

__all__ = ["SparkConnectEngine", "is_transient_spark_connect_error", "probe_capabilities"]

log = logging.getLogger(__name__)

_ROW_LEVEL = re.compile(r"^\s*(?:DELETE\s+FROM|UPDATE)\s+([`\w.]+)", re.IGNORECASE)
_UNSUPPORTED = re.compile(r"DATA_SOURCE_NOT_FOUND|UNSUPPORTED_FEATURE|not supported|does not support", re.I)
_PYSPARK_ERROR_LOGGERS = ("pyspark.sql.connect.logging", "SQLQueryContextLogger")
# Connection extra ``retry_seconds``: how long the client retries an unavailable server before the
# task fails (transiently, so Airflow's retries take over). pyspark's own default is ~10 minutes.
DEFAULT_RETRY_SECONDS = 60.0


class SparkConnectEngine(CatalogSchemaFromTask):
    """Runs Databricks SQL as Spark SQL on one Spark Connect session."""

    kind = EngineKind.SPARK_CONNECT

    def __init__(
        self,
        conn_id: str,
        *,
        catalog: str | None = None,
        schema: str | None = None,
        connection: Connection | None = None,
    ) -> None:
        self.conn_id = conn_id
        self._airflow_connection = connection
        self.catalog = catalog
        self.schema = schema
        self._catalog_of_schema: dict[str, str] = {}
        self._row_level: dict[str, bool] = {}  # table -> DELETE/UPDATE supported (asked by EXPLAIN)
        self._logged: set[str] = set()
        self._probed_catalogs: set[str] = set()

    @staticmethod
    def is_transient(error: BaseException) -> bool:
        return is_transient_spark_connect_error(error)

    def query_history_url(self, stats: list[StatementStats]) -> str | None:
        return None  # the Spark UI is the server's; no stable per-statement link to give

    @cached_property
    def hook(self) -> SparkConnectHook:
        from airflow.providers.apache.spark.hooks.spark_connect import SparkConnectHook

        return SparkConnectHook(conn_id=self.conn_id)

    @cached_property
    def session(self) -> SparkSession:
        from pyspark.sql.connect.session import SparkSession

        url = self.hook.get_connection_url()
        session = SparkSession.builder.remote(url).create()  # a session of its own, not a shared default
        _limit_retries(session, self._retry_seconds())
        # Errors carry Spark's message, not the server's JVM stack trace (the task log shows the cause).
        session.conf.set("spark.sql.connect.serverStacktrace.enabled", "false")
        # pyspark logs every failed RPC at ERROR (with the server's JSON); the engine raises each one
        # as a StatementError naming file and statement, and expected ones (a table-exists probe)
        # are not errors: keep the task log to what the engine reports.
        for name in _PYSPARK_ERROR_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
        log.info("Spark Connect session %s on %s", session.client._session_id, _without_secrets(url))
        return session

    def _retry_seconds(self) -> float:
        known = known_connection(self._airflow_connection, self.conn_id)
        extra = (known or self.hook.get_connection(self.conn_id)).extra_dejson
        return float(extra.get("retry_seconds", DEFAULT_RETRY_SECONDS))

    @cached_property
    def capabilities(self) -> SessionCapabilities:
        caps = probe_capabilities(self.session)
        log.info("Spark Connect session supports: %s", caps.describe())
        return caps

    def run_script(self, sql: str, *, label: str) -> list[StatementStats]:
        return run_statements(sql, label=label, execute=self._execute)

    def _adapt(self, statement: str) -> Adapted:
        from airflow_idu.engines.duckdb.translate import TranslationError

        caps = self.capabilities
        if not caps.row_level_dml:
            caps = dataclasses.replace(caps, row_level_dml=self._has_row_level_dml(statement, caps))
        adapted = adapt_statement(statement, caps)
        if adapted.missing_catalogs - self._probed_catalogs:
            self._probe_catalogs(adapted.missing_catalogs)
            return self._adapt(statement)
        for catalog, schema in sorted(adapted.mapped):
            known = self._catalog_of_schema.setdefault(schema, catalog)
            if known != catalog:
                raise TranslationError(
                    f"schema {schema!r} is used in catalogs {known!r} and {catalog!r}, which this Spark "
                    f"session lacks; both would be {caps.current_catalog}.{schema}. Give the schemas "
                    "distinct names (generate --schema/--source-schema) or configure the catalogs on the server"
                )
        for note in adapted.notes:
            if note not in self._logged:  # each rewrite once per task: the loop repeats them
                self._logged.add(note)
                log.info("Spark Connect rewrite: %s", note)
        return adapted

    def _probe_catalogs(self, names: frozenset[str]) -> None:
        """A catalog configured on the server is listed only once loaded: ask for its namespaces."""
        for name in sorted(names - self._probed_catalogs):
            self._probed_catalogs.add(name)
            if _catalog_exists(self.session, name):
                caps = self.capabilities
                self.__dict__["capabilities"] = dataclasses.replace(
                    caps, catalogs=caps.catalogs | {name.lower()}
                )

    def _has_row_level_dml(self, statement: str, caps: SessionCapabilities) -> bool:
        """DELETE/UPDATE on a table: the server's plan of the statement says whether its format can."""
        match = _ROW_LEVEL.match(statement)
        if match is None:
            return False
        table = match.group(1).lower()
        if table not in self._row_level:
            unchanged = adapt_statement(statement, dataclasses.replace(caps, row_level_dml=True))
            plan = _explain(self.session, unchanged.statements[-1])
            self._row_level[table] = not _UNSUPPORTED.search(plan)
        return self._row_level[table]

    def _statements(self, adapted: Adapted) -> tuple[str, ...]:
        if adapted.update is None:
            return adapted.statements
        return update_statements(adapted.update, self.session.table(adapted.update.table).columns)

    def _execute(self, statement: str) -> tuple[int | None, str | None, str | None]:
        adapted = self._adapt(statement)
        if adapted.guard is not None and not self.session.sql(adapted.guard).collect():
            return 0, None, None  # a DELETE/UPDATE that matches no row: nothing to rewrite
        statements = self._statements(adapted)
        if not statements:
            return None, None, "; ".join(adapted.notes) or "no-op on Spark Connect"
        rows: int | None = None
        for spark_sql in statements:
            rows = _affected_rows(self.session.sql(spark_sql).collect())
        return rows, None, None

    def query(self, sql: str, *, label: str = "query") -> list[tuple[Any, ...]]:
        return fetch_rows(sql, label=label, fetch=self._fetch)

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        *setup, last = self._statements(self._adapt(sql))
        for statement in setup:
            self.session.sql(statement).collect()
        return [tuple(row) for row in self.session.sql(last).collect()]

    def scalar(self, sql: str, *, label: str = "query") -> Any:
        rows = self.query(sql, label=label)
        return rows[0][0] if rows else None

    def close(self) -> None:
        session = self.__dict__.pop("session", None)
        if session is not None:
            try:
                session.stop()  # releases the session on the server
            except Exception as err:  # the server may be gone already; nothing left to release
                log.info("Spark Connect session not released: %s", err)

    def cancel(self) -> None:
        session = self.__dict__.get("session")
        if session is not None:
            log.info("Interrupting the running Spark Connect operations")
            session.interruptAll()


def probe_capabilities(session: SparkSession) -> SessionCapabilities:
    """Ask the session what it supports: its catalogs, and (by planning, not running, statements)
    whether it creates Delta tables, replaces tables and clusters them."""
    catalogs = frozenset(row[0].lower() for row in session.sql("SHOW CATALOGS").collect())
    current = str(session.sql("SELECT current_catalog()").collect()[0][0])
    probe = f"{current}.default.idu_capability_probe"

    def plans(ddl: str) -> bool:
        return not _UNSUPPORTED.search(_explain(session, ddl))

    return SessionCapabilities(
        catalogs=catalogs,
        current_catalog=current,
        delta=plans(f"CREATE TABLE {probe} (x INT) USING DELTA"),
        replace_table=plans(f"CREATE OR REPLACE TABLE {probe} (x INT)"),
        cluster_by=plans(f"CREATE TABLE {probe} (x INT) CLUSTER BY (x)"),
        row_level_dml=False,  # a property of each table's format: asked per table (EXPLAIN DELETE ...)
    )


def _catalog_exists(session: SparkSession, name: str) -> bool:
    """Configured on the server (``spark.sql.catalog.<name>``): SHOW CATALOGS lists it once loaded."""
    return session.conf.get(f"spark.sql.catalog.{name}", None) is not None


def _explain(session: SparkSession, statement: str) -> str:
    """The server's plan of ``statement`` (EXPLAIN runs nothing); planning errors come back as text."""
    return "\n".join(str(row[0]) for row in session.sql(f"EXPLAIN {statement}").collect())


def _affected_rows(rows: list[Any]) -> int | None:
    """Delta answers DML with ``num_affected_rows``; Spark's own tables report no counts."""
    if len(rows) == 1 and "num_affected_rows" in rows[0].asDict():
        value = rows[0]["num_affected_rows"]
        return None if value is None else int(value)
    return None


def _limit_retries(session: SparkSession, seconds: float) -> None:
    """pyspark retries an unavailable server for ~10 minutes by default; stop after ``seconds``."""
    from pyspark.sql.connect.client.retries import DefaultPolicy

    backoff, total, retries = 0.05, 0.0, 0
    while total < seconds:  # DefaultPolicy waits 50 ms, then 4x longer each time, at most 10 s
        total, backoff, retries = total + backoff, min(backoff * 4, 10.0), retries + 1
    policy = DefaultPolicy(max_retries=retries, max_backoff=10_000, jitter=0)
    session.client.set_retry_policies([policy])


def _without_secrets(url: str) -> str:
    return re.sub(r"(token=)[^;]*", r"\1***", url)


# gRPC status codes that pass: the server restarting or overloaded, a deadline, a lost stream.
_TRANSIENT_CODES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "ABORTED"})
# Server error classes that pass: the session or operation is gone (a restart), an interrupt.
_TRANSIENT_CLASSES = (
    "INVALID_HANDLE.SESSION_NOT_FOUND",
    "INVALID_HANDLE.SESSION_CLOSED",
    "INVALID_HANDLE.SESSION_CHANGED",
    "INVALID_HANDLE.OPERATION_NOT_FOUND",
    "OPERATION_CANCELED",
)


def is_transient_spark_connect_error(error: BaseException) -> bool:
    """Server unavailable (gRPC UNAVAILABLE, retries exhausted), session expired or lost with a
    restart: transient. SQL errors (parse, analysis, ANSI runtime errors): permanent."""
    module = type(error).__module__
    if not module.startswith(("pyspark", "grpc")):
        return False  # another driver's error: not ours to judge
    names = error_names(error)
    if "RetriesExceeded" in names:
        return True
    text = str(error)
    if any(marker in text for marker in _TRANSIENT_CLASSES):
        return True
    if names & {"AnalysisException", "ParseException", "IllegalArgumentException"}:
        return False
    return _grpc_code(error) in _TRANSIENT_CODES


def _grpc_code(error: BaseException) -> str | None:
    seen: BaseException | None = error
    while seen is not None:
        code = getattr(seen, "code", None)
        if callable(code):
            try:
                value = code()
            except Exception:
                value = None
            name = getattr(value, "name", None)
            if isinstance(name, str):
                return name
        status = getattr(seen, "getGrpcStatusCode", None)
        if callable(status):
            value = status()
            return str(getattr(value, "name", value))
        match = re.search(r"StatusCode\.([A-Z_]+)", str(seen))
        if match:
            return match.group(1)
        seen = seen.__cause__ or seen.__context__
    return None
