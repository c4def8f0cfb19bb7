"""Faithfulness: the example directory gives identical tables on Spark SQL and on DuckDB.

So do the directories of the other loop and of fewer iteration files, whose runs go past the
files (derived iterations): the example unify.yml with ``--loop full``, and with the default
(incremental) loop and two iteration files.

Spark runs the Databricks SQL nearly verbatim (only Delta/Unity Catalog syntax that
local Spark lacks is adapted below); DuckDB runs it through airflow_idu's translator.
Every table of the target schema - loop tables, lookup, stats, enriched, master,
metadata - must match row for row, canonical ids included.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_idu.generate.sqltext import canonical_id_sql
from airflow_idu.plan.contract import LOOP_WORK_TABLES
from tests.engines.test_translate import CONV_CASES, SEMANTICS, spark_conv
from tests.generate.sqlrun import (
    SOURCE_TABLES,
    demo_rows,
    duckdb_adapter,
    duckdb_connection,
    load_duckdb_sources,
    normalize,
    run_directory,
)
from tests.generate.test_sql import reference_canonical_id, sample_ids
from tests.sqldir import generate_example

pytestmark = pytest.mark.spark

EXAMPLE_SQL = Path(__file__).resolve().parents[2] / "examples" / "customer_unification" / "sql"
CATALOG, SCHEMA = "idu_demo", "unified"


# -- adapting Databricks SQL to local Spark (no Delta, no Unity Catalog) ------------

_CREATE_OR_REPLACE = re.compile(r"^\s*CREATE\s+OR\s+REPLACE\s+TABLE\s+([\w.]+)", re.IGNORECASE)
_DELTA_ONLY = re.compile(r"\s+USING\s+DELTA\b|\s+CLUSTER\s+BY\s*\([^)]*\)", re.IGNORECASE)


def _three_part(catalog: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!')\b{catalog}\.(?=\w+\.\w+)")  # not inside '...' literals


def spark_statements(statement: str, catalog: str = CATALOG) -> list[str]:
    """The Spark statements for one Databricks statement of a directory whose catalog is ``catalog``."""
    code = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--")).strip()
    if re.fullmatch(r"USE\s+CATALOG\s+\w+", code, re.IGNORECASE):
        return []
    use = re.fullmatch(r"USE\s+SCHEMA\s+(\w+)", code, re.IGNORECASE)
    if use:
        return [f"CREATE DATABASE IF NOT EXISTS {use.group(1)}", f"USE {use.group(1)}"]
    code = _DELTA_ONLY.sub("", _three_part(catalog).sub("", code))
    replace = _CREATE_OR_REPLACE.match(code)
    if replace:
        return [f"DROP TABLE IF EXISTS {replace.group(1)}", _CREATE_OR_REPLACE.sub(r"CREATE TABLE \1", code)]
    return [code]


def spark_adapter(session: Any, statements: Callable[[str], list[str]] = spark_statements) -> tuple[Any, Any]:
    """``(execute, scalar)`` over ``session``; ``statements`` adapts one Databricks statement."""

    def execute(statement: str) -> None:
        for sql in statements(statement):
            session.sql(sql).collect()

    def scalar(statement: str) -> int:
        *setup, last = statements(statement)
        for sql in setup:
            session.sql(sql).collect()
        return int(session.sql(last).collect()[0][0])

    return execute, scalar


def load_spark_sources(session: Any, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    session.sql("CREATE DATABASE IF NOT EXISTS customer_db")
    for table, columns in SOURCE_TABLES.items():
        schema = ", ".join(f"`{name}` {kind}" for name, kind in columns)
        session.createDataFrame(rows[table], schema=schema).write.mode("overwrite").saveAsTable(
            f"customer_db.{table}"
        )


# -- the comparison ---------------------------------------------------------------


def spark_tables(session: Any, schema: str = SCHEMA) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    names = sorted(
        r.tableName for r in session.sql(f"SHOW TABLES IN {schema}").collect() if not r.isTemporary
    )
    out = {}
    for name in names:
        frame = session.table(f"{schema}.{name}")
        out[name] = ([c.lower() for c in frame.columns], _sorted(tuple(r) for r in frame.collect()))
    return out


def duckdb_tables(con: Any, schema: str = SCHEMA) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    names = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
            [schema],
        ).fetchall()
    ]
    out = {}
    for name in names:
        cursor = con.execute(f'SELECT * FROM "{schema}"."{name}"')
        columns = [d[0].lower() for d in cursor.description]
        out[name] = (columns, _sorted(cursor.fetchall()))
    return out


def _sorted(rows: Any) -> list[tuple[Any, ...]]:
    return sorted((normalize(tuple(r)) for r in rows), key=repr)


def test_example_directory_is_identical_on_spark_and_duckdb(spark: Any) -> None:
    # The default (incremental) loop settles this data within the example's three iteration files;
    # derived iterations on both engines: the two generated directories' tests below.
    _, con = _run_on_both(spark, EXAMPLE_SQL, demo_rows())  # it checks both ran the same iterations
    expected, actual = spark_tables(spark), duckdb_tables(con)
    assert f"{'unified_customer_id'}_lookup" in expected and "customer_master" in expected
    assert_same_tables(expected, actual)


def test_full_loop_directory_is_identical_on_spark_and_duckdb(spark: Any, tmp_path: Path) -> None:
    """``generate --loop full`` for the example unify.yml (three iteration files): the demo data's
    chain takes the full-rewrite loop past them, so later iterations are derived."""
    from airflow_idu.generate.sql import LoopAlgorithm

    schema = "unified_full"
    generate_example(tmp_path, loop=LoopAlgorithm.FULL, schema=schema)
    duck_run, con = _run_on_both(spark, tmp_path, demo_rows())
    assert duck_run.derived_iterations > 0, "the demo data must take the full loop past its iteration files"
    expected, actual = spark_tables(spark, schema), duckdb_tables(con, schema)
    assert "unified_customer_id_lookup" in expected and "customer_master" in expected
    assert_same_tables(expected, actual)


def _run_on_both(spark: Any, sql_dir: Path, rows: dict[str, list[tuple[Any, ...]]]) -> tuple[Any, Any]:
    """Run ``sql_dir`` on the same source rows on DuckDB and on Spark: the (equal) run results and
    the DuckDB connection, whose tables the caller compares with Spark's."""
    con = duckdb_connection()
    load_duckdb_sources(con, rows)
    duck_run = run_directory(sql_dir, *duckdb_adapter(con))
    load_spark_sources(spark, rows)
    spark_run = run_directory(sql_dir, *spark_adapter(spark))
    assert duck_run == spark_run
    return duck_run, con


