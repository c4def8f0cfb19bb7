"""A VALUES list's columns through the translation (spark_compat/values_types.py): Spark's type where
DuckDB's join differs, refused where Spark has none. Spark's outcomes are the catalogue's values-* rows
(tests/fidelity/compositions.py), run against local Spark."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    install_macros(connection)
    yield connection
    connection.close()


# (id, query, DuckDB type of column 1, rows): Spark's
RUNS: list[tuple[str, str, str, list[tuple[Any, ...]]]] = [
    ("int-decimal", "VALUES (1), (2.5)", "DECIMAL(11,1)", [(Decimal("1.0"),), (Decimal("2.5"),)]),
    ("bigint-decimal", "VALUES (1L), (2.5)", "DECIMAL(21,1)", [(Decimal("1.0"),), (Decimal("2.5"),)]),
    ("float-bigint", "VALUES (1L), (CAST(0.5 AS FLOAT))", "FLOAT", [(1.0,), (0.5,)]),
    ("float-decimal", "VALUES (CAST(0.5 AS FLOAT)), (2.5)", "DOUBLE", [(0.5,), (2.5,)]),
    ("null-int", "VALUES (NULL), (1)", "INTEGER", [(None,), (1,)]),
    ("one-row", "VALUES ('7')", "VARCHAR", [("7",)]),
    ("in-from", "SELECT * FROM VALUES (1, 'a'), (2.5, 'b') AS v(x, y)", "DECIMAL(11,1)",
     [(Decimal("1.0"), "a"), (Decimal("2.5"), "b")]),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "kind", "rows"), [c[1:] for c in RUNS], ids=[c[0] for c in RUNS])
def test_sparks_type(
    con: duckdb.DuckDBPyConnection, sql: str, kind: str, rows: list[tuple[Any, ...]]
) -> None:
    cursor = con.execute(translate_statement(sql).statements[-1])
    assert cursor.fetchall() == rows
    assert str(cursor.description[0][1]) == kind


REFUSED = [
    ("int-string", "VALUES (1), ('7')", "column 1 holds INT, STRING"),
    ("boolean-int", "VALUES (true), (1)", "column 1 holds BOOLEAN, INT"),
    ("date-string", "VALUES (DATE '2020-01-01'), ('2020-01-02')", "column 1 holds DATE, STRING"),
    ("second-column", "VALUES (1, 'a'), (2, 3)", "column 2 holds STRING, INT"),
    ("string-beside-expression", "VALUES ('7'), (1 + 1)", "a STRING beside a value whose type is known only"),
    ("insert", "INSERT INTO t VALUES (1), ('7')", "INCOMPATIBLE_TYPES_IN_INLINE_TABLE"),
]


@pytest.mark.parametrize(("sql", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_when_translated(sql: str, message: str) -> None:
    with pytest.raises(TranslationError, match=message):
        translate_statement(sql)
