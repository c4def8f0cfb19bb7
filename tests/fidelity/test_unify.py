"""Constructors and branches of mixed element types on local Spark and on the embedded engine: values AND
result types (Spark's schema against DuckDB's result type) over a table with NULLs, negatives, Unicode
and DECIMAL/INT/BIGINT boundary values. Where Spark fails, the engine must fail or refuse too; where the
engine refuses (a type known only when run that DuckDB would join differently), Spark's value is never
replaced by another one. One wide Spark query for the accepted forms, one query per other form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.spark_compat.unify import binder_refusal
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement
from tests.fidelity.values import duck_type, duck_type_of_spark, norm

pytestmark = pytest.mark.spark

_SCHEMA = "id INT, k INT, l BIGINT, m DECIMAL(5,2), big DECIMAL(38,0), d DOUBLE, s STRING, u STRING, dt DATE"
_DUCK = "id INTEGER, k INTEGER, l BIGINT, m DECIMAL(5,2), big DECIMAL(38,0), d DOUBLE, s VARCHAR, u VARCHAR, dt DATE"
_BIG = Decimal("9" * 38)
_ROWS = [
    (1, 2, 3, Decimal("1.25"), _BIG, 2.5, "7", "é", date(2020, 1, 2)),
    (2, None, None, None, None, None, None, None, None),
    (
        3,
        -(2**31),
        -(2**63),
        Decimal("-999.99"),
        Decimal("-" + "9" * 38),
        -0.0,
        "-3",
        "日本語",
        date(1900, 1, 1),
    ),
    (4, 2**31 - 1, 2**63 - 1, Decimal("999.99"), Decimal(0), 1e308, " 12 ", "", date(9999, 12, 31)),
]
# forms the engine accepts: Spark's value and type, row by row
ACCEPTED = (
    "array(k, m)", "array(k, d)", "array(k, l)", "coalesce(k, m)", "coalesce(m, big)", "array(m, big)",
    "if(k > 0, m, k)", "CASE WHEN k > 0 THEN k ELSE 2.5 END", "greatest(k, m, d)", "least(k, 1.5)",
    "nvl(u, 'ü')", "nvl2(s, k, d)", "ifnull(m, 0)", "array(1, 2.5)", "array(1L, 2.5D)",
    "array(cast(1 as decimal(5,2)), 1.5D)", "array(1, '7')", "array(1.5D, '2')", "array(array(1), array(2.5))",
    "map(1, 2.5, 2, 3)", "map('a', u, 'b', 'ü')", "coalesce(NULL, 1, 2.5)", "if(k > 0, 1, '7')",
    "concat(array(1), array(2.5))", "k IN (2, 2.5)", "m IN (1.25, 1)", "k IN (1, 2)",
    "array(dt, TIMESTAMP '2020-01-01 00:00:00')", "array('2020-01-02', DATE '2020-01-01')",
    "array(CAST(1 AS DECIMAL(38,0)), 0.5)", "named_struct('a', k, 'b', u)", "array_except(array(1L, 2L), array(1))",
    "coalesce(CAST(1 AS TINYINT), 300)", "array(1, CAST(0.5 AS FLOAT))", "greatest(k, 1L)",
    "CASE 1 WHEN 1 THEN '7' ELSE 2 END", "CASE k WHEN 2 THEN k ELSE 2.5 END", "coalesce(k, l)", "array(u, 'ü', NULL)",
)  # fmt: skip
# forms Spark fails on (analysis or its ANSI cast): the engine fails or refuses too
SPARK_FAILS = (
    "array(1, 'a')", "map(1, 'a', 'b', 'c')", "greatest(k, '3')", "coalesce(k, 'x')", "map('s', u, 'k', k)",
    "array(k, u)", "if(k > 0, 1, true)", "array_union(array(1, 2), array(2.5))", "array(dt, 1)",
    "u IN (1, 2)", "concat(array(1), array('a'))",
)  # fmt: skip
# forms Spark answers that the engine refuses (a type known only when run, which DuckDB joins otherwise)
ENGINE_REFUSES = ("coalesce(k, '5')", "least(l, m)", "ifnull(l, 1.5)", "array(l, m)", "s IN (7, -3)")


def _literal(value: Any, kind: str) -> str:
    """A typed Spark literal: VALUES through SQL, not a Python DataFrame (which costs seconds)."""
    if value is None:
        return f"CAST(NULL AS {kind})"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    text = repr(value) if isinstance(value, float) else str(value)
    return f"CAST('{text}' AS {kind})"


def _spark_view(spark: Any) -> None:
    kinds = [c.split()[1] for c in _SCHEMA.split(", ")]
    rows = ", ".join("(" + ", ".join(map(_literal, r, kinds)) + ")" for r in _ROWS)
    names = ", ".join(c.split()[0] for c in _SCHEMA.split(", "))
    spark.sql(f"CREATE OR REPLACE TEMP VIEW unify_t AS SELECT * FROM VALUES {rows} AS v({names})")


@pytest.fixture(scope="module")
def tables(spark: Any) -> Iterator[duckdb.DuckDBPyConnection]:
    _spark_view(spark)
    con = duckdb.connect()
    install_macros(con)
    con.execute(f"CREATE TABLE unify_t ({_DUCK})")
    text = [tuple(str(v) if isinstance(v, Decimal) else v for v in r) for r in _ROWS]  # exact 38 digits
    con.executemany(f"INSERT INTO unify_t VALUES ({', '.join('?' * 9)})", text)
    yield con
    con.close()


def _engine(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = con.execute(translate_statement(sql).statements[-1])
    rows = [tuple(norm(v) for v in r) for r in cursor.fetchall()]
    return [duck_type(str(d[1])) for d in cursor.description], rows


def _engine_error(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    try:
        _engine(con, sql)
    except TranslationError as err:
        return f"refused when translated: {err}"
    except duckdb.BinderException as err:
        refusal = binder_refusal(
            translate_statement(sql).statements[-1], str(err)
        )  # as the engine reports it
        assert refusal is not None, err
        return refusal
    except duckdb.Error as err:
        return str(err)
    return ""


def test_accepted_forms_give_sparks_values_and_types(spark: Any, tables: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT id, " + ", ".join(f"{e} AS c{i}" for i, e in enumerate(ACCEPTED)) + " FROM unify_t"
    frame = spark.sql(sql)
    expected_types = [duck_type_of_spark(f.dataType.simpleString()) for f in frame.schema.fields][1:]
    expected = [tuple(norm(v) for v in r)[1:] for r in sorted(frame.collect(), key=lambda r: r[0])]
    types, rows = _engine(tables, sql + " ORDER BY id")
    types, rows = types[1:], [r[1:] for r in rows]
    wrong_types = [(e, s, d) for e, s, d in zip(ACCEPTED, expected_types, types, strict=True) if s != d]
    assert not wrong_types
    wrong = [(e, [r[i] for r in expected], [r[i] for r in rows]) for i, e in enumerate(ACCEPTED)
             if [r[i] for r in expected] != [r[i] for r in rows]]  # fmt: skip
    assert not wrong


@pytest.mark.parametrize("expr", SPARK_FAILS)
def test_where_spark_fails_the_engine_fails_or_refuses(
    spark: Any, tables: duckdb.DuckDBPyConnection, expr: str
) -> None:
    sql = f"SELECT {expr} FROM unify_t"
    with pytest.raises(Exception, match=r"CAST_INVALID_INPUT|DATATYPE_MISMATCH|CAST_WITHOUT_SUGGESTION"):
        spark.sql(sql).collect()
    error = _engine_error(tables, sql)
    assert "CAST_INVALID_INPUT" in error or "refused" in error.lower() or "IDU_REFUSED" in error, error


def test_refused_where_duckdb_would_differ(spark: Any, tables: duckdb.DuckDBPyConnection) -> None:
    answered = spark.sql(f"SELECT {', '.join(ENGINE_REFUSES)} FROM unify_t").collect()
    assert len(answered) == len(_ROWS)  # Spark answers each; the engine must not answer otherwise
    errors = {e: _engine_error(tables, f"SELECT {e} FROM unify_t") for e in ENGINE_REFUSES}
    assert all("[IDU_REFUSED]" in error for error in errors.values()), errors
