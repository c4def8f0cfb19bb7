"""QUALIFY naming a window function's alias on the embedded engine (spark_compat/qualify_aliases.py):
Spark reads the alias before a source column the select list does not read, and fails where the
name is both; DuckDB read the source column, or refused the alias of our guarded windows ("expression
has side effects"). Spark's values for these forms: tests/fidelity/catalogue.py (qualify-*)."""

from __future__ import annotations

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

# k is a source column that the window aliases below shadow
ROWS = "(SELECT * FROM VALUES (1, 'a', 5), (2, 'a', 1), (3, 'b', 7), (4, 'b', 1) AS v(id, g, k))"


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    *setup, last = translate_statement(sql).statements
    for statement in setup:
        con.execute(statement)
    return sorted(con.execute(last).fetchall(), key=repr)


KEPT = [
    pytest.param(
        f"SELECT g, id, row_number() OVER (PARTITION BY g ORDER BY id DESC) AS rn FROM {ROWS} QUALIFY rn = 1",
        [("a", 2, 1), ("b", 4, 1)],
        id="dedup",
    ),
    # the source's k is not read by the select list: the alias wins (DuckDB read k, keeping ids 2 and 4)
    pytest.param(
        f"SELECT g, id, row_number() OVER (PARTITION BY g ORDER BY id) AS k FROM {ROWS} QUALIFY k = 1",
        [("a", 1, 1), ("b", 3, 1)],
        id="shadowing-an-unread-column",
    ),
    pytest.param(
        f"SELECT g, id, rank() OVER (PARTITION BY g ORDER BY id) + 10 AS k FROM {ROWS} QUALIFY k + 0 = 12",
        [("a", 2, 12), ("b", 4, 12)],
        id="window-expression-inside-an-expression",
    ),
    pytest.param(
        f"SELECT g, rank() OVER (ORDER BY g DESC) AS k FROM {ROWS} GROUP BY g QUALIFY k = 1",
        [("b", 1)],
        id="over-an-aggregate",
    ),
    # a literal alias is no window's: DuckDB reads the source column first, as Spark does
    pytest.param(
        f"SELECT id, 1 AS k FROM {ROWS} QUALIFY k = 1 AND row_number() OVER (ORDER BY id) > 0",
        [(2, 1), (4, 1)],
        id="plain-alias-reads-the-column",
    ),
    # WHERE reads the source column, QUALIFY the alias
    pytest.param(
        f"SELECT g, row_number() OVER (PARTITION BY g ORDER BY id) AS k FROM {ROWS} WHERE k > 1 QUALIFY k = 1",
        [("a", 1), ("b", 1)],
        id="where-reads-the-column",
    ),
]


@pytest.mark.parametrize(("sql", "rows"), KEPT)
def test_qualify_reads_a_window_alias_as_spark(
    con: duckdb.DuckDBPyConnection, sql: str, rows: list[tuple[object, ...]]
) -> None:
    assert _rows(con, sql) == sorted(rows, key=repr)


REFUSED = [
    pytest.param(
        "SELECT g, row_number() OVER (PARTITION BY g ORDER BY id) AS id FROM t QUALIFY id = 1",
        "both a window function's alias and a column the select list reads",
        id="ambiguous",
    ),
    pytest.param(
        "SELECT *, row_number() OVER (PARTITION BY g ORDER BY id) AS rn FROM t QUALIFY rn = 1",
        "beside \\*",
        id="beside-star",
    ),
    pytest.param(
        "SELECT t.*, row_number() OVER (PARTITION BY g ORDER BY id) AS rn FROM t QUALIFY rn = 1",
        "beside \\*",
        id="beside-qualified-star",
    ),
]


@pytest.mark.parametrize(("sql", "reason"), REFUSED)
def test_a_window_alias_spark_may_find_ambiguous_is_refused(sql: str, reason: str) -> None:
    with pytest.raises(TranslationError, match=reason):
        translate_statement(sql)


def test_the_window_is_written_in_place_in_its_own_scope_only() -> None:
    """A subquery's own QUALIFY is its own; the outer one is left to the outer select's aliases."""
    out = translate_statement(
        "SELECT * FROM (SELECT g, row_number() OVER (PARTITION BY g ORDER BY id) AS rn FROM t QUALIFY rn = 1) s"
    ).statements[-1]
    assert "QUALIFY (CAST(" in out and "QUALIFY rn" not in out
