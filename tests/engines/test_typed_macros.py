"""Macros with an overload per argument type (nodes.typed_macro) give what their untyped body gives.

DuckDB picks an overload by the argument's type, casting it where it casts implicitly (a TINYINT to
BIGINT, a NULL to anything); the untyped body decides with ``typeof`` instead. For every typed macro
and an argument of every type (columns and literals), the value, its type and any error must be the
untyped body's.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.spark_compat.nodes import TYPED_FALLBACKS

# column type -> values (SQL literals cast to it); NULL rides along in every column
COLUMNS: dict[str, tuple[str, ...]] = {
    "TINYINT": ("-7", "127"),
    "SMALLINT": ("-300", "32767"),
    "INTEGER": ("0", "-2147483648"),
    "BIGINT": ("9223372036854775807", "-1"),
    "HUGEINT": ("170141183460469231731687303715884105727", "5"),
    "UTINYINT": ("255",),
    "USMALLINT": ("65535",),
    "UINTEGER": ("4294967295",),
    "UBIGINT": ("18446744073709551615", "3"),
    "FLOAT": ("1.5", "-0.25", "3e10"),
    "DOUBLE": ("2.75", "1e20", "-0.0"),
    "DECIMAL(10,2)": ("12.34", "-0.05"),
    "DECIMAL(38,10)": ("1234567.0123456789",),
    "VARCHAR": ("'12'", "' 42 '", "'1.5'", "'abc'", "''"),
    "BOOLEAN": ("true", "false"),
    "DATE": ("DATE '2024-03-05'",),
    "TIMESTAMP": ("TIMESTAMP '2024-03-05 06:07:08.5'", "TIMESTAMP '1969-12-31 23:59:59.5'"),
    "BLOB": ("'\\x41\\x42'::BLOB",),
    "BIGINT[]": ("[1, NULL]",),
    "VARCHAR[]": ("['a', 'b']",),
}
VARCHAR_TABLE = f"t{list(COLUMNS).index('VARCHAR')}"
LITERALS = ("1", "2147483648", "99999999999999999999", "1.5", "1e3", "'12'", "'x'", "NULL", "true", "-3")


def _outcome(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[str, Any]:
    """The rows, or the error's kind and the Spark error class or refusal it names. DuckDB's own
    wording of a cast it cannot make names the cast's source differently in the two forms (a column
    or the overload's parameter): the same error, so kind and class are compared."""
    try:
        return ("ok", con.execute(sql).fetchall())
    except duckdb.Error as err:
        text = str(err)
        named = re.search(r"\[[A-Z_]+\][^.]*", text)
        return ("error", (type(err).__name__, named.group(0) if named else None))


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    install_macros(con)
    for name, (params, body) in TYPED_FALLBACKS.items():
        con.execute(f"CREATE MACRO untyped_{name}({', '.join(params)}) AS {body}")
    for i, (duck_type, values) in enumerate(COLUMNS.items()):
        rows = ", ".join(f"(CAST({v} AS {duck_type}))" for v in (*values, "NULL"))
        con.execute(f"CREATE TABLE t{i} AS SELECT * FROM (VALUES {rows}) AS v(c)")
    return con


ONE = sorted(n for n, (params, _) in TYPED_FALLBACKS.items() if len(params) == 1)
TWO = sorted(n for n, (params, _) in TYPED_FALLBACKS.items() if len(params) == 2)


GUARDS = sorted(n for n in TYPED_FALLBACKS if n.startswith("idu_unify_same"))


def test_the_typed_macros_are_known() -> None:
    assert {"idu_cast_string_plain", "idu_to_bigint_plain"} <= set(ONE)
    assert TWO == ["idu_same_fields"]
    assert GUARDS == ["idu_unify_same2", "idu_unify_same3"]
    assert set(ONE) | set(TWO) | set(GUARDS) == set(TYPED_FALLBACKS)


@pytest.mark.parametrize("name", ONE)
@pytest.mark.parametrize("duck_type", list(COLUMNS))
def test_a_column_gets_the_untyped_result(con: duckdb.DuckDBPyConnection, name: str, duck_type: str) -> None:
    table = f"t{list(COLUMNS).index(duck_type)}"
    # one row at a time: an error on one value must not hide another's result
    for (rowid,) in con.execute(f"SELECT rowid FROM {table}").fetchall():
        typed = _outcome(con, f"SELECT {name}(c), typeof({name}(c)) FROM {table} WHERE rowid = {rowid}")
        untyped = _outcome(
            con, f"SELECT untyped_{name}(c), typeof(untyped_{name}(c)) FROM {table} WHERE rowid = {rowid}"
        )
        assert typed == untyped, (duck_type, rowid)


