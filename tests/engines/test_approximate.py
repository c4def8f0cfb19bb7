"""percentile_approx, approx_count_distinct and typeof on the embedded engine, against models written
from Spark's source (``QuantileSummaries``, ``HyperLogLogPlusPlusHelper``), and their refusals. DuckDB
only: fast. tests/fidelity/test_approximate.py compares the same with local Spark."""

from __future__ import annotations

import math
import random
from typing import Any

import duckdb
import pytest
from sqlglot import parse_one

from airflow_idu.engines.duckdb.spark_compat.approximate import THRESHOLDS, hll_precision
from airflow_idu.engines.duckdb.spark_compat.hashing import xxhash64
from airflow_idu.engines.duckdb.spark_compat.type_names import spark_type_name
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement


def run(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(translate_statement(sql).statements[-1]).fetchall()


def load(con: duckdb.DuckDBPyConnection, rows: list[tuple[int, Any]], kind: str = "INTEGER") -> None:
    con.execute(f"CREATE OR REPLACE TABLE t (g INTEGER, v {kind})")
    con.executemany("INSERT INTO t VALUES (?, ?)", rows)


def exact_rank(values: list[Any], p: float, accuracy: int) -> Any:
    """QuantileSummaries.query with every delta 0: the element at rank ceil(p * n)."""
    s = sorted(v for v in values if v is not None)
    if not s:
        return None
    error = 1.0 / accuracy
    if p <= error:
        return s[0]
    return s[-1] if p >= 1 - error else s[math.ceil(p * len(s)) - 1]


def linear_count(values: list[Any], kind: str, p: int) -> int | None:
    """HyperLogLogPlusPlusHelper.query in its linear-counting range (None beyond it)."""
    m = 1 << p
    used = {(xxhash64(kind, str(v), None, 42) & (2**64 - 1)) >> (64 - p) for v in values if v is not None}
    h = m * math.log(m / (m - len(used))) if len(used) < m else math.inf
    return round(h) if h <= THRESHOLDS[p - 4] else None


PERCENTAGES = (0.0, 0.0001, 0.01, 0.1, 0.25, 0.333, 0.5, 0.75, 0.9, 0.99, 0.9999, 1.0)


@pytest.mark.parametrize("accuracy", [10, 11, 100, 10000], ids=lambda a: f"accuracy-{a}")
def test_percentile_approx_is_the_exact_rank_below_half_the_accuracy(
    con: duckdb.DuckDBPyConnection, accuracy: int
) -> None:
    rnd = random.Random(accuracy)
    groups = {n: [rnd.choice([None, *range(-5, 6)]) for _ in range(n)] for n in range(0, 40)}
    groups = {n: v for n, v in groups.items() if 2 * sum(x is not None for x in v) < accuracy}
    load(con, [(n, v) for n, values in groups.items() for v in values])
    listed = ", ".join(repr(p) for p in PERCENTAGES)
    got = dict(run(con, f"SELECT g, percentile_approx(v, array({listed}), {accuracy}) FROM t GROUP BY g"))
    for n, values in groups.items():
        want = [exact_rank(values, p, accuracy) for p in PERCENTAGES]
        assert got.get(n) == (None if all(w is None for w in want) else want), n


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        ("SELECT percentile_approx(v, 0.5, 100) FROM t", "over 50 non-NULL values with accuracy 100"),
        ("SELECT approx_percentile(v, array(0.5), 99) FROM t", "over 50 non-NULL values with accuracy 99"),
        ("SELECT percentile_approx(CAST(v AS STRING), 0.5) FROM t", "of a VARCHAR value"),
        (
            "SELECT percentile_approx(CAST(v AS DOUBLE) * 0.0 * CAST(v - 25 AS DOUBLE), 0.5) FROM t",
            "0.0 and -0.0",
        ),
        ("SELECT percentile_approx(v + 9007199254740990, 0.5) FROM t", "beyond 2^53"),
        ("SELECT approx_count_distinct(v * 1000, 0.2) FROM t", "beyond linear counting"),
        ("SELECT approx_count_distinct(v, 0.39) FROM t", "every register is in use"),
        ("SELECT typeof(v) FROM t", "typeof of a value of DuckDB type BIGINT"),
    ],
    ids=[
        "half-accuracy",
        "alias-odd-accuracy",
        "string",
        "signed-zeros",
        "bigint-beyond-2-53",
        "hll-beyond-threshold",
        "hll-registers-full",
        "typeof-integer",
    ],
)
def test_refused_when_run_naming_the_function(
    con: duckdb.DuckDBPyConnection, sql: str, fragment: str
) -> None:
    load(con, [(1, v) for v in range(50)], "BIGINT")
    with pytest.raises(duckdb.Error) as raised:
        run(con, sql)
    message = str(raised.value)
    assert "[IDU_REFUSED]" in message and fragment in message, message
    function = sql.split("(", 1)[0].split()[-1]
    assert function.split("_")[0] in message or "percentile_approx" in message, message


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        ("SELECT percentile_approx(v, 0.5) OVER (ORDER BY g) FROM t", "as a window function"),
        ("SELECT percentile_approx(DISTINCT v, 0.5) FROM t", "DISTINCT"),
        ("SELECT percentile_approx(v, g) FROM t", "percentages other than numeric literals"),
        ("SELECT percentile_approx(v, 1.5) FROM t", "percentages other than numeric literals"),
        ("SELECT percentile_approx(v, 0.1234567890123456) FROM t", "at most 15 digits"),
        ("SELECT percentile_approx(v, 0.5, 0) FROM t", "an accuracy other than"),
        ("SELECT percentile_approx(v, 0.5, g) FROM t", "an accuracy other than"),
        ("SELECT approx_count_distinct(v, 0.5) FROM t", "above 0.39"),
        ("SELECT approx_count_distinct(v, 0.001) FROM t", "below 0.0022"),
        ("SELECT approx_count_distinct(v, g) FROM t", "a relativeSD other than"),
        ("SELECT approx_count_distinct(v) OVER (ORDER BY g) FROM t", "as a window function"),
    ],
    ids=[
        "pa-window",
        "pa-distinct",
        "pa-column-percentage",
        "pa-percentage-above-1",
        "pa-16-digits",
        "pa-accuracy-0",
        "pa-column-accuracy",
        "hll-p-below-4",
        "hll-p-above-18",
        "hll-column-rsd",
        "hll-window",
    ],
)
def test_refused_when_translated(sql: str, fragment: str) -> None:
    with pytest.raises(TranslationError) as raised:
        translate_statement(sql)
    assert fragment in str(raised.value), str(raised.value)


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("BIGINT", lambda r: r.randint(-(10**12), 10**12)),
        ("VARCHAR", lambda r: f"id-{r.randint(0, 10**9)}"),
        ("DOUBLE", lambda r: r.random() * 1e6),
        ("DATE", lambda r: f"{r.randint(1900, 2100)}-0{r.randint(1, 9)}-1{r.randint(0, 9)}"),
    ],
    ids=["bigint", "string", "double", "date"],
)
def test_approx_count_distinct_is_linear_counting(
    con: duckdb.DuckDBPyConnection, kind: str, make: Any
) -> None:
    rnd = random.Random(kind)
    groups = {n: [make(rnd) for _ in range(n)] for n in (0, 1, 2, 5, 30, 120, 300)}
    rows = [(n, v) for n, values in groups.items() for v in values + values[:3] + [None]]
    load(con, rows, kind)
    texts = {
        n: [r[0] for r in con.execute(f"SELECT CAST(v AS VARCHAR) FROM t WHERE g = {n}").fetchall()]
        for n in groups
    }
    for rsd, p in ((0.05, 9), (0.1, 7), (0.02, 12)):
        assert hll_precision(rsd) == p
        want = {n: linear_count(texts[n], kind, p) for n in groups}
        inside = ", ".join(str(n) for n, w in want.items() if w is not None)
        got = run(con, f"SELECT g, approx_count_distinct(v, {rsd}) FROM t WHERE g IN ({inside}) GROUP BY g")
        assert dict(got) == {n: w for n, w in want.items() if w is not None}, rsd