def _hashable(value: Any) -> Any:
    """``value`` with lists, tuples, dicts and sets made hashable; equal values stay equal."""
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return frozenset((k, _hashable(v)) for k, v in value.items())
    if isinstance(value, set | frozenset):
        return frozenset(_hashable(v) for v in value)
    return value


_OVERLAYS = tuple(f"_unify_work_{name}" for name in LOOP_WORK_TABLES if name.startswith("changes_"))


def assert_same_tables(expected: dict[str, Any], actual: dict[str, Any]) -> None:
    """Spark's tables (``expected``) and DuckDB's hold the same names, columns and rows."""
    assert sorted(actual) == sorted(expected)
    differences = []
    for name, (columns, table_rows) in expected.items():
        assert actual[name][0] == columns, f"{name}: columns differ"
        # the loop's overlay tables end empty (the converging iteration changes no label); the loop
        # tables they fed are compared
        if not name.endswith(_OVERLAYS):
            assert table_rows, f"{name}: empty on Spark, the comparison would prove nothing"
        # multisets of rows (a Counter, not list membership: linear, so a 600,000-row table compares in
        # seconds, and a row duplicated on one side only is a difference)
        spark_rows, duck_rows = Counter(map(_hashable, table_rows)), Counter(map(_hashable, actual[name][1]))
        missing = list((spark_rows - duck_rows).elements())
        extra = list((duck_rows - spark_rows).elements())
        if missing or extra:
            differences.append(f"{name}: Spark-only rows {missing[:3]}, DuckDB-only rows {extra[:3]}")
    assert not differences, "\n".join(differences)


# -- the translator's expectations, checked against real Spark ----------------------


@pytest.mark.parametrize(("expr", "expected"), [c[1:] for c in SEMANTICS], ids=[c[0] for c in SEMANTICS])
def test_translator_expectations_hold_on_spark(spark: Any, expr: str, expected: Any) -> None:
    value = spark.sql(f"SELECT {expr} AS v").collect()[0][0]
    assert normalize(value) == normalize(expected)


@pytest.mark.parametrize(
    ("num", "from_base", "to_base"), CONV_CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CONV_CASES]
)
def test_conv_reference_matches_spark(spark: Any, num: str, from_base: int, to_base: int) -> None:
    assert spark.sql(f"SELECT conv('{num}', {from_base}, {to_base})").collect()[0][0] == spark_conv(
        num, from_base, to_base
    )


def test_canonical_id_sql_on_spark_matches_python(spark: Any) -> None:
    rows = [(i, ns) for i in sample_ids() for ns in range(1, 6)]
    spark.createDataFrame(rows, schema="id STRING, ns BIGINT").createOrReplaceTempView("cid_probe")
    got = {
        (r[0], r[1]): r[2]
        for r in spark.sql(f"SELECT id, ns, {canonical_id_sql('id', 'ns', 5)} FROM cid_probe").collect()
    }
    wrong = {k: v for k, v in got.items() if v != reference_canonical_id(*k)}
    assert len(got) == len(rows) and not wrong, list(wrong.items())[:5]


def test_generated_incremental_loop_is_identical_on_spark_and_duckdb(spark: Any, tmp_path: Path) -> None:
    """``generate`` (its default, incremental loop) with two iteration files, so later iterations are
    derived: every table (work tables and loop tables included) is the same on Spark and on DuckDB."""
    schema = "unified_incremental"
    generate_example(tmp_path, merge_iterations=2, schema=schema)
    duck_run, con = _run_on_both(spark, tmp_path, demo_rows(seed=5, people=40, chain=INCREMENTAL_CHAIN))
    assert duck_run.derived_iterations > 0, "the chain must need more iterations than the two files"
    expected, actual = spark_tables(spark, schema), duckdb_tables(con, schema)
    assert {"unified_customer_id_lookup", "unified_customer_id_unify_work_nodes"} <= set(expected)
    assert_same_tables(expected, actual)


INCREMENTAL_CHAIN = 300  # long enough for a third iteration at eight rounds per iteration
