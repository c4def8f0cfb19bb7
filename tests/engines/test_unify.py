"""Constructors and branches get Spark's element type (spark_compat/unify.py): the translation's casts,
its refusals when translated, and the guards that refuse when run where DuckDB's type would differ.
Expected values and types are local Spark 4's (ANSI on), as tests/fidelity/test_unify.py checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from airflow_idu.engines import StatementError
from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.spark_compat.unify_types import spark_type, wider, wider_all
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    install_macros(connection)
    connection.execute(
        "CREATE TABLE t (k INTEGER, l BIGINT, f FLOAT, d DOUBLE, m DECIMAL(5,2), s VARCHAR, b BOOLEAN)"
    )
    connection.execute("INSERT INTO t VALUES (2, 3, 1.5, 2.5, 1.25, 'x', true)")
    yield connection
    connection.close()


# (id, expression, DuckDB type of the result, value): Spark's type and value
TYPED: list[tuple[str, str, str, Any]] = [
    ("array-int-decimal", "array(1, 2.5)", "DECIMAL(11,1)[]", [Decimal("1.0"), Decimal("2.5")]),
    ("array-bigint-double", "array(1L, 2.5D)", "DOUBLE[]", [1.0, 2.5]),
    ("array-string-int", "array(1, '7')", "BIGINT[]", [1, 7]),
    ("array-string-double", "array(1.5D, '2')", "DOUBLE[]", [1.5, 2.0]),
    ("array-bigint-decimal", "array(1L, 2.5)", "DECIMAL(21,1)[]", [Decimal("1.0"), Decimal("2.5")]),
    (
        "array-decimals-past-38",
        "array(CAST(1 AS DECIMAL(38,0)), 0.5)",
        "DECIMAL(38,0)[]",
        [Decimal(1), Decimal(1)],
    ),
    (
        "column-decimals-past-38",
        "array(m, CAST(1 AS DECIMAL(38,0))) FROM t",
        "DECIMAL(38,0)[]",
        [Decimal(1), Decimal(1)],
    ),
    (
        "array-nested",
        "array(array(1), array(2.5))",
        "DECIMAL(11,1)[][]",
        [[Decimal("1.0")], [Decimal("2.5")]],
    ),
    ("array-int-float", "array(1, CAST(0.5 AS FLOAT))", "DOUBLE[]", [1.0, 0.5]),
    (
        "array-date-timestamp",
        "array(DATE '2020-01-02', NULL)",
        "DATE[]",
        [__import__("datetime").date(2020, 1, 2), None],
    ),
    (
        "map-values",
        "map(1, 2.5, 2, 3)",
        "MAP(INTEGER, DECIMAL(11,1))",
        {1: Decimal("2.5"), 2: Decimal("3.0")},
    ),
    ("coalesce-decimal", "coalesce(NULL, 1, 2.5)", "DECIMAL(11,1)", Decimal("1.0")),
    ("if-string-int", "if(1 = 2, 1, '7')", "BIGINT", 7),
    ("case-int-decimal", "CASE WHEN 1 = 2 THEN 1 ELSE 2.5 END", "DECIMAL(11,1)", Decimal("2.5")),
    ("simple-case-string-int", "CASE 1 WHEN 1 THEN '7' ELSE 2 END", "BIGINT", 7),
    ("nvl2-int-double", "nvl2(1, 2, 3.5D)", "DOUBLE", 2.0),
    ("greatest-int-bigint", "greatest(1, 2L)", "BIGINT", 2),
    ("concat-arrays", "concat(array(1), array(2.5))", "DECIMAL(11,1)[]", [Decimal("1.0"), Decimal("2.5")]),
    ("in-decimal", "1 IN (2.5, 1)", "BOOLEAN", True),
    ("column-int-decimal", "coalesce(k, m) FROM t", "DECIMAL(12,2)", Decimal("2.00")),
    ("column-int-double", "array(k, d) FROM t", "DOUBLE[]", [2.0, 2.5]),
    ("column-string-literal", "coalesce(s, 'y') FROM t", "VARCHAR", "x"),
]


@pytest.mark.parametrize(("expr", "duck_type", "value"), [c[1:] for c in TYPED], ids=[c[0] for c in TYPED])
def test_spark_type_and_value(con: duckdb.DuckDBPyConnection, expr: str, duck_type: str, value: Any) -> None:
    cursor = con.execute(translate_statement(f"SELECT {expr}").statements[-1])
    assert cursor.fetchall() == [(value,)]
    assert str(cursor.description[0][1]).replace(" ", "") == duck_type.replace(" ", "")


REFUSED = [
    (
        "greatest-string",
        "SELECT greatest(1, 'a')",
        "greatest (line 1 of the statement) is refused: Spark finds no",
    ),
    ("if-boolean", "SELECT if(1 = 1, 1, true)", "if (line 1 of the statement) is refused"),
    ("array-date-int", "SELECT\n array(DATE '2020-01-01', 1)", "array (line 2 of the statement) is refused"),
    (
        "array-union-decimal",
        "SELECT array_union(array(1, 2), array(2.5))",
        "array_union (line 1 of the statement)",
    ),
    ("string-and-int-and-column", "SELECT coalesce(k, 1, 'x') FROM t", "mixes a STRING with other types"),
]


@pytest.mark.parametrize(("sql", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_when_translated(sql: str, message: str) -> None:
    with pytest.raises(TranslationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        translate_statement(sql)


REFUSED_WHEN_RUN = [
    ("int-column-string", "SELECT coalesce(k, '5') FROM t", "INTEGER with a STRING"),
    ("float-int", "SELECT array(f, k) FROM t", "FLOAT, INTEGER"),
    ("bigint-decimal", "SELECT least(l, m) FROM t", "BIGINT, DECIMAL(5,2)"),
    ("bigint-literal-decimal", "SELECT ifnull(l, 1.5) FROM t", "BIGINT, DECIMAL(2,1)"),
    ("boolean-int", "SELECT coalesce(b, k) FROM t", "BOOLEAN, INTEGER"),
    # three operands (the typed front of three), and aggregates (whose type the front cannot see)
    ("three-float-int", "SELECT coalesce(f, f, k) FROM t", "FLOAT, FLOAT, INTEGER"),
    ("aggregates-boolean-int", "SELECT coalesce(max(b), max(k)) FROM t", "BOOLEAN, INTEGER"),
    ("string-in-ints", "SELECT s IN (1, 2) FROM t", "VARCHAR, INTEGER"),
    ("float-in-decimal", "SELECT f IN (0.1) FROM t", "FLOAT, DECIMAL(1,1)"),
    # sum(m) is DECIMAL(15,2) on Spark, DECIMAL(38,2) on DuckDB: DuckDB's common type with 0.005 drops a decimal
    ("sum-beside-finer", "SELECT array(sum(m), 0.005) FROM t", "a computed DECIMAL"),
    (
        "sum-in-case-beside-finer",
        "SELECT CASE WHEN count(*) > 0 THEN sum(m) ELSE 0.001 END FROM t",
        "a computed",
    ),
    (
        "two-sums",
        "SELECT coalesce(sum(m), sum(CAST(k AS DECIMAL(10,0)))) FROM t",
        "DECIMAL(38,2), DECIMAL(38,0)",
    ),
]

# a computed DECIMAL whose DuckDB type keeps the other's scale, or a function of a column's own type
KEPT = [
    ("sum-beside-coarser", "SELECT coalesce(sum(m), 0.5) FROM t", Decimal("1.25")),
    ("sum-in-finer", "SELECT sum(m) IN (0.005, 1.25) FROM t", True),
    ("max-beside-finer", "SELECT array(max(m), 0.005) FROM t", [Decimal("1.250"), Decimal("0.005")]),
    (
        "window-max-beside-finer",
        "SELECT array(max(m) OVER (), 0.005) FROM t",
        [Decimal("1.250"), Decimal("0.005")],
    ),
]


@pytest.mark.parametrize(("sql", "value"), [c[1:] for c in KEPT], ids=[c[0] for c in KEPT])
def test_computed_decimal_kept(con: duckdb.DuckDBPyConnection, sql: str, value: Any) -> None:
    assert con.execute(translate_statement(sql).statements[-1]).fetchall() == [(value,)]


@pytest.mark.parametrize(
    ("sql", "detail"), [c[1:] for c in REFUSED_WHEN_RUN], ids=[c[0] for c in REFUSED_WHEN_RUN]
)
def test_refused_when_run(con: duckdb.DuckDBPyConnection, sql: str, detail: str) -> None:
    with pytest.raises(
        duckdb.Error, match=r"\[IDU_REFUSED\].*" + detail.replace("(", r"\(").replace(")", r"\)")
    ):
        con.execute(translate_statement(sql).statements[-1]).fetchall()


WIDER = [
    ("STRING", "INT", "BIGINT"), ("STRING", "DECIMAL(5,2)", "DOUBLE"), ("STRING", "DATE", "DATE"),
    ("INT", "FLOAT", "DOUBLE"), ("FLOAT", "FLOAT", "FLOAT"), ("BIGINT", "DECIMAL(5,2)", "DECIMAL(22,2)"),
    ("DECIMAL(38,0)", "DECIMAL(5,2)", "DECIMAL(38,0)"), ("DECIMAL(38,1)", "DECIMAL(5,2)", "DECIMAL(38,1)"), ("DATE", "TIMESTAMP", "TIMESTAMP"),
    ("BOOLEAN", "INT", None), ("ARRAY<INT>", "ARRAY<STRING>", "ARRAY<BIGINT>"),
    ("MAP<INT,DECIMAL(5,2)>", "MAP<BIGINT,INT>", "MAP<BIGINT,DECIMAL(12,2)>"), ("DATE", "INT", None),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b", "expected"), WIDER, ids=[f"{a}+{b}" for a, b, _ in WIDER])
def test_wider_is_sparks_ansi_rule(a: str, b: str, expected: str | None) -> None:
    assert wider(a, b) == expected == wider(b, a)


def test_literal_types_and_string_order() -> None:
    from sqlglot import parse_one

    types = [
        spark_type(parse_one(f"SELECT {v}", read="databricks").expressions[0])
        for v in ("2147483648", "0.50", "1e3", "99999999999999999999")
    ]
    assert types == ["BIGINT", "DECIMAL(2,2)", "DOUBLE", "DECIMAL(20,0)"]
    assert wider_all(["INT", "STRING", "DECIMAL(2,1)"]) == "DECIMAL(21,1)"  # Spark: STRING with INT is BIGINT
    assert wider_all(["INT", "STRING"], strings=False) is None


def test_engine_reports_unjoinable_columns_as_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two arguments whose types are known only when run and DuckDB cannot join: a refusal, not a binder error."""
    db = {"conn_type": "duckdb", "host": str(tmp_path / "u.duckdb")}
    monkeypatch.setenv("AIRFLOW_CONN_IDU_UNIFY", json.dumps(db))
    engine = DuckDBEngine("idu_unify")
    try:
        engine.run_script(
            "CREATE TABLE u (s STRING, k INT); INSERT INTO u VALUES ('x', 1)", label="setup.sql"
        )
        for sql in (
            "SELECT map('s', s, 'k', k) FROM u",
            "SELECT array(k, s) FROM u",
            "SELECT coalesce(s, 0) FROM u",
        ):
            with pytest.raises(StatementError, match=r"\[IDU_REFUSED\] a constructor or branch"):
                engine.query(sql)
    finally:
        engine.close()


