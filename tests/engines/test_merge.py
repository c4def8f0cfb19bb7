"""MERGE INTO on the embedded engine (engines/duckdb/merge.py): Delta's rule for a target row that
several source rows match, and the contract's form run as a delete and insert with the rows an
update gives. Spark's values for the accepted forms: tests/fidelity/catalogue.py (merge-*)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from airflow_idu.engines.base import StatementError
from airflow_idu.engines.duckdb.engine import DuckDBEngine
from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.merge import MULTIPLE_MATCHES_CLASS
from airflow_idu.engines.duckdb.translate import translate_statement

TARGET = (
    "CREATE TABLE t (k STRING, v BIGINT, d DECIMAL(10,2), a ARRAY<BIGINT>, b BINARY); "
    "INSERT INTO t VALUES ('a', 1, 1.25, array(1, 2), X'01'), ('b', 2, 2.50, array(3), X'02'), "
    "('b', 2, 2.50, array(3), X'02'), (NULL, 9, 0, NULL, NULL)"
)
ROWS = "SELECT k, v, d, a, hex(b) FROM t"


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DuckDBEngine]:
    db = tmp_path / "merge.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_IDU_MERGE", json.dumps({"conn_type": "duckdb", "host": str(db)}))
    eng = DuckDBEngine("idu_merge")
    eng.run_script(TARGET, label="setup")
    yield eng
    eng.close()


def _rows(engine: DuckDBEngine, sql: str = ROWS) -> list[tuple[object, ...]]:
    return sorted(engine.query(sql), key=repr)


# (id, MERGE, the affected rows it reports, the table's rows after it)
APPLIED = [
    (
        "update-and-insert",
        "MERGE INTO t USING (SELECT 'b' AS k, 20 AS v UNION ALL SELECT 'c', 30 UNION ALL SELECT NULL, 40) s "
        "ON t.k = s.k WHEN MATCHED THEN UPDATE SET v = s.v, d = t.d * 2, a = array_union(t.a, array(s.v)) "
        "WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v)",
        4,  # both 'b' rows updated, 'c' and the NULL key inserted (a NULL key matches nothing)
        [
            ("a", 1, "1.25", [1, 2], "01"),
            ("b", 20, "5.00", [3, 20], "02"),
            ("b", 20, "5.00", [3, 20], "02"),
            ("c", 30, None, None, None),
            (None, 40, None, None, None),
            (None, 9, "0.00", None, None),
        ],
    ),
    (
        "update-through-aliases",
        "MERGE INTO t AS x USING (SELECT 'a' AS k, X'FF' AS b) AS s ON x.k = s.k "
        "WHEN MATCHED THEN UPDATE SET x.v = x.v + 100, x.b = s.b",
        1,
        [
            ("a", 101, "1.25", [1, 2], "FF"),
            ("b", 2, "2.50", [3], "02"),
            ("b", 2, "2.50", [3], "02"),
            (None, 9, "0.00", None, None),
        ],
    ),
    (
        "source-reads-the-target",
        "MERGE INTO t USING (SELECT k, max(v) + 1 AS v FROM t WHERE k IS NOT NULL GROUP BY k "
        "UNION ALL SELECT 'z', 0) s ON t.k = s.k WHEN MATCHED THEN UPDATE SET v = s.v "
        "WHEN NOT MATCHED THEN INSERT (k, v, d) VALUES (s.k, s.v, 0.5)",
        4,
        [
            ("a", 2, "1.25", [1, 2], "01"),
            ("b", 3, "2.50", [3], "02"),
            ("b", 3, "2.50", [3], "02"),
            ("z", 0, "0.50", None, None),
            (None, 9, "0.00", None, None),
        ],
    ),
    (
        "stored-source-table",
        "MERGE INTO t USING src s ON t.k = s.k WHEN MATCHED THEN UPDATE SET v = s.v",
        2,
        [
            ("a", 1, "1.25", [1, 2], "01"),
            ("b", 7, "2.50", [3], "02"),
            ("b", 7, "2.50", [3], "02"),
            (None, 9, "0.00", None, None),
        ],
    ),
    (
        "stored-source-without-an-alias",  # columns named by the table: the source is not copied
        "MERGE INTO t USING src ON t.k = src.k WHEN MATCHED THEN UPDATE SET v = src.v "
        "WHEN NOT MATCHED THEN INSERT (k, v) VALUES (src.k, src.v)",
        2,
        [
            ("a", 1, "1.25", [1, 2], "01"),
            ("b", 7, "2.50", [3], "02"),
            ("b", 7, "2.50", [3], "02"),
            (None, 9, "0.00", None, None),
        ],
    ),
    (
        "on-a-column-the-update-sets",  # matched and unmatched rows decided on the rows before it
        "MERGE INTO t AS x USING (SELECT 1 AS v, 'new' AS k UNION ALL SELECT 101, 'n101' UNION ALL "
        "SELECT 101, 'n101') s ON x.v = s.v WHEN MATCHED THEN UPDATE SET v = s.v + 100, k = s.k "
        "WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v)",
        3,  # 'a' updated to v = 101; both source rows of v = 101 inserted (no target row had 101)
        [
            ("new", 101, "1.25", [1, 2], "01"),
            ("b", 2, "2.50", [3], "02"),
            ("b", 2, "2.50", [3], "02"),
            ("n101", 101, None, None, None),
            ("n101", 101, None, None, None),
            (None, 9, "0.00", None, None),
        ],
    ),
    (
        "delete-with-several-matches",  # Delta allows it: the row is deleted once
        "MERGE INTO t USING (SELECT 'b' AS k UNION ALL SELECT 'b') s ON t.k = s.k WHEN MATCHED THEN DELETE",
        2,
        [("a", 1, "1.25", [1, 2], "01"), (None, 9, "0.00", None, None)],
    ),
    (
        "insert-only-with-repeated-keys",  # no matched clause: Delta inserts both
        "MERGE INTO t USING (SELECT 'q' AS k UNION ALL SELECT 'q') s ON t.k = s.k "
        "WHEN NOT MATCHED THEN INSERT (k) VALUES (s.k)",
        2,
        [
            ("a", 1, "1.25", [1, 2], "01"),
            ("b", 2, "2.50", [3], "02"),
            ("b", 2, "2.50", [3], "02"),
            ("q", None, None, None, None),
            ("q", None, None, None, None),
            (None, 9, "0.00", None, None),
        ],
    ),
]


@pytest.mark.parametrize(
    ("merge", "affected", "after"), [c[1:] for c in APPLIED], ids=[c[0] for c in APPLIED]
)
def test_merge_gives_deltas_rows(engine: DuckDBEngine, merge: str, affected: int, after: list[tuple]) -> None:
    engine.run_script("CREATE TABLE src AS SELECT 'b' AS k, 7 AS v", label="source")
    (stats,) = engine.run_script(merge, label="merge")
    assert stats.rows == affected
    got = [(k, v, None if d is None else f"{d:.2f}", a, h or None) for k, v, d, a, h in _rows(engine)]
    assert got == sorted(after, key=repr)


# (id, MERGE in which one target row meets two source rows)
REFUSED = [
    (
        "update",
        "MERGE INTO t USING (SELECT 'a' AS k, 1 AS v UNION ALL SELECT 'a', 2) s ON t.k = s.k "
        "WHEN MATCHED THEN UPDATE SET v = s.v",
    ),
    (
        "update-and-insert",
        "MERGE INTO t USING (SELECT 'a' AS k, 1 AS v UNION ALL SELECT 'a', 2 UNION ALL "
        "SELECT 'n', 3) s ON t.k = s.k WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (k, v) "
        "VALUES (s.k, s.v)",
    ),
    # Delta counts the ON condition's matches, whatever the clause's own condition
    (
        "conditional-update",
        "MERGE INTO t USING (SELECT 'a' AS k, 1 AS v UNION ALL SELECT 'a', 2) s ON t.k = s.k "
        "WHEN MATCHED AND s.v = 1 THEN UPDATE SET v = s.v",
    ),
    (
        "conditional-delete",
        "MERGE INTO t USING (SELECT 'a' AS k UNION ALL SELECT 'a') s ON t.k = s.k "
        "WHEN MATCHED AND t.v > 0 THEN DELETE",
    ),
    (
        "not-matched-by-source",
        "MERGE INTO t USING (SELECT 'a' AS k UNION ALL SELECT 'a') s ON t.k = s.k "
        "WHEN NOT MATCHED BY SOURCE THEN DELETE",
    ),
]


@pytest.mark.parametrize("merge", [c[1] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_several_matches_of_a_target_row_fail_as_on_delta(engine: DuckDBEngine, merge: str) -> None:
    before = _rows(engine)
    with pytest.raises(StatementError, match=MULTIPLE_MATCHES_CLASS):
        engine.run_script(merge, label="merge")
    assert _rows(engine) == before  # nothing written, and the connection runs the next statement


def test_a_column_named_rowid_is_refused(engine: DuckDBEngine) -> None:
    """DuckDB's row identity would be the column: refused, not a silent wrong delete."""
    engine.run_script("CREATE TABLE r (rowid BIGINT, k STRING); INSERT INTO r VALUES (5, 'x')", label="r")
    with pytest.raises(
        StatementError, match=r"IDU_REFUSED\] MERGE INTO r: the table has a column named rowid"
    ):
        engine.run_script(
            "MERGE INTO r USING (SELECT 'x' AS k) s ON r.k = s.k WHEN MATCHED THEN UPDATE SET rowid = 6",
            label="m",
        )
    assert engine.query("SELECT rowid, k FROM r") == [(5, "x")]


