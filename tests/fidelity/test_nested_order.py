"""Ordering arrays and structs on local Spark and on the embedded engine (spark_compat/nested_order.py).

Without a NULL inside (empty arrays, two levels, top-level NULLs, the published loop's
``MIN(STRUCT) OVER`` and struct ``>``) every ordering gives Spark's rows; with a NULL element or field,
where Spark orders it first and DuckDB last, each ordering is refused when run; equality (``=``, IN,
DISTINCT, GROUP BY), where both treat NULLs inside alike, runs and gives Spark's rows."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import translate_statement

pytestmark = pytest.mark.spark

# (id, array, array of arrays, struct with a struct of an array); no NULL inside
_CLEAN = (
    "(SELECT * FROM VALUES "
    "(1, array(1), array(array(2, 3)), named_struct('x', 1, 'y', named_struct('z', array(1)))), "
    "(2, array(), array(array(2), array()), named_struct('x', 1, 'y', named_struct('z', array()))), "
    "(3, array(0, 5), array(), named_struct('x', 0, 'y', named_struct('z', array(9, 9)))), "
    "(4, NULL, NULL, NULL), "
    "(5, array(0, 5, 1), array(array(2, 3), array(1)), named_struct('x', 1, 'y', named_struct('z', array(1, 0)))) "
    "AS t(id, a, aa, s))"
)
# the same shapes with a NULL element or field inside, at each level
_NULLS = (
    "(SELECT * FROM VALUES "
    "(1, array(1), array(array(1)), named_struct('x', 1, 'y', named_struct('z', array(1)))), "
    "(2, array(CAST(NULL AS INT)), array(array(CAST(NULL AS INT))), "
    "named_struct('x', CAST(NULL AS INT), 'y', named_struct('z', array(CAST(NULL AS INT))))), "
    "(3, array(NULL, 1), array(array(0, NULL)), named_struct('x', 1, 'y', named_struct('z', array(NULL, 2)))) "
    "AS t(id, a, aa, s))"
)
ORDERINGS = [
    ("order-by", "SELECT id FROM {t} ORDER BY a, id"),
    ("order-by-desc", "SELECT id FROM {t} ORDER BY aa DESC, id"),
    ("order-by-struct-nulls-last", "SELECT id FROM {t} ORDER BY s ASC NULLS LAST, id"),
    ("less-than", "SELECT l.id, r.id, l.a < r.a, l.s >= r.s, l.aa > r.aa FROM {t} l CROSS JOIN {t} r ORDER BY 1, 2"),
    ("min-max", "SELECT min(a), max(a), min(aa), max(s) FROM {t}"),
    ("greatest-least", "SELECT id, greatest(a, array(1)), least(s, s) FROM {t} ORDER BY id"),
    ("window-order", "SELECT id, row_number() OVER (ORDER BY s, id), rank() OVER (ORDER BY a) FROM {t} ORDER BY id"),
    ("max_by", "SELECT max_by(id, a), min_by(id, aa) FROM {t}"),
    ("array_max", "SELECT id, array_max(aa), array_min(aa) FROM {t} ORDER BY id"),
]  # fmt: skip
# the orderings above compared with Spark in three queries (a Spark query costs seconds)
COMPARED = [
    ("per-row", "SELECT id, row_number() OVER (ORDER BY s, id), rank() OVER (ORDER BY a), row_number() OVER "
     "(ORDER BY aa DESC, id), greatest(a, array(1)), least(s, s), array_max(aa), array_min(aa) FROM {t} "
     "ORDER BY s ASC NULLS LAST, a DESC, id"),
    ("pairs", "SELECT l.id, r.id, l.a < r.a, l.s >= r.s, l.aa > r.aa, l.a BETWEEN r.a AND array(9), l.a = r.a, "
     "l.s = r.s, l.aa <=> r.aa FROM {t} l CROSS JOIN {t} r ORDER BY 1, 2"),
    ("aggregates", "SELECT min(a), max(a), min(aa), max(s), max_by(id, a), min_by(id, aa), count(DISTINCT a) FROM {t}"),
]  # fmt: skip
EQUALITIES = [
    ("equal-in", "SELECT l.id, r.id, l.a = r.a, l.s = r.s, l.aa <=> r.aa, l.a IN (array(NULL, 1), r.a) FROM {t} l "
     "CROSS JOIN {t} r ORDER BY 1, 2"),
    ("distinct-group", "SELECT count(DISTINCT a), count(*) FROM (SELECT a FROM {t} UNION ALL SELECT a FROM {t}) "
     "GROUP BY a ORDER BY 2"),
]  # fmt: skip
# the published generator's loop: MIN(STRUCT) OVER and struct '>' with fields never NULL
LOOP = (
    "SELECT older.p, older.id, newer.p, newer.id FROM (SELECT ldr AS older, MIN(ldr) OVER (PARTITION BY f) AS newer "
    "FROM (SELECT f, STRUCT(CASE ns WHEN 1 THEN 1 ELSE ns END AS p, leader AS id) AS ldr FROM VALUES "
    "('a', 2, 'x'), ('a', 1, 'y'), ('b', 3, 'z'), ('b', 3, 'w'), ('c', 1, 'v') AS t(f, ns, leader))) "
    "WHERE older > newer ORDER BY 1, 2"
)

# the published generator's master attributes: max of a CASE-built struct (NULL where no value), and a
# struct with an array field; the fields are tested by position (spark_compat/nested_shape.py)
MASTER = (
    "SELECT g, max(CASE WHEN v IS NOT NULL THEN named_struct('o', o, 'v', v) END).v, min(s).y, max(s > s2) "
    "FROM (SELECT g, o, v, struct(o AS x, array(o, 1) AS y) AS s, struct(1 AS x, array(o) AS y) AS s2 FROM VALUES "
    "(1, 3, 'a'), (1, 5, NULL), (1, 4, 'b'), (2, 1, NULL) AS t(g, o, v)) GROUP BY g ORDER BY g"
)

# structs compared field by field in order: names that differ only in case, fields that widen
STRUCT_COMPARISONS = (
    "SELECT s1 = s2, s1 < s2, s1 <=> s2, s1 > s3, s3 = s3 FROM (SELECT named_struct('a', 1, 'b', 'x') AS s1, "
    "named_struct('A', 1, 'B', 'y') AS s2, named_struct('a', 0L, 'b', 'z') AS s3)"
)


def _run(engine: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in engine.execute(translate_statement(sql).statements[-1]).fetchall()]


def _spark(spark: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(_plain(v) for v in r) for r in spark.sql(sql).collect()]


def _plain(value: Any) -> Any:
    """A Spark Row (a struct) as DuckDB's dict, inside lists too."""
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize("sql", [c[1] for c in COMPARED], ids=[c[0] for c in COMPARED])
def test_without_nulls_inside_matches_spark(spark: Any, engine: duckdb.DuckDBPyConnection, sql: str) -> None:
    query = sql.format(t=_CLEAN)
    assert _run(engine, query) == _spark(spark, query)


