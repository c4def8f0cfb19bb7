"""What INSERT, UPDATE and MERGE store when a value's type is not the column's, on the embedded
engine (engines/duckdb/store_assignment.py), in every statement form that writes.

INSERT's outcomes are compared with local Spark in tests/fidelity/test_store_assignment.py. UPDATE
and MERGE need Delta, which local Spark lacks: Delta casts their values at run time with Spark's
ANSI CAST (``UpdateExpressionsSupport.castIfNeeded``), so the engine refuses every pair DuckDB's
implicit cast takes its own way, and these tests check the refusal and that the table is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_idu.engines.base import StatementError
from airflow_idu.engines.duckdb.engine import DuckDBEngine

SETUP = (
    "CREATE TABLE t (k BIGINT, a BIGINT); INSERT INTO t VALUES (1, 10), (2, 20); "
    "CREATE TABLE s (k BIGINT, d DOUBLE, a BIGINT, txt STRING); INSERT INTO s VALUES (1, 1.7, 5, '5'), (3, 2.5, 7, '7'); "
    "CREATE TABLE n (arr ARRAY<BIGINT>, st STRUCT<x: BIGINT, y: STRING>, m MAP<STRING, BIGINT>)"
)
ROWS = "SELECT k, a FROM t ORDER BY k"
BEFORE = [(1, 10), (2, 20)]
TRUNCATES = r"\[IDU_REFUSED\] {verb} of a DOUBLE value written into {where}, a BIGINT: Spark truncates"
RUNTIME_CAST = (
    r"\[IDU_REFUSED\] {verb} of a VARCHAR value written into t\.a, a BIGINT: Delta casts it at run time"
)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("writes") / "writes.duckdb"


@pytest.fixture
def engine(database: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DuckDBEngine]:
    database.unlink(missing_ok=True)
    monkeypatch.setenv("AIRFLOW_CONN_IDU_WRITES", json.dumps({"conn_type": "duckdb", "host": str(database)}))
    eng = DuckDBEngine("idu_writes")
    eng.run_script(SETUP, label="setup")
    yield eng
    eng.close()


REFUSED = [
    pytest.param(
        "INSERT INTO t BY NAME SELECT 1.7D AS a, 4 AS k",
        TRUNCATES.format(verb="INSERT", where=r"t\.a"),
        id="insert-by-name",
    ),
    pytest.param(
        "INSERT INTO t BY NAME SELECT 4 AS a, 1.7D AS k",
        TRUNCATES.format(verb="INSERT", where=r"t\.k"),
        id="insert-by-name-reordered",
    ),
    pytest.param("INSERT INTO t TABLE s", "CANNOT_SAFELY_CAST|IDU_REFUSED", id="insert-table-source"),
    pytest.param(
        "WITH q AS (SELECT 4 AS k, 1.7D AS a) INSERT INTO t SELECT k, a FROM q",
        TRUNCATES.format(verb="INSERT", where=r"t\.a"),
        id="insert-after-cte",
    ),
    pytest.param(
        "INSERT INTO t (a, k) VALUES (1.7D, 4)",
        TRUNCATES.format(verb="INSERT", where=r"t\.a"),
        id="insert-named-columns",
    ),
    pytest.param(
        "INSERT OVERWRITE t SELECT k, d FROM s",
        TRUNCATES.format(verb="INSERT", where=r"t\.a"),
        id="insert-overwrite",
    ),
    pytest.param(
        "UPDATE t SET a = 1.7D WHERE k = 1",
        TRUNCATES.format(verb="UPDATE", where=r"t\.a"),
        id="update-double",
    ),
    pytest.param(
        "UPDATE t AS x SET x.a = x.k * 1.5 WHERE x.k = 1",
        r"\[IDU_REFUSED\] UPDATE of a DECIMAL",
        id="update-decimal-aliased",
    ),
    pytest.param("UPDATE t SET a = '5'", RUNTIME_CAST.format(verb="UPDATE"), id="update-string"),
    pytest.param(
        "MERGE INTO t USING s ON t.k = s.k WHEN MATCHED THEN UPDATE SET t.a = s.d",
        TRUNCATES.format(verb="MERGE", where=r"t\.a"),
        id="merge-set",
    ),
    pytest.param(
        "MERGE INTO t USING s ON t.k = s.k WHEN MATCHED THEN UPDATE SET a = s.a "
        "WHEN NOT MATCHED THEN INSERT (k, a) VALUES (s.k, s.d)",
        TRUNCATES.format(verb="MERGE", where=r"t\.a"),
        id="merge-insert-values",
    ),
    pytest.param(
        "MERGE INTO t USING (SELECT k, d AS a FROM s) src ON t.k = src.k WHEN MATCHED THEN UPDATE SET * "
        "WHEN NOT MATCHED THEN INSERT *",
        TRUNCATES.format(verb="MERGE", where=r"t\.a"),
        id="merge-set-star-insert-star",
    ),
    pytest.param(
        "MERGE INTO t USING s ON t.k = s.k WHEN MATCHED AND s.a > 0 THEN UPDATE SET a = s.txt",
        RUNTIME_CAST.format(verb="MERGE"),
        id="merge-conditional-string",
    ),
    pytest.param(
        "WITH c AS (SELECT k, d FROM s) MERGE INTO t USING c ON t.k = c.k WHEN MATCHED THEN UPDATE SET t.a = c.d",
        TRUNCATES.format(verb="MERGE", where=r"t\.a"),
        id="merge-after-cte",
    ),
    pytest.param(
        "INSERT INTO t REPLACE WHERE k = 1 SELECT 1, 11",
        r"REPLACE WHERE has no DuckDB counterpart",
        id="insert-replace-where",
    ),
    pytest.param(
        "UPDATE t SET a = s.a FROM s WHERE t.k = s.k",
        r"Databricks SQL has no UPDATE \.\.\. FROM",
        id="update-from",
    ),
]


@pytest.mark.parametrize(("statement", "error"), REFUSED)
def test_a_write_duckdb_would_store_otherwise_is_refused(
    engine: DuckDBEngine, statement: str, error: str
) -> None:
    with pytest.raises(StatementError, match=error):
        engine.run_script(statement, label="write")
    assert engine.query(ROWS) == BEFORE


NESTED_REFUSED = [
    pytest.param(
        "array(1.7D), NULL, NULL",
        r"INSERT of a DOUBLE value written into n\.arr\.element, a BIGINT",
        id="array-element",
    ),
    pytest.param(
        "array('5'), NULL, NULL",
        r"(?s)CANNOT_SAFELY_CAST.*arr\.element.*VARCHAR to BIGINT",
        id="array-of-strings",
    ),
    pytest.param(
        "NULL, named_struct('y', 'a', 'x', 1), NULL",
        r"(?s)STRUCT.*by position, DuckDB by name\. Build the STRUCT",
        id="struct-field-order",
    ),
    pytest.param(
        "NULL, named_struct('x', 1, 'y', 2.5D), NULL",
        r"n\.st\.y, a VARCHAR: Spark writes 1\.0E20",
        id="struct-field",
    ),
    pytest.param(
        "NULL, named_struct('x', 1), NULL", r"(?s)CANNOT_SAFELY_CAST.*cast st.*STRUCT", id="struct-arity"
    ),
    pytest.param("NULL, NULL, map('k', 1.5D)", r"n\.m\.value, a BIGINT: Spark truncates", id="map-value"),
    pytest.param(
        "'[1]', NULL, NULL",
        r"(?s)CANNOT_SAFELY_CAST.*cast arr VARCHAR to.*BIGINT\[\]",
        id="string-into-array",
    ),
]


@pytest.mark.parametrize(("values", "error"), NESTED_REFUSED)
def test_nested_values_are_checked_field_by_field(engine: DuckDBEngine, values: str, error: str) -> None:
    with pytest.raises(StatementError, match=error):
        engine.run_script(f"INSERT INTO n SELECT {values}", label="write")
    assert engine.query("SELECT count(*) FROM n") == [(0,)]


APPLIED = [
    pytest.param("UPDATE t SET a = k * 2 WHERE k = 1", [(1, 2), (2, 20)], id="update-same-type"),
    pytest.param(
        "UPDATE t SET a = CAST(1.7D AS BIGINT) WHERE k = 1", [(1, 1), (2, 20)], id="update-cast-as-advised"
    ),
    pytest.param(
        "INSERT INTO t BY NAME SELECT 7 AS a, 3 AS k",
        [(1, 10), (2, 20), (3, 7)],
        id="insert-by-name-widening",
    ),
    pytest.param(
        "WITH q AS (SELECT 3 AS k, 30 AS a) INSERT INTO t SELECT k, a FROM q",
        [(1, 10), (2, 20), (3, 30)],
        id="insert-after-cte",
    ),
    pytest.param(
        "WITH c AS (SELECT k, a * 10 AS a FROM s) MERGE INTO t USING c ON t.k = c.k "
        "WHEN MATCHED THEN UPDATE SET t.a = c.a WHEN NOT MATCHED THEN INSERT (k, a) VALUES (c.k, c.a)",
        [(1, 50), (2, 20), (3, 70)],
        id="merge-after-cte",
    ),
    pytest.param(
        "MERGE INTO t AS x USING s ON x.k = s.k WHEN MATCHED AND s.a > 0 THEN UPDATE SET x.a = s.a + 1",
        [(1, 6), (2, 20)],
        id="merge-conditional-qualified-set",
    ),
    pytest.param(
        "WITH c AS (SELECT 2 AS k) MERGE INTO t USING c ON t.k = c.k WHEN MATCHED THEN DELETE",
        [(1, 10)],
        id="merge-delete-after-cte",
    ),
]


@pytest.mark.parametrize(("statement", "after"), APPLIED)
def test_writes_spark_stores_alike_run(
    engine: DuckDBEngine, statement: str, after: list[tuple[int, int]]
) -> None:
    engine.run_script(statement, label="write")
    assert engine.query(ROWS) == after


def test_nested_values_of_the_columns_types_are_written(engine: DuckDBEngine) -> None:
    engine.run_script(
        "INSERT INTO n SELECT array(1, 2), named_struct('X', 1, 'y', 'a'), map('k', 3); INSERT INTO n SELECT NULL, NULL, NULL",
        label="write",
    )
    assert engine.query("SELECT arr, st, m FROM n ORDER BY arr NULLS LAST") == [
        ([1, 2], {"x": 1, "y": "a"}, {"k": 3}),
        (None, None, None),
    ]


def test_several_matches_are_checked_after_a_cte(engine: DuckDBEngine) -> None:
    with pytest.raises(StatementError, match="DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE"):
        engine.run_script(
            "WITH c AS (SELECT 1 AS k UNION ALL SELECT 1) MERGE INTO t USING c ON t.k = c.k "
            "WHEN MATCHED THEN UPDATE SET a = 0",
            label="write",
        )
    assert engine.query(ROWS) == BEFORE