@pytest.mark.parametrize("name", ONE)
@pytest.mark.parametrize("literal", LITERALS)
def test_a_literal_gets_the_untyped_result(con: duckdb.DuckDBPyConnection, name: str, literal: str) -> None:
    typed = _outcome(con, f"SELECT {name}({literal}), typeof({name}({literal}))")
    untyped = _outcome(con, f"SELECT untyped_{name}({literal}), typeof(untyped_{name}({literal}))")
    assert typed == untyped


def test_an_integer_column_binds_only_its_overload(con: duckdb.DuckDBPyConnection) -> None:
    """The point of the overloads: the general branch is not in the plan of a STRING column's cast."""
    typed = con.execute(f"EXPLAIN SELECT idu_cast_string_plain(c) FROM {VARCHAR_TABLE}").fetchall()[0][1]
    untyped = con.execute(f"EXPLAIN SELECT untyped_idu_cast_string_plain(c) FROM {VARCHAR_TABLE}").fetchall()[
        0
    ][1]
    assert "list_transform" not in typed.lower()
    assert len(typed) <= len(untyped)


# one value per column type, and literals: every pair of them is compared
_OPERANDS = (
    *(f"(SELECT c FROM t{i} WHERE c IS NOT NULL LIMIT 1)" for i in range(len(COLUMNS))),
    *LITERALS,
    "{'a': 1}",
    "{'b': 1}",
    "[{'a': 1}]",
)


@pytest.mark.parametrize("name", TWO)
@pytest.mark.parametrize("left", _OPERANDS)
def test_every_pair_of_operands_gets_the_untyped_result(
    con: duckdb.DuckDBPyConnection, name: str, left: str
) -> None:
    for right in _OPERANDS:
        typed = _outcome(con, f"SELECT {name}({left}, {right})")
        untyped = _outcome(con, f"SELECT untyped_{name}({left}, {right})")
        assert typed == untyped, right


def test_the_refused_pairs_are_refused(con: duckdb.DuckDBPyConnection) -> None:
    """The comparison check still refuses what it is for, through the typed front."""
    for left, right in (
        ("true", "1"),
        ("'a'::BLOB", "'a'"),
        ("{'a': 1}", "{'b': 1}"),
        ("1::BIGINT", "false"),
    ):
        kind, found = _outcome(con, f"SELECT idu_same_fields({left}, {right})")
        assert kind == "error" and "[IDU_REFUSED]" in str(found), (left, right)


def _guard(name: str, operands: tuple[str, ...], typed: str) -> str:
    types = ", ".join(f"typeof({o})" for o in operands)
    return f"SELECT {name}(coalesce({', '.join(operands)}), {', '.join(operands)}, [{types}], {typed}, 'w')"


@pytest.mark.parametrize("typed", ["true", "false"])
@pytest.mark.parametrize("left", _OPERANDS)
def test_the_unify_guard_of_two_gets_the_untyped_result(
    con: duckdb.DuckDBPyConnection, left: str, typed: str
) -> None:
    """The guard of a construct of two operands (coalesce here: its value is the construct's)."""
    for right in _OPERANDS:
        typed_form = _outcome(con, _guard("idu_unify_same2", (left, right), typed))
        untyped = _outcome(con, _guard("untyped_idu_unify_same2", (left, right), typed))
        assert typed_form == untyped, right


_COLUMNS_ONLY = _OPERANDS[: len(COLUMNS)]


@pytest.mark.parametrize("first", _COLUMNS_ONLY)
def test_the_unify_guard_of_three_gets_the_untyped_result(con: duckdb.DuckDBPyConnection, first: str) -> None:
    for second in _COLUMNS_ONLY:
        for third in ("1", "NULL", _COLUMNS_ONLY[3], _COLUMNS_ONLY[13], _COLUMNS_ONLY[9]):
            operands = (first, second, third)
            assert _outcome(con, _guard("idu_unify_same3", operands, "true")) == _outcome(
                con, _guard("untyped_idu_unify_same3", operands, "true")
            ), operands