@pytest.mark.parametrize("sql", [o[1] for o in ORDERINGS], ids=[o[0] for o in ORDERINGS])
def test_null_inside_is_refused(engine: duckdb.DuckDBPyConnection, sql: str) -> None:
    with pytest.raises(duckdb.Error, match=r"\[IDU_REFUSED\] .*NULL element or field"):
        _run(engine, sql.format(t=_NULLS))


@pytest.mark.parametrize("sql", [e[1] for e in EQUALITIES], ids=[e[0] for e in EQUALITIES])
def test_equality_with_nulls_inside_matches_spark(
    spark: Any, engine: duckdb.DuckDBPyConnection, sql: str
) -> None:
    query = sql.format(t=_NULLS)
    assert _run(engine, query) == _spark(spark, query)


def test_published_loop_matches_spark(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    expected = _spark(spark, LOOP)
    assert _run(engine, LOOP) == expected and len(expected) == 2


def test_published_master_matches_spark(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    expected = _spark(spark, MASTER)
    assert "STRUCT_EXTRACT_AT(" in translate_statement(MASTER).statements[-1]
    assert _run(engine, MASTER) == expected and len(expected) == 2


def test_struct_comparisons_match_spark(spark: Any, engine: duckdb.DuckDBPyConnection) -> None:
    assert _run(engine, STRUCT_COMPARISONS) == _spark(spark, STRUCT_COMPARISONS)