@pytest.mark.parametrize(
    ("using", "passes"),
    [("src AS s", 1), ("(SELECT * FROM src) AS s", 1), ("src", 2)],
    ids=["stored-table-with-alias", "subquery", "stored-table-without-alias"],
)
def test_an_update_and_insert_reads_the_target_once_when_the_source_has_an_alias(
    using: str, passes: int
) -> None:
    """The rows to insert are the source rows the update's join did not meet (numbered copy of the
    source), not a second anti-join over the whole target: the commit's merge into the stored links
    scanned 8.9M rows twice at 12M records. Without an alias the source is read as it is (a column
    may be qualified by its table's name) and the target twice, as before."""
    ref = "s" if "AS s" in using else "src"
    merge = (
        f"MERGE INTO t USING {using} ON t.k = {ref}.k WHEN MATCHED THEN UPDATE SET v = {ref}.v "
        f"WHEN NOT MATCHED THEN INSERT (k, v) VALUES ({ref}.k, {ref}.v)"
    )
    statements = translate_statement(merge).statements
    reads = [s for s in statements if s.startswith("CREATE") and (" FROM t " in s or " FROM t\n" in s)]
    assert len(reads) == passes, reads


def test_delete_and_insert_give_the_rows_duckdbs_update_gives(tmp_path: Path) -> None:
    """The contract's form against DuckDB's own MERGE, on columns of every kind the files write."""
    merge = (
        "MERGE INTO g USING (SELECT id, id % 3 AS ns, 'L' || id AS leader, array(id, id + 1) AS ids, "
        "CAST(id AS DECIMAL(20,4)) * 0.5 AS share, named_struct('x', id) AS st FROM range(0, 3000, 7) AS r(id)) c "
        "ON g.id = c.id AND g.ns = c.ns WHEN MATCHED THEN UPDATE SET leader = c.leader, ids = c.ids, share = c.share, "
        "st = c.st WHEN NOT MATCHED THEN INSERT (id, ns, leader, ids, share, st) VALUES (c.id, c.ns, c.leader, c.ids, "
        "c.share, c.st)"
    )
    setup = (
        "CREATE TABLE g AS SELECT id, id % 3 AS ns, 'F' || id AS leader, array(id) AS ids, "
        "CAST(id AS DECIMAL(20,4)) AS share, named_struct('x', -id) AS st FROM range(0, 2000) AS r(id)"
    )
    results = []
    for fast in (True, False):
        con = duckdb.connect(str(tmp_path / f"g{fast}.duckdb"))
        install_macros(con)
        for s in translate_statement(setup).statements:
            con.execute(s)
        statements = translate_statement(merge).statements if fast else (_native(merge),)
        for s in statements:
            con.execute(s)
        results.append(con.execute("SELECT * FROM g ORDER BY id, ns").fetchall())
        con.close()
    assert len(results[0]) == 2000 + len([i for i in range(0, 3000, 7) if i >= 2000])
    assert results[0] == results[1]


def _native(merge: str) -> str:
    """DuckDB's own MERGE for the same translated statement."""
    import sqlglot

    from airflow_idu.engines.duckdb.spark_compat import apply_rewrites

    tree = apply_rewrites(sqlglot.parse_one(merge, read="databricks"))
    return tree.sql(dialect="duckdb")
