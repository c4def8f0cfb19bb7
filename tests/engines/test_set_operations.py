"""UNION, INTERSECT and EXCEPT through the embedded engine (engines/duckdb/set_operations.py): Spark's
column types where DuckDB's agree, else Spark's error or a refusal naming the CAST. Spark's outcome of
each is checked against local Spark by the catalogue's union-* rows (tests/fidelity/compositions.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from airflow_idu.engines import StatementError
from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.engines.duckdb.set_operations import set_shapes
from airflow_idu.engines.duckdb.set_types import spark_name
from airflow_idu.engines.duckdb.translate import translate_statement


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEngine]:
    path = tmp_path_factory.mktemp("sets") / "sets.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_IDU_SETS", json.dumps({"conn_type": "duckdb", "host": str(path)}))
        engine = DuckDBEngine("idu_sets")
        engine.run_script(
            "CREATE TABLE t (k BIGINT, i INT, m DECIMAL(10,2), s STRING, b BOOLEAN, f FLOAT, dt DATE);"
            "INSERT INTO t VALUES (7, 3, 1.25, 'x', true, 0.5, DATE '2024-03-05')",
            label="setup.sql",
        )
        yield engine
        engine.close()


# (id, query, the rows Spark gives)
RUNS: list[tuple[str, str, list[tuple[Any, ...]]]] = [
    ("bigint-decimal", "SELECT k FROM t UNION ALL SELECT m FROM t", [(Decimal("7.00"),), (Decimal("1.25"),)]),
    ("int-decimal-literal", "SELECT i FROM t UNION ALL SELECT 2.5", [(Decimal("3.0"),), (Decimal("2.5"),)]),
    ("three-branches", "SELECT k, s FROM t UNION ALL SELECT i, s FROM t UNION ALL SELECT 1, 'y'",
     [(7, "x"), (3, "x"), (1, "y")]),
    ("cte", "WITH a AS (SELECT k FROM t) SELECT k FROM a UNION SELECT i FROM t", [(3,), (7,)]),
    ("in-subquery", "SELECT s FROM t WHERE k IN (SELECT i FROM t UNION SELECT 7)", [("x",)]),
    ("intersect", "SELECT i FROM t INTERSECT SELECT 3.0", [(Decimal("3.0"),)]),
    ("except-double", "SELECT i FROM t EXCEPT SELECT 3.5D", [(3.0,)]),
    ("correlated-literals", "SELECT s FROM t o WHERE EXISTS (SELECT 1 FROM t WHERE t.k = o.k UNION ALL SELECT 2)",
     [("x",)]),
    # a NULL or an array of NULLs beside structs (the published generator's id arrays)
    ("null-array-beside-structs", "SELECT array(named_struct('id', s, 'ns', i)) AS a FROM t UNION ALL SELECT array()",
     [([{"id": "x", "ns": 3}],), ([],)]),
    # the check binds each branch without its filters: a correlated WHERE does not stop it
    ("recursive-cte", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
     "SELECT n FROM r UNION ALL SELECT k FROM t", [(1,), (2,), (3,), (7,)]),
    ("cte-read-by-every-input", "WITH c AS (SELECT k, s FROM t) SELECT k FROM c UNION ALL SELECT k FROM c "
     "UNION ALL SELECT i FROM t", [(7,), (7,), (3,)]),
    ("correlated-filter", "SELECT s FROM t o WHERE EXISTS (SELECT k FROM t WHERE t.k = o.k UNION SELECT i FROM t)",
     [("x",)]),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "rows"), [c[1:] for c in RUNS], ids=[c[0] for c in RUNS])
def test_runs_with_sparks_types(engine: DuckDBEngine, sql: str, rows: list[tuple[Any, ...]]) -> None:
    assert sorted(engine.query(sql), key=repr) == sorted(rows, key=repr)


REFUSED = [
    ("bigint-string", "SELECT k FROM t UNION ALL SELECT '7'", r"\[IDU_REFUSED\] UNION column 1 \(k\): Spark's common type of BIGINT, STRING is BIGINT"),
    ("float-int", "SELECT f FROM t UNION ALL SELECT 1", "FLOAT, INT is DOUBLE"),
    ("date-string", "SELECT dt FROM t UNION ALL SELECT '2024-01-01'", "DATE, STRING is DATE"),
    ("boolean-int", "SELECT b FROM t UNION ALL SELECT 1", r"\[IDU_REFUSED\] UNION column 1 \(b\) is BOOLEAN, INT in its branches"),
    ("second-column", "SELECT s, k FROM t INTERSECT SELECT s, s FROM t", r"INTERSECT column 2 \(k\)"),
    ("string-binary", "SELECT s FROM t UNION ALL SELECT CAST('a' AS BINARY)", "Spark casts the STRING of STRING, BINARY"),
    ("chain", "SELECT k FROM t UNION ALL SELECT i FROM t UNION ALL SELECT s FROM t", "of BIGINT, INT, STRING is BIGINT"),
    ("through-a-cte", "WITH c AS (SELECT s AS v FROM t) SELECT k FROM t UNION ALL SELECT v FROM c", "BIGINT, STRING"),
    ("recursive-cte", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
     "SELECT n FROM r UNION ALL SELECT s FROM t", "INT, STRING is BIGINT"),
    ("nested-branch", "SELECT * FROM (SELECT k FROM t UNION ALL SELECT f FROM t) u", "BIGINT, FLOAT is DOUBLE"),
    ("sum-beside-finer", "SELECT sum(m) FROM t UNION ALL SELECT 0.005", "drops decimals of DECIMAL"),
    ("by-name", "SELECT k FROM t UNION ALL BY NAME SELECT s AS k FROM t", "BIGINT, STRING is BIGINT"),
    ("insert", "INSERT INTO t (k) SELECT k FROM t UNION ALL SELECT s FROM t", "BIGINT, STRING"),
    ("correlated", "SELECT s FROM t o WHERE EXISTS (SELECT o.k FROM t UNION SELECT s FROM t)",
     "cannot be bound on their own"),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_before_it_runs(engine: DuckDBEngine, sql: str, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        engine.run_script(sql, label="q.sql")
    assert engine.query("SELECT count(*) FROM t") == [(1,)]  # nothing written


def test_literal_branches_of_one_type_need_no_check() -> None:
    tree = translate_statement("SELECT 1, 'a' UNION ALL SELECT 2, CAST(NULL AS STRING)")
    assert tree.set_operations == ()
    assert len(translate_statement("SELECT 1 UNION ALL SELECT 2.5").set_operations) == 1


TYPES = [("INTEGER", "INT"), ("VARCHAR", "STRING"), ("DECIMAL(5,2)", "DECIMAL(5,2)"), ("BLOB", "BINARY"),
         ("BIGINT[]", "ARRAY<BIGINT>"), ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP"), ("HUGEINT", None),
         ("STRUCT(a INTEGER)", None)]  # fmt: skip


@pytest.mark.parametrize(("duck", "spark"), TYPES, ids=[t[0] for t in TYPES])
def test_spark_names_of_duckdb_types(duck: str, spark: str | None) -> None:
    assert spark_name(duck) == spark


def test_shapes_carry_the_ctes_their_inputs_read() -> None:
    """Only the CTEs read (b is not), through one another (c reads a), each once."""
    from sqlglot import parse_one

    sql = (
        "WITH a AS (SELECT 1 AS x), b AS (SELECT 2 AS y), c AS (SELECT x FROM a) "
        "SELECT x FROM c UNION ALL SELECT k FROM t UNION ALL SELECT x FROM a"
    )
    (shape,) = set_shapes(parse_one(sql, read="duckdb"))
    assert [q.reads for q in shape.branches] == [("c#2",), (), ("a#0",)]
    assert sorted(c.name for c in shape.ctes) == ["a", "c"]
    assert shape.computed == (False,)


def test_a_chain_is_one_shape_of_its_inputs() -> None:
    """a UNION b UNION c binds each input once (a shape per nested pair would bind a and b again)."""
    from sqlglot import parse_one

    sql = "SELECT k FROM t UNION SELECT i FROM t UNION SELECT m FROM t UNION ALL SELECT s FROM t"
    inner, outer = set_shapes(parse_one(sql, read="duckdb"))
    assert len(inner.branches) == 3 and len(outer.branches) == 2


def test_filters_and_join_conditions_are_not_bound() -> None:
    from sqlglot import parse_one

    sql = (
        "SELECT a.k FROM t a JOIN t b ON a.k = b.k WHERE a.k > 1 UNION ALL SELECT i FROM t ORDER BY 1 LIMIT 3"
    )
    (shape,) = set_shapes(parse_one(sql, read="duckdb"))
    assert "WHERE" not in shape.branches[0].sql and "ON TRUE" in shape.branches[0].sql
    assert "LIMIT" not in shape.branches[1].sql
