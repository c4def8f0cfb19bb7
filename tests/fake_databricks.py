"""A stand-in for the Databricks SQL *driver* (``databricks.sql.connect``), and nothing else.

``DatabricksSqlHook`` runs for real — connection lookup, token handling, http_path
resolution, session catalog/schema — and only the network edge is replaced: the
connection object it gets back records every statement and answers from a local
DuckDB file, through the same Databricks→DuckDB translation the embedded engine uses,
so row counts and convergence are real.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import duckdb

from airflow_idu.engines.translate import COMPAT_MACROS, translate_statement
from airflow_idu.plan import first_line

_DML = ("INSERT", "UPDATE", "DELETE", "MERGE")


@dataclass
class Recorder:
    database: str
    connects: list[dict[str, Any]] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    cancelled: int = 0
    closed: int = 0
    fail_on: Any = None  # callable(statement) -> Exception | None, for fault tests
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def connect(
        self, server_hostname: str, http_path: str, access_token: str | None, **kwargs: Any
    ) -> FakeConnection:
        self.connects.append(
            {"host": server_hostname, "http_path": http_path, "token": access_token, **kwargs}
        )
        conn = duckdb.connect(self.database)
        for macro in COMPAT_MACROS:
            conn.execute(macro)
        for kind, name in (("CATALOG", kwargs.get("catalog")), ("SCHEMA", kwargs.get("schema"))):
            if name:
                for stmt in translate_statement(f"USE {kind} {name}").statements:
                    conn.execute(stmt)
        return FakeConnection(self, conn)


class FakeConnection:
    def __init__(self, recorder: Recorder, duck: duckdb.DuckDBPyConnection) -> None:
        self.recorder = recorder
        self.duck = duck

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    def close(self) -> None:
        self.recorder.closed += 1
        self.duck.close()


class FakeCursor:
    def __init__(self, conn: FakeConnection) -> None:
        self.conn = conn
        self.description: list[tuple[Any, ...]] | None = None
        self.query_id: str | None = None
        self._rows: list[tuple[Any, ...]] = []

    def execute(self, statement: str, parameters: Any = None) -> FakeCursor:
        recorder = self.conn.recorder
        recorder.statements.append(statement)
        self.query_id = f"01ef-fake-{next(recorder._ids):04d}"
        if recorder.fail_on and (error := recorder.fail_on(statement)):
            raise error
        result = None
        for duck_sql in translate_statement(statement).statements:
            result = self.conn.duck.execute(duck_sql)
        head = first_line(statement).upper()
        if result is not None and head.startswith(_DML):
            (count,) = result.fetchone() or (0,)
            self.description = [("num_affected_rows",), ("num_inserted_rows",)]
            self._rows = [(count, count)]
        elif result is not None and result.description and head.startswith(("SELECT", "WITH")):
            self.description = result.description
            self._rows = result.fetchall()
        else:
            self.description, self._rows = None, []
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows

    def cancel(self) -> None:
        self.conn.recorder.cancelled += 1

    def close(self) -> None:
        pass