def test_linear_counting_is_far_from_every_rounding_and_threshold_boundary() -> None:
    """Java's Math.log and DuckDB's ln may differ in the last bit: 2^-34 after the scaling by m at
    p = 18. Every estimate the engine accepts is much further than that from where it would matter."""
    half, threshold = math.inf, math.inf
    for p in range(4, 19):
        m = 1 << p
        for v in range(1, m + 1):
            h = m * math.log(m / v)
            threshold = min(threshold, abs(h - THRESHOLDS[p - 4]))
            if h <= THRESHOLDS[p - 4]:
                half = min(half, abs(h - math.floor(h) - 0.5))
    assert half > 1e-6 and threshold > 1e-2, (half, threshold)


@pytest.mark.parametrize(
    ("relative_sd", "p"),
    [(0.05, 9), (0.3, 4), (0.39, 4), (0.1, 7), (0.01, 14), (0.0023, 18)],
)
def test_hll_precision(relative_sd: float, p: int) -> None:
    assert hll_precision(relative_sd) == p


@pytest.mark.parametrize(
    ("expression", "name"),
    [
        ("1", "int"), ("-2147483648", "int"), ("2147483648", "bigint"), ("9223372036854775808", "decimal(19,0)"),
        ("1.5", "decimal(2,1)"), (".5", "decimal(1,1)"), ("0.10", "decimal(2,2)"), ("1e3", "double"),
        ("1L", "bigint"), ("1Y", "tinyint"), ("1S", "smallint"), ("1.5D", "double"), ("1BD", "decimal(1,0)"),
        ("'a'", "string"), ("NULL", "void"), ("true", "boolean"), ("X'01'", "binary"),
        ("DATE'2020-01-01'", "date"), ("TIMESTAMP'2020-01-01 00:00:00'", "timestamp"),
        ("TIMESTAMP_NTZ'2020-01-01 00:00:00'", "timestamp_ntz"), ("CAST(x AS DECIMAL)", "decimal(10,0)"),
        ("CAST(x AS VARCHAR(5))", "string"), ("CAST(x AS ARRAY<MAP<STRING, INT>>)", "array<map<string,int>>"),
        ("CAST(x AS STRUCT<a: INT, b: STRING>)", "struct<a:int,b:string>"), ("array(1, NULL)", "array<int>"),
        ("array()", "array<void>"), ("map('a', 1)", "map<string,int>"), ("struct(1, 'a')", "struct<col1:int,col2:string>"),
        ("named_struct('a b', 1)", "struct<a b:int>"), ("typeof(x)", "string"), ("upper(x)", "string"),
        ("x", None), ("array(1, 2L)", None), ("x + 1", None), ("INTERVAL '1' DAY", None),
    ],
)  # fmt: skip
def test_typeof_names_the_types_the_statement_establishes(expression: str, name: str | None) -> None:
    node = parse_one(f"SELECT {expression}", read="databricks").expressions[0]
    assert spark_type_name(node) == name


def test_typeof_of_a_column_when_run(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TABLE c AS SELECT 'x' AS s, 1.5::DOUBLE AS d, DATE '2020-01-01' AS dt, "
                "['a'] AS arr, MAP(['k'], [X'01']) AS m, {'a b': true} AS st")  # fmt: skip
    got = run(con, "SELECT typeof(s), typeof(d), typeof(dt), typeof(arr), typeof(m), typeof(st) FROM c")
    assert got == [("string", "double", "date", "array<string>", "map<string,binary>", "struct<a b:boolean>")]


def test_a_group_without_values_is_null(con: duckdb.DuckDBPyConnection) -> None:
    load(con, [(1, None), (1, None), (2, 7)])
    sql = "SELECT g, percentile_approx(v, array(0.5, 0.9)), percentile_approx(v, 0.5), approx_count_distinct(v) FROM t GROUP BY g ORDER BY g"
    assert run(con, sql) == [(1, None, None, 0), (2, [7, 7], 7, 1)]
