"""Window functions over rows that tie on their ORDER BY (spark_compat/window_ties.py): which forms run
as they are, which get a guard that refuses when run where peers differ, which are refused before they
run; and the guards' verdicts on DuckDB. No Spark: fast (tests/fidelity/test_window_ties.py compares
with Spark)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement
from airflow_idu.generate.config import load_unify_config
from airflow_idu.generate.sql import LoopAlgorithm, generate_sql_directory
from airflow_idu.plan import split_statements

EXAMPLE_YML = Path(__file__).resolve().parents[2] / "examples" / "customer_unification" / "unify.yml"

_MASTER = (
    "WITH a_ranked AS (SELECT canonical_id, value, ROW_NUMBER() OVER (PARTITION BY canonical_id "
    "ORDER BY priority, latest_key DESC NULLS LAST, earliest_key ASC NULLS LAST, value) AS rn FROM (SELECT "
    "id AS canonical_id, v AS value, 1 AS priority, k AS latest_key, NULL AS earliest_key FROM t)) "
    "SELECT canonical_id, value FROM a_ranked WHERE rn = 1"
)
_RANKED = (
    "SELECT follower_id, follower_ns, leader_id, leader_ns, FIRST_VALUE(leader_id) OVER (PARTITION BY "
    "follower_id, follower_ns ORDER BY leader_ns, leader_id) AS min_id FROM jumped"
)
_NEIGHBOUR = (
    "SELECT node_id, node_ns, nbr_id AS min_id FROM (SELECT node_id, node_ns, nbr_id, nbr_ns, ROW_NUMBER() "
    "OVER (PARTITION BY node_id, node_ns ORDER BY nbr_ns, nbr_id) AS rn FROM links) WHERE rn = 1"
)
_NODES = (
    "SELECT ROW_NUMBER() OVER (ORDER BY node_ns, node_id) AS node, node_id, node_ns, MIN(a) AS a, "
    "collect_list(b) AS b FROM r GROUP BY node_id, node_ns"
)

# peers get the same value, or nothing the SELECT exposes tells peers apart: translated as before
UNGUARDED = [
    ("rank", "SELECT g, v, rank() OVER (PARTITION BY g ORDER BY k) FROM t"),
    ("dense_rank", "SELECT g, v, dense_rank() OVER (PARTITION BY g ORDER BY k DESC) FROM t"),
    ("percent_rank", "SELECT v, percent_rank() OVER (ORDER BY k) FROM t"),
    ("cume_dist", "SELECT v, cume_dist() OVER (PARTITION BY g ORDER BY k) FROM t"),
    ("sum-range-default", "SELECT v, sum(n) OVER (PARTITION BY g ORDER BY k) FROM t"),
    ("sum-range-explicit", "SELECT v, sum(n) OVER (ORDER BY k RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t"),
    ("count-partition", "SELECT v, count(*) OVER (PARTITION BY g) FROM t"),
    ("max-rows-whole", "SELECT v, max(n) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM t"),
    ("row_number-keys-only", "SELECT g, k, row_number() OVER (PARTITION BY g ORDER BY k) AS rn FROM t"),
    ("lag-of-a-key", "SELECT t.g, k, lag(k) OVER (PARTITION BY g ORDER BY t.k) FROM t"),
    ("qualify-keys-only", "SELECT g, k FROM t QUALIFY row_number() OVER (PARTITION BY g ORDER BY k DESC) = 1"),
    ("qualify-alias", "SELECT g, k, row_number() OVER (PARTITION BY g ORDER BY k) AS rn FROM t QUALIFY rn = 1"),
    ("grouped-unique", "SELECT g, k, max(v), row_number() OVER (PARTITION BY g ORDER BY k) FROM t GROUP BY g, k"),
    ("master-table", _MASTER),
    ("graph-first_value", _RANKED),
    ("graph-smallest-neighbour", _NEIGHBOUR),
    ("graph-nodes", _NODES),
    ("named-window-keys", "SELECT g, v, row_number() OVER w FROM t WINDOW w AS (PARTITION BY g ORDER BY k, v)"),
    ("count-star-beside", "SELECT g, k, count(*) OVER (PARTITION BY g), row_number() OVER (PARTITION BY g ORDER BY k) FROM t"),
]  # fmt: skip

# peers may differ in what the SELECT exposes: guarded when run
GUARDED = [
    ("row_number", "SELECT g, v, row_number() OVER (PARTITION BY g ORDER BY k) AS rn FROM t"),
    ("lag", "SELECT g, lag(v) OVER (PARTITION BY g ORDER BY k) FROM t"),
    ("lead-default", "SELECT g, k, lead(v, 1, 'z') OVER (PARTITION BY g ORDER BY k) FROM t"),
    ("ntile", "SELECT v, ntile(2) OVER (ORDER BY k) FROM t"),
    ("nth_value", "SELECT g, nth_value(v, 2) OVER (PARTITION BY g ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t"),
    ("first_value-no-order", "SELECT g, first_value(v) OVER (PARTITION BY g) FROM t"),
    ("last_value-range", "SELECT g, k, last_value(v) OVER (PARTITION BY g ORDER BY k) FROM t"),
    ("first-ignore-nulls", "SELECT g, k, first(v) IGNORE NULLS OVER (PARTITION BY g ORDER BY k) FROM t"),
    ("collect_list-range", "SELECT g, k, collect_list(v) OVER (PARTITION BY g ORDER BY k) FROM t"),
    ("sum-rows-frame", "SELECT g, k, sum(n) OVER (PARTITION BY g ORDER BY k ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t"),
    ("counter_diff", "SELECT g, k, counter_diff(n) OVER (PARTITION BY g ORDER BY k) FROM t"),
    ("star", "SELECT *, row_number() OVER (PARTITION BY g ORDER BY k) AS rn FROM t"),
    ("qualified-star", "SELECT t.*, row_number() OVER (PARTITION BY g ORDER BY k) AS rn FROM t"),
    ("qualify-other-column", "SELECT g, k FROM t QUALIFY row_number() OVER (PARTITION BY g ORDER BY k) = n"),
    ("order-by-other-column", "SELECT g, k, row_number() OVER (PARTITION BY g ORDER BY k) AS rn FROM t ORDER BY v"),
    ("expression-key", "SELECT g, v, row_number() OVER (PARTITION BY g ORDER BY lower(v)) FROM t"),
    ("other-window-argument", "SELECT g, k, row_number() OVER (PARTITION BY g ORDER BY k), sum(n) OVER (PARTITION BY g) FROM t"),
    ("named-window", "SELECT g, v, row_number() OVER (w) FROM t WINDOW w AS (PARTITION BY g ORDER BY k)"),
    ("named-window-rows", "SELECT g, k, sum(n) OVER w FROM t WINDOW w AS (PARTITION BY g ORDER BY k ROWS 1 PRECEDING)"),
    ("qualify-star", "SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY g ORDER BY k) = 1"),
    ("qualify-star-join", "SELECT a.*, b.x FROM s.a AS a JOIN b ON a.id = b.id QUALIFY lead(a.v) OVER (PARTITION BY a.g ORDER BY b.k) = 1"),
    ("two-orders", "SELECT g, k, row_number() OVER (PARTITION BY g ORDER BY k), lag(k) OVER (PARTITION BY g ORDER BY k DESC) FROM t"),
    ("grouped-not-unique", "SELECT g, count(*), row_number() OVER (ORDER BY count(*)) FROM t GROUP BY g"),
]  # fmt: skip

REFUSED = [
    (
        "beside-explode",
        "SELECT g, explode(a) AS x, row_number() OVER (PARTITION BY g ORDER BY k) FROM t",
        "beside a generator",
    ),
    (
        "beside-posexplode",
        "SELECT g, k, posexplode(a), lag(k) OVER (ORDER BY g) FROM t",
        "beside a generator",
    ),
    (
        "qualify-star-unnamed-source",
        "SELECT * FROM (SELECT g, k, v FROM t) QUALIFY row_number() OVER (PARTITION BY g ORDER BY k) = 1",
        "source without a name",
    ),
]


def _sql(statement: str) -> str:
    return "\n".join(translate_statement(statement).statements)


@pytest.mark.parametrize("sql", [c[1] for c in UNGUARDED], ids=[c[0] for c in UNGUARDED])
def test_no_guard_where_peers_cannot_differ(sql: str) -> None:
    assert "IDU_REFUSED" not in _sql(sql)


@pytest.mark.parametrize("sql", [c[1] for c in GUARDED], ids=[c[0] for c in GUARDED])
def test_guard_where_peers_may_differ(sql: str) -> None:
    text = _sql(sql)
    assert "over rows that tie on its window" in text and "LAG(" in text


@pytest.mark.parametrize(("sql", "reason"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_where_tied_rows_cannot_be_told(sql: str, reason: str) -> None:
    with pytest.raises(TranslationError, match=reason):
        translate_statement(sql)


def test_master_table_translates_without_any_extra_window() -> None:
    text = _sql(_MASTER)
    assert text.count(" OVER ") == 1 and "MIN(" not in text


@pytest.mark.parametrize("loop", list(LoopAlgorithm), ids=[a.value for a in LoopAlgorithm])
@pytest.mark.parametrize("incremental", [False, True], ids=["full-refresh-files", "incremental-files"])
def test_our_generated_directories_carry_no_tie_guard(
    tmp_path: Path, loop: LoopAlgorithm, incremental: bool
) -> None:
    """Every window our generator writes is proven free of ties: no run-time guard, no extra sort."""
    config = load_unify_config(EXAMPLE_YML)
    written = generate_sql_directory(
        config, catalog="c", schema="s", out_dir=tmp_path, loop=loop, incremental=incremental
    )
    guarded = [
        path.name
        for path in written
        if path.suffix == ".sql"
        for statement in split_statements(path.read_text(encoding="utf-8"))
        if "over rows that tie" in "\n".join(translate_statement(statement).statements)
    ]
    assert guarded == []


# (g, k, v, n, m): peers on (g, k) in every table but the first
_TABLES = {
    "unique": "(1, 1, 'a', 1, MAP {'x': 1}), (1, 2, 'b', 2, NULL), (2, 1, NULL, 3, NULL)",
    "identical": "(1, 1, 'a', 1, MAP {'x': 1}), (1, 1, 'a', 1, MAP {'x': 1}), (2, 1, NULL, 3, NULL), (2, 1, NULL, 3, NULL)",
    "differ": "(1, 1, 'a', 1, NULL), (1, 1, 'b', 1, NULL), (2, 1, NULL, 3, NULL)",
    "differ-by-null": "(1, 1, 'a', 1, NULL), (1, 1, NULL, 1, NULL)",
    "differ-by-map": "(1, 1, 'a', 1, MAP {'x': 1}), (1, 1, 'a', 1, MAP {'x': 2})",
}  # fmt: skip
_RUN = [
    ("row_number", "SELECT g, k, v, row_number() OVER (PARTITION BY g ORDER BY k) AS rn FROM t"),
    ("lag-of-map", "SELECT g, lag(m) OVER (PARTITION BY g ORDER BY k) AS p, v FROM t"),
    ("star", "SELECT *, first_value(v) OVER (PARTITION BY g, k) AS f FROM t"),
    ("qualify-star", "SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY g ORDER BY k) > 0"),
]
_TWO_ORDERS = "SELECT g, k, row_number() OVER (PARTITION BY g ORDER BY k) AS a, ntile(2) OVER (PARTITION BY g ORDER BY k DESC) AS b FROM t"
_SEES_MAP = {"lag-of-map", "star", "qualify-star"}


def _load(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM (VALUES {_TABLES[table]}) AS x(g, k, v, n, m)")


@pytest.mark.parametrize("sql", [c[1] for c in _RUN], ids=[c[0] for c in _RUN])
@pytest.mark.parametrize("table", ["unique", "identical"])
def test_guard_passes_where_peers_are_equal(con: duckdb.DuckDBPyConnection, sql: str, table: str) -> None:
    _load(con, table)
    assert len(con.execute(_sql(sql)).fetchall()) == _TABLES[table].count("), (") + 1


_REFUSALS = [
    (name, sql, table)
    for name, sql in _RUN
    for table in ("differ", "differ-by-null", *(("differ-by-map",) if name in _SEES_MAP else ()))
]


@pytest.mark.parametrize(
    ("sql", "table"), [c[1:] for c in _REFUSALS], ids=[f"{c[0]}-{c[2]}" for c in _REFUSALS]
)
def test_guard_refuses_where_peers_differ(con: duckdb.DuckDBPyConnection, sql: str, table: str) -> None:
    _load(con, table)
    with pytest.raises(duckdb.Error, match=r"\[IDU_REFUSED\] \w+ over rows that tie"):
        con.execute(_sql(sql)).fetchall()


def test_map_not_selected_is_not_a_difference(con: duckdb.DuckDBPyConnection) -> None:
    _load(con, "differ-by-map")
    assert con.execute(_sql(_RUN[0][1])).fetchall() == [(1, 1, "a", 1), (1, 1, "a", 2)]


@pytest.mark.parametrize(("table", "refused"), [("unique", False), ("identical", True)])
def test_two_orders_refuse_any_peers(con: duckdb.DuckDBPyConnection, table: str, refused: bool) -> None:
    """Beside a window of another order, equal peers are told apart by that window's values (which of
    them gets a = 1 and which b = 1 pairs either way): any two peers are refused."""
    _load(con, table)
    if not refused:
        assert len(con.execute(_sql(_TWO_ORDERS)).fetchall()) == 3
        return
    with pytest.raises(duckdb.Error, match="beside another window ordering them otherwise"):
        con.execute(_sql(_TWO_ORDERS)).fetchall()
