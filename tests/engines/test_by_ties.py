"""max_by / min_by (spark_compat/by_ties.py): which forms run unguarded, which get the guard that
refuses when run where rows tie on the extreme ordering value but differ in the value, which are
refused before they run; and their values and verdicts on DuckDB with Spark's NULL semantics. No
Spark: fast (tests/fidelity/test_by_ties.py compares with Spark)."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

# tied rows cannot differ in the value returned: no guard
UNGUARDED = [
    ("value-is-key", "SELECT g, max_by(k, k) FROM t GROUP BY g"),
    ("value-grouped", "SELECT g, max_by(g, k) FROM t GROUP BY g"),
    ("value-grouped-qualified", "SELECT t.g, min_by(g, k) FROM t GROUP BY t.g"),
    ("struct-tie-breaker", "SELECT g, max_by(v, struct(k, v)) FROM t GROUP BY g"),
    ("named-struct-tie-breaker", "SELECT g, min_by(v, named_struct('a', k, 'b', t.v)) FROM t GROUP BY g"),
    ("nested-struct-tie-breaker", "SELECT max_by(v, struct(k, struct(n, v))) FROM t"),
    ("window-partitioned-by-value", "SELECT max_by(v, k) OVER (PARTITION BY v) FROM t"),
]  # fmt: skip

# tied rows may differ in the value: guarded when run
GUARDED = [
    ("max_by", "SELECT g, max_by(v, k) FROM t GROUP BY g"),
    ("min_by", "SELECT g, min_by(v, k) FROM t GROUP BY g"),
    ("no-group", "SELECT max_by(v, k) FROM t"),
    ("distinct", "SELECT g, max_by(DISTINCT v, k) FROM t GROUP BY g"),
    ("struct-without-value", "SELECT g, max_by(v, struct(k, n)) FROM t GROUP BY g"),
    ("expression-of-group-key", "SELECT g, max_by(upper(g), k) FROM t GROUP BY g"),
    ("rollup", "SELECT g, max_by(g, k) FROM t GROUP BY ROLLUP (g)"),
    ("window-ordered", "SELECT max_by(v, k) OVER (PARTITION BY g ORDER BY k) FROM t"),
    ("window-grouped-value", "SELECT g, max_by(g, max(k)) OVER () FROM t GROUP BY g"),
]  # fmt: skip

REFUSED = [
    ("max_by-count", "SELECT g, max_by(v, k, 2) FROM t GROUP BY g", r"max_by \(line 1 .* with a count"),
    ("min_by-count", "SELECT min_by(v, k, 1) FROM t", r"min_by \(line 1 .* with a count"),
]


def _sql(sql: str) -> str:
    return translate_statement(sql).statements[-1]


@pytest.mark.parametrize("sql", [s for _, s in UNGUARDED], ids=[i for i, _ in UNGUARDED])
def test_unguarded(sql: str) -> None:
    out = _sql(sql)
    assert "over rows that tie" not in out and "ARG_M" in out and "_NULL(" in out


@pytest.mark.parametrize("sql", [s for _, s in GUARDED], ids=[i for i, _ in GUARDED])
def test_guarded(sql: str) -> None:
    out = _sql(sql)
    assert "over rows that tie on the ordering value" in out and "add a unique tie-breaker" in out


@pytest.mark.parametrize(("sql", "reason"), [(s, r) for _, s, r in REFUSED], ids=[i for i, _, _ in REFUSED])
def test_refused(sql: str, reason: str) -> None:
    with pytest.raises(TranslationError, match=reason):
        translate_statement(sql)


Row = tuple[Any, ...]


def _run(con: duckdb.DuckDBPyConnection, rows: list[Row], sql: str) -> list[Row]:
    con.execute("CREATE OR REPLACE TABLE t (g VARCHAR, k INTEGER, v VARCHAR, n INTEGER)")
    if rows:
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    return sorted(con.execute(_sql(sql)).fetchall(), key=repr)


_BOTH = "SELECT g, max_by(v, k), min_by(v, k) FROM t GROUP BY g"
_MAX = "SELECT g, max_by(v, k) FROM t GROUP BY g"
_WINDOW = "SELECT g, k, max_by(v, k) OVER (PARTITION BY g ORDER BY k) FROM t"
# (id, rows (g, k, v, n), query, expected rows or None: refused when run)
VERDICTS: list[tuple[str, list[Row], str, list[Row] | None]] = [
    # Spark: a NULL v at the extreme is the answer, rows with a NULL k are skipped, no k: NULL
    ("unique-with-nulls", [("a", 1, "x", 0), ("a", 2, None, 0), ("a", None, "z", 0), ("b", None, "p", 0)],
     _BOTH, [("a", None, "x"), ("b", None, None)]),
    ("empty-input", [], "SELECT max_by(v, k), min_by(v, k) FROM t", [(None, None)]),
    ("identical-ties", [("a", 2, "x", 0), ("a", 2, "x", 1), ("a", 0, "w", 0), ("a", 0, "w", 2), ("c", 5, None, 0),
     ("c", 5, None, 1)], _BOTH, [("a", "x", "w"), ("c", None, None)]),
    ("tie-below-the-extreme", [("a", 1, "x", 0), ("a", 1, "y", 0), ("a", 2, "z", 0)], _MAX, [("a", "z")]),
    ("differing-tie", [("a", 2, "x", 0), ("a", 2, "y", 0), ("b", 1, "p", 0)], _MAX, None),
    ("differing-tie-min", [("a", 1, "x", 0), ("a", 1, "y", 0), ("a", 2, "z", 0)],
     "SELECT g, min_by(v, k) FROM t GROUP BY g", None),
    ("null-against-value", [("a", 2, None, 0), ("a", 2, "x", 0)], _MAX, None),
    ("value-against-null-min", [("a", 2, "x", 0), ("a", 2, None, 0)], "SELECT min_by(v, k) FROM t", None),
    ("struct-tie-breaker", [("a", 2, "x", 0), ("a", 2, "y", 0), ("a", 2, None, 0)],
     "SELECT max_by(v, struct(k, v)), min_by(v, struct(k, v)) FROM t", [("y", None)]),
    # Spark orders a struct's NULL field first; DuckDB's struct comparison last
    ("struct-null-field", [("a", 1, "x", None), ("a", 1, "y", 0)],
     "SELECT max_by(v, struct(k, n)), min_by(v, struct(k, n)) FROM t", [("y", "x")]),
    ("window-unique", [("a", 1, "x", 0), ("a", 2, None, 0), ("b", 1, "p", 0)], _WINDOW,
     [("a", 1, "x"), ("a", 2, None), ("b", 1, "p")]),
    ("window-identical-peers", [("a", 1, "x", 0), ("a", 1, "x", 1)], _WINDOW, [("a", 1, "x"), ("a", 1, "x")]),
    ("window-differing-peers", [("a", 1, "x", 0), ("a", 1, "y", 1)], _WINDOW, None),
]  # fmt: skip


@pytest.mark.parametrize(("rows", "sql", "expected"), [v[1:] for v in VERDICTS], ids=[v[0] for v in VERDICTS])
def test_verdicts_on_duckdb(
    con: duckdb.DuckDBPyConnection, rows: list[Row], sql: str, expected: list[Row] | None
) -> None:
    if expected is None:
        with pytest.raises(duckdb.Error, match=r"\[IDU_REFUSED\] m(ax|in)_by\(v, k\) over rows that tie"):
            _run(con, rows, sql)
    else:
        assert _run(con, rows, sql) == sorted(expected, key=repr)


_ARRAY_KEY = "SELECT max_by(v, array(k, n)), min_by(v, array(k, n)) FROM t"


def test_array_ordering_value_without_nulls_inside(con: duckdb.DuckDBPyConnection) -> None:
    assert _run(con, [("a", 1, "x", 2), ("a", 1, "y", 0), ("a", 0, "z", 9)], _ARRAY_KEY) == [("x", "z")]


def test_ordering_value_with_a_null_inside_is_refused_when_run(con: duckdb.DuckDBPyConnection) -> None:
    # Spark orders [1, NULL] below [1, 0]; DuckDB's sort keys above
    with pytest.raises(
        duckdb.Error, match=r"\[IDU_REFUSED\] max_by\(v, ARRAY\(k, n\)\): an ordering value with a NULL"
    ):
        _run(con, [("a", 1, "x", None), ("a", 1, "y", 0)], _ARRAY_KEY)