UNTOUCHED = [
    ("literals-duckdb-joins-alike", "SELECT array(0.1, 0.25), array(1, 2L), map(1, 2.5)"),
    ("one-value-and-null", "SELECT if(k > 0, k, NULL) FROM t"),
    ("same-value-twice", "SELECT array(m, m) FROM t"),
    ("beside-a-double", "SELECT coalesce(d, 0.5D), if(k > 0, 1.5D, d) FROM t"),
    (
        "window-tie-guard",
        "SELECT first_value(k) OVER (PARTITION BY s ORDER BY m) FROM t",
    ),  # error(...) has no type
]


@pytest.mark.parametrize("sql", [c[1] for c in UNTOUCHED], ids=[c[0] for c in UNTOUCHED])
def test_no_cast_or_guard_where_duckdb_joins_as_spark(sql: str) -> None:
    """Literals stay as written for the rewrites that read them (percentile_approx's array of fractions)."""
    [duck] = translate_statement(sql).statements
    assert "IDU_UNIFY" not in duck and "CAST(" not in duck.replace("CAST(NULL", "")


# (id, Spark SQL, the guard it gets): two or three operands typed when bound take the typed front
# (nodes.typed_macro: one type binds only the value); an aggregate or four operands the general guard
GUARD_FORMS = [
    ("two-columns", "SELECT coalesce(k, l) FROM t", "IDU_UNIFY_SAME2("),
    ("three-columns", "SELECT greatest(k, l, k) FROM t", "IDU_UNIFY_SAME3("),
    ("four-columns", "SELECT coalesce(k, l, k, l) FROM t", "IDU_UNIFY_GUARD("),
    ("aggregates", "SELECT coalesce(max(k), max(l)) FROM t", "IDU_UNIFY_GUARD("),
    ("window", "SELECT coalesce(lag(k) OVER (ORDER BY k), l) FROM t", "IDU_UNIFY_GUARD_DECIMAL("),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "form"), [c[1:] for c in GUARD_FORMS], ids=[c[0] for c in GUARD_FORMS])
def test_the_guard_form_follows_what_is_typed_when_bound(
    con: duckdb.DuckDBPyConnection, sql: str, form: str
) -> None:
    translated = translate_statement(sql).statements[-1]
    assert form in translated
    con.execute(translated).fetchall()  # INTEGER with BIGINT: DuckDB joins them as Spark does


def _nested_coalesce(depth: int) -> str:
    value = "k"
    for i in range(depth):
        value = f"coalesce({value}, {'l' if i % 2 else 'k'})"
    return f"SELECT {value} FROM t"


def test_nested_guards_are_not_copied_into_the_types_of_the_levels_above(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A guard's type is its value's: the typeof copies leave inner guards out (nodes.type_stand_in).
    With them, each level of nesting copied every guard below it again: 8 levels of coalesce were
    315,000 characters and took 8 s to translate."""
    short, long = (len(translate_statement(_nested_coalesce(d)).statements[-1]) for d in (8, 16))
    assert long < 4 * short, (short, long)  # doubling the depth: at most the square, not the power
    assert con.execute(translate_statement(_nested_coalesce(16)).statements[-1]).fetchall() == [(2,)]
