"""percentile_approx, approx_count_distinct and typeof: local Spark against the embedded engine beyond
the function harness's 24 rows. Groups of many sizes with NULLs and duplicates, arrays of percentages,
the accuracy and relativeSD arguments, on Spark with one partition and with four (its partial
summaries merged), just below the boundary of the exact range; just above it the engine refuses when
run, naming the function, where Spark's value already leaves the exact rank."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement
from tests.fidelity.partitioned import both

pytestmark = pytest.mark.spark

Make = Callable[[random.Random], Any]
_DAY0, _TS0 = date(1900, 1, 1), datetime(1900, 1, 1)
MAKERS: dict[str, tuple[str, Make]] = {
    "int": ("INT", lambda r: r.randint(-20, 20)),
    "bigint": ("BIGINT", lambda r: r.randint(-(2**53), 2**53)),
    "decimal": ("DECIMAL(12,3)", lambda r: Decimal(r.randint(-(10**11), 10**11)).scaleb(-3)),
    "double": (
        "DOUBLE",
        lambda r: r.choice([r.uniform(-1e6, 1e6), float("inf"), -float("inf"), 0.0, 1e-300]),
    ),
    "date": ("DATE", lambda r: _DAY0 + timedelta(days=r.randint(0, 73000))),
    "timestamp": ("TIMESTAMP", lambda r: _TS0 + timedelta(microseconds=r.randint(0, 6 * 10**15))),
    "string": ("STRING", lambda r: f"id-{r.randint(0, 10**6)}"),
}


def groups(make: Make, sizes: list[int], seed: int) -> list[tuple[int, Any]]:
    """(group, value) rows: each group of its size with duplicates, plus a NULL."""
    rnd = random.Random(seed)
    rows: list[tuple[int, Any]] = []
    for g, n in enumerate(sizes):
        values = [make(rnd) for _ in range(max(n - n // 4, 0))]
        values += [rnd.choice(values) for _ in range(n - len(values))] if values else []
        rows += [(g, v) for v in values] + [(g, None)]
    return rows


PERCENTAGES = "array(0, 0.0001, 0.01, 0.1, 0.25, 0.333, 0.5, 0.75, 0.9, 0.99, 0.9999, 1)"


@pytest.mark.parametrize(
    ("kind", "accuracy", "sizes"),
    [
        ("int", 10000, [0, 1, 2, 3, 5, 8, 13, 40, 200]),
        ("int", 100, [1, 2, 7, 30, 48, 49]),  # 49 values: the largest group below 100 / 2
        ("int", 11, [1, 2, 3, 4, 5]),  # 5 < 5.5
        ("bigint", 1000, [1, 10, 100, 499]),
        ("decimal", 10000, [1, 4, 50, 300]),
        ("double", 10000, [1, 3, 20, 100]),
        ("date", 10000, [1, 6, 60]),
        ("timestamp", 500, [1, 9, 249]),
    ],
    ids=[
        "int-default-accuracy",
        "int-accuracy-100",
        "int-accuracy-11",
        "bigint",
        "decimal",
        "double",
        "date",
        "timestamp",
    ],
)
def test_percentile_approx_below_half_the_accuracy(
    spark: Any, con: duckdb.DuckDBPyConnection, kind: str, accuracy: int, sizes: list[int]
) -> None:
    spark_type, make = MAKERS[kind]
    rows = groups(make, sizes, seed=len(sizes) * accuracy)
    sql = (
        f"SELECT g, percentile_approx(v, {PERCENTAGES}, {accuracy}), approx_percentile(v, 0.5, {accuracy}) "
        "FROM t GROUP BY g ORDER BY g"
    )
    mine, on_spark = both(spark, con, spark_type, rows, sql)
    for parts, expected in on_spark.items():
        assert mine == expected, f"{parts} partitions"


def test_percentile_approx_ungrouped_and_empty(spark: Any, con: duckdb.DuckDBPyConnection) -> None:
    rows = groups(MAKERS["int"][1], [30], seed=1)
    sql = (
        "SELECT percentile_approx(v, 0.5), percentile_approx(v, array(0.1, 0.9), 100), count(*), "
        "percentile(v, array(0.1, 0.9)) FROM t"
    )
    mine, on_spark = both(spark, con, "INT", rows, sql)
    assert all(mine == expected for expected in on_spark.values())
    mine, on_spark = both(spark, con, "INT", rows, sql.replace("FROM t", "FROM t WHERE v > 100"))
    assert (
        mine == on_spark[1] == [(None, None, 0, None)]
    )  # percentile of an array too: NULL, not [NULL, NULL]


def exact_rank(values: list[Any], p: float, accuracy: int) -> Any:
    s = sorted(v for v in values if v is not None)
    error = 1.0 / accuracy
    return s[0] if p <= error else s[-1] if p >= 1 - error else s[math.ceil(p * len(s)) - 1]


def test_percentile_approx_is_refused_from_half_the_accuracy(
    spark: Any, con: duckdb.DuckDBPyConnection
) -> None:
    """At 50 values of accuracy 100 the engine refuses; from 51 Spark's value leaves the exact rank
    (one partition) for some data: the boundary is where Spark stops being knowable."""
    sizes = [50] + [51] * 12
    rows = groups(lambda r: r.randint(-60, 60), sizes, seed=3)
    sql = "SELECT g, percentile_approx(v, array(0.1, 0.25, 0.5, 0.75, 0.9), 100) FROM t GROUP BY g ORDER BY g"
    mine, on_spark = both(spark, con, "INT", rows, sql)
    assert isinstance(mine, str) and "[IDU_REFUSED] percentile_approx" in mine and "over 50 non-NULL" in mine
    assert "accuracy 100" in mine and "percentile(" in mine
    by_group = {g: [v for h, v in rows if h == g] for g in range(len(sizes))}
    left = [
        g
        for g, got in on_spark[1]
        if got != [exact_rank(by_group[g], p, 100) for p in (0.1, 0.25, 0.5, 0.75, 0.9)]
    ]
    assert left, "Spark gave the exact rank for every group of 51 values"


@pytest.mark.parametrize(
    ("kind", "relative_sd", "sizes"),
    [
        ("int", None, [0, 1, 2, 10, 41]),  # default 0.05: p = 9, up to an estimate of 400
        ("bigint", "0.05", [1, 50, 150, 300]),
        ("string", "0.1", [1, 20, 50]),  # p = 7: up to 80
        ("double", "0.02", [5, 100, 1000]),  # p = 12: up to 3100
        ("date", "0.3", [1, 3, 6]),  # p = 4: up to 10
        ("decimal", "0.01", [10, 1000, 3000]),  # p = 14: up to 15500
        ("timestamp", "0.05", [2, 200]),
    ],
    ids=["int-default", "bigint", "string", "double", "date", "decimal", "timestamp"],
)
def test_approx_count_distinct_in_linear_counting(
    spark: Any, con: duckdb.DuckDBPyConnection, kind: str, relative_sd: str | None, sizes: list[int]
) -> None:
    spark_type, make = MAKERS[kind]
    rows = groups(make, sizes, seed=sum(sizes))
    argument = f", {relative_sd}" if relative_sd else ""
    sql = f"SELECT g, approx_count_distinct(v{argument}), approx_count_distinct(DISTINCT v{argument}) FROM t GROUP BY g ORDER BY g"
    mine, on_spark = both(spark, con, spark_type, rows, sql)
    for parts, expected in on_spark.items():
        assert mine == expected, f"{parts} partitions"


def test_approx_count_distinct_is_refused_beyond_linear_counting(
    spark: Any, con: duckdb.DuckDBPyConnection
) -> None:
    rows = groups(MAKERS["bigint"][1], [700], seed=7)
    mine, on_spark = both(spark, con, "BIGINT", rows, "SELECT approx_count_distinct(v) FROM t")
    assert (
        isinstance(mine, str) and "[IDU_REFUSED] approx_count_distinct" in mine and "count(DISTINCT" in mine
    )
    assert on_spark[1][0][0] > 400  # Spark's bias-corrected estimate


TYPEOF = [
    "1", "-2147483648", "2147483648", "9223372036854775808", "1.50", ".5", "1e3", "1L", "1Y", "1S", "1.5D", "1BD",
    "'a'", "NULL", "true", "X'01'", "DATE'2020-01-01'", "TIMESTAMP'2020-01-01 00:00:00'",
    "TIMESTAMP_NTZ'2020-01-01 00:00:00'", "CAST(1 AS DECIMAL)", "CAST(1 AS DECIMAL(5, 2))", "CAST('a' AS VARCHAR(3))",
    "CAST(NULL AS ARRAY<MAP<STRING, BIGINT>>)", "CAST(NULL AS STRUCT<a: INT, b: STRING>)", "array(1, NULL)", "array()",
    "map('a', 1.5)", "struct(1, 'a')", "named_struct('a b', 1, 'c', X'02')", "typeof(1)", "upper('a')",
    "CAST('x' AS INT)", "s", "bin", "d", "flag", "day", "words", "named_struct('k', s, 'v', array(d))", "map(s, bin)",
]  # fmt: skip


def test_typeof(spark: Any, con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT " + ", ".join(f"typeof({e})" for e in TYPEOF) + " FROM c"
    columns = "'x' AS s, X'00ff' AS bin, 1.5D AS d, true AS flag, DATE'2024-02-29' AS day, array('a', NULL) AS words"
    spark.sql(f"SELECT {columns}").createOrReplaceTempView("c")
    [expected] = spark.sql(sql).collect()
    con.execute("CREATE OR REPLACE TABLE c AS " + translate_statement(f"SELECT {columns}").statements[-1])
    [got] = con.execute(translate_statement(sql).statements[-1]).fetchall()
    assert dict(zip(TYPEOF, got, strict=True)) == dict(zip(TYPEOF, expected, strict=True))


@pytest.mark.parametrize("column", ["i", "n", "dec", "ts"])
def test_typeof_refused_when_run_where_duckdb_types_are_not_spark_s(
    con: duckdb.DuckDBPyConnection, column: str
) -> None:
    con.execute("CREATE OR REPLACE TABLE w AS SELECT 1::INTEGER AS i, 1::BIGINT AS n, 1.5::DECIMAL(10,2) AS dec, "
                "TIMESTAMP '2020-01-01' AS ts")  # fmt: skip
    with pytest.raises(duckdb.Error, match=r"\[IDU_REFUSED\] typeof of a value of DuckDB type"):
        con.execute(translate_statement(f"SELECT typeof({column}) FROM w").statements[-1]).fetchall()
