"""A FLOAT beside an integer or a DECIMAL is computed in DOUBLE, as Spark (ANSI) computes it
(spark_compat/float_widening.py), where the database holds a FLOAT (float_columns.py).

DuckDB computed ``f + 1`` and ``f = 0.1`` in FLOAT: with ``f`` the FLOAT 0.1, 1.100000023841858 and
true, where Spark gives 1.1000000014901161 and false. Spark's values for these forms: the
``float-*`` rows of tests/fidelity/compositions.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.base import StatementError
from airflow_idu.engines.duckdb.engine import DuckDBEngine
from airflow_idu.engines.duckdb.float_columns import has_float_columns
from airflow_idu.engines.duckdb.translate import translate_statement

_REFUSED = r"\[IDU_REFUSED\] arithmetic of a FLOAT"


@pytest.fixture(scope="module")
def floats(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(
        "CREATE OR REPLACE TABLE ft AS SELECT * FROM (VALUES (CAST(0.1 AS FLOAT), CAST(0.001 AS FLOAT), "
        "3::INTEGER, 7::BIGINT, 1.5::DOUBLE, 2.25::DECIMAL(10, 2))) AS v(f, g, i, k, d, m)"
    )
    con.execute("CREATE OR REPLACE TABLE ft2 AS SELECT * FROM ft")
    # enough rows for joins and filters to be planned, not folded
    con.execute(
        "CREATE OR REPLACE TABLE fb AS SELECT range AS k, CAST(range AS FLOAT) AS f FROM range(10000)"
    )
    con.execute("CREATE OR REPLACE TABLE fb2 AS SELECT * FROM fb")
    return con


def _sql(sql: str) -> str:
    return translate_statement(sql, float_values=True).statements[-1]


def _value(con: duckdb.DuckDBPyConnection, expression: str) -> Any:
    return con.execute(_sql(f"SELECT {expression} FROM ft")).fetchone()[0]


VALUES = [
    pytest.param("f + 1", 1.1000000014901161, id="plus-int"),
    pytest.param("f * 2", 0.20000000298023224, id="times-int"),
    pytest.param("f - 0.1", 1.4901161138336505e-09, id="minus-decimal"),
    pytest.param("f = 0.1", False, id="equals-decimal"),
    pytest.param("g > 0.001", True, id="greater-decimal"),
    pytest.param("g BETWEEN 0.001 AND 0.1", True, id="between-decimals"),
    pytest.param("f = '0.1'", False, id="equals-string"),
    pytest.param("f + f", pytest.approx(0.2, rel=1e-7), id="float-plus-float"),
    pytest.param("typeof(f + f)", "float", id="float-plus-float-stays-float"),
    pytest.param("typeof(f + 1)", "double", id="float-plus-int-is-double"),
    pytest.param("f + d", 1.6000000014901161, id="plus-double"),
    pytest.param("k + 1", 8, id="integers-unchanged"),
    pytest.param("f = i", False, id="equals-int-column"),
    pytest.param("g < f", True, id="float-less-than-float"),
    pytest.param("f + f = 0.2", False, id="float-sum-compared-in-double"),
]


@pytest.mark.parametrize(("expression", "expected"), VALUES)
def test_values_are_sparks(floats: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert _value(floats, expression) == expected


REFUSED = [
    pytest.param("SELECT f + k FROM ft", id="plus-bigint-column"),
    pytest.param("SELECT f * m FROM ft", id="times-decimal-column"),
    pytest.param("SELECT count(*) FROM ft GROUP BY f + k", id="group-by-key"),
]


@pytest.mark.parametrize("sql", REFUSED)
def test_a_float_beside_an_integer_column_is_refused_when_run(
    floats: duckdb.DuckDBPyConnection, sql: str
) -> None:
    with pytest.raises(duckdb.Error, match=_REFUSED):
        floats.execute(_sql(sql)).fetchall()


PLANS = [
    pytest.param("SELECT count(*) FROM fb a JOIN fb2 b ON a.f = b.f", "Hash Join", id="join-float-float"),
    pytest.param("SELECT count(*) FROM fb a JOIN fb2 b ON a.k = b.k", "Hash Join", id="join-bigint"),
    pytest.param("SELECT count(*) FROM fb a JOIN fb2 b ON a.f = b.k", "Hash Join", id="join-float-bigint"),
    pytest.param("SELECT count(*) FROM fb WHERE k > 5", "Filters: k > 5", id="filter-integer"),
    pytest.param("SELECT count(*) FROM fb WHERE f > 0.001", "CAST(f AS DOUBLE) > 0.001", id="filter-float"),
]


@pytest.mark.parametrize(("sql", "plan"), PLANS)
def test_the_checks_fold_before_planning(floats: duckdb.DuckDBPyConnection, sql: str, plan: str) -> None:
    explained = floats.execute("EXPLAIN " + _sql(sql)).fetchall()[0][1]
    assert plan in explained, explained
    assert "IDU_" not in explained.upper() and "CASE" not in explained.upper(), explained


def test_without_a_float_in_the_database_the_text_is_unchanged() -> None:
    sql = "SELECT k + 1, k > 5, a.k = b.k FROM t a JOIN u b ON a.k = b.k"
    assert "FLOAT" not in " ".join(translate_statement(sql).statements).upper()
    assert "IDU_WIDEN_FLOAT" in " ".join(translate_statement(sql, float_values=True).statements)


def test_a_statement_naming_float_is_widened_whatever_the_database(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT CAST(0.1 AS FLOAT) + 1"
    assert con.execute(translate_statement(sql).statements[-1]).fetchone()[0] == 1.1000000014901161


def test_duckdbs_own_catalog_floats_do_not_count() -> None:
    fresh = duckdb.connect()
    assert not has_float_columns(fresh)  # pg_catalog.pg_class.reltuples is a FLOAT
    fresh.execute("CREATE TABLE t AS SELECT [CAST(1 AS FLOAT)] AS a")
    assert has_float_columns(fresh)


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DuckDBEngine]:
    db = tmp_path / "floats.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_IDU_FLOATS", json.dumps({"conn_type": "duckdb", "host": str(db)}))
    eng = DuckDBEngine("idu_floats")
    yield eng
    eng.close()


def test_the_engine_widens_once_a_statement_made_a_float_column(engine: DuckDBEngine) -> None:
    engine.run_script(
        "CREATE TABLE n AS SELECT 7 AS k; CREATE TABLE t AS SELECT CAST(0.1 AS FLOAT) AS f", label="s"
    )
    assert engine.query("SELECT f + 1 AS x, f = 0.1 AS y FROM t") == [(1.1000000014901161, False)]
    with pytest.raises(StatementError, match=_REFUSED):
        engine.run_script("CREATE TABLE bad AS SELECT f + k AS x FROM t, n", label="s")
    assert engine.query("SELECT count(*) AS c FROM t JOIN n ON t.f < n.k") == [(1,)]


def test_the_engine_sees_a_float_column_made_before_it_opened(engine: DuckDBEngine, tmp_path: Path) -> None:
    outside = duckdb.connect(str(tmp_path / "floats.duckdb"))
    outside.execute("CREATE TABLE t AS SELECT CAST(0.1 AS FLOAT) AS f")
    outside.close()
    assert engine.query("SELECT f = 0.1 AS y FROM t") == [(False,)]
