"""The engine's check of set operations (set_operations.py): their inputs' column types bound
(never run) before the statement, and Spark's common type of each column compared with DuckDB's.

Where they differ it refuses (``[IDU_REFUSED]``), naming the CAST that makes both agree, or
Spark's ``INCOMPATIBLE_COLUMN_TYPE`` where Spark has no common type. A DECIMAL of the same scale
and another precision passes (the same values). A computed DECIMAL (a sum, arithmetic) may count
more integer digits on DuckDB than on Spark (``sum`` of ``DECIMAL(10,2)``: 38 against 20), so where
DuckDB's common type dropped decimals that an input has, beside such a value, it is refused.
"""

from __future__ import annotations

import re
from typing import Any

from airflow_idu.engines.duckdb.set_operations import Cte, Query, SetShape
from airflow_idu.engines.duckdb.spark_compat.unify_types import wider_all

__all__ = ["check_set_operations", "column_problem", "spark_name"]

_SCALARS = {
    "TINYINT": "TINYINT", "SMALLINT": "SMALLINT", "INTEGER": "INT", "BIGINT": "BIGINT", "FLOAT": "FLOAT",
    "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN", "DATE": "DATE", "VARCHAR": "STRING", "BLOB": "BINARY",
    "TIMESTAMP": "TIMESTAMP", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", '"NULL"': "NULL",
}  # fmt: skip
_DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")
_Columns = list[tuple[str, str]]
_NULL = '"NULL"'  # DuckDB's name of the type of a bare NULL
_NULL_ONLY = re.compile(r'"NULL"(\[\])*')


def spark_name(duck: str) -> str | None:
    """Spark's name of a DuckDB type, where Spark has one."""
    if duck in _SCALARS:
        return _SCALARS[duck]
    if _DECIMAL.fullmatch(duck):
        return duck
    if duck.endswith("[]"):
        element = spark_name(duck[:-2])
        return f"ARRAY<{element}>" if element else None
    return None


def _scale(kind: str) -> int | None:
    match = _DECIMAL.search(kind)
    return int(match.group(2)) if match else None


def _same_values(spark: str, duck: str) -> bool:
    """The same type, or DECIMALs (or arrays of them) of one scale: the same values."""
    return spark == duck or (_DECIMAL.sub(r"\2", spark) == _DECIMAL.sub(r"\2", duck) and "DECIMAL" in spark)


def _aligned(shape: SetShape, sides: list[list[tuple[str, str]]]) -> list[tuple[str, list[str]]]:
    """(column name, its type in each branch): by position, or by name for ``BY NAME``."""
    first = sides[0]
    if not shape.by_name:
        return [(first[i][0], [side[i][1] for side in sides]) for i in range(min(len(s) for s in sides))]
    named = [{name.lower(): kind for name, kind in side} for side in sides]
    return [
        (name, [n[name.lower()] for n in named]) for name, _ in first if all(name.lower() in n for n in named)
    ]


def _duck_common(connection: Any, columns: list[list[str]]) -> list[str]:
    """DuckDB's common type of each column's branch types: bound from NULLs of those types (cheap),
    only where a column's types differ."""
    if all(len(set(types)) == 1 for types in columns):
        return [types[0] for types in columns]
    rows = [
        "SELECT " + ", ".join("NULL" if t == '"NULL"' else f"CAST(NULL AS {t})" for t in branch)
        for branch in zip(*columns, strict=True)
    ]
    return [str(t) for t in connection.sql(" UNION ALL ".join(rows)).types]


def column_problem(shape: SetShape, number: int, name: str, types: list[str], result: str) -> str | None:
    """The error for one column whose Spark type is not DuckDB's, else None."""
    where = f"{shape.operation} column {number} ({name})"
    # a NULL (or an array of NULLs: array(), array(NULL)) takes the other inputs' type on both engines
    if len({t for t in types if not _NULL_ONLY.fullmatch(t)}) <= 1:
        return None
    names = [spark_name(t) for t in types]
    listed = ", ".join(dict.fromkeys(t for t in types))
    if None in names:
        return (
            f"[IDU_REFUSED] {where} joins {listed}, types whose Spark common type the embedded engine "
            "does not derive; CAST every branch's column to one type"
        )
    spark = wider_all(names, strings=True)
    spark_listed = ", ".join(dict.fromkeys(str(n) for n in names))
    if spark is None:
        # Spark fails the query (INCOMPATIBLE_COLUMN_TYPE) for the types Spark gives these inputs;
        # refused rather than failed with Spark's error, since an input DuckDB types its own way (one
        # the translation refuses when run, such as a text-only function of an array) may be typed
        # otherwise on Spark
        return (
            f"[IDU_REFUSED] {where} is {spark_listed} in its branches: types Spark has no common type for "
            f"(it fails the query: INCOMPATIBLE_COLUMN_TYPE, {shape.operation} can only be performed on "
            "tables with compatible column types); CAST every branch's column to one type"
        )
    duck = spark_name(result)
    if duck is None or not _same_values(spark, duck):
        return (
            f"[IDU_REFUSED] {where}: Spark's common type of {spark_listed} is {spark} (it casts each branch "
            f"to it, failing where a value does not convert), DuckDB's is {duck or result}; CAST every "
            f"branch's column to {spark}"
        )
    if any("STRING" in n for n in names if n) and "STRING" not in spark:
        # a STRING cast to BINARY: Spark takes its UTF-8 bytes, DuckDB reads escapes (\\xAA) and
        # fails on other characters
        return (
            f"[IDU_REFUSED] {where}: Spark casts the STRING of {spark_listed} to {spark} by its own rule "
            f"(UTF-8 bytes), DuckDB by another; CAST every branch's column to {spark} explicitly"
        )
    scales = [s for s in (_scale(t) for t in types) if s is not None]
    kept = _scale(result)
    computed = number <= len(shape.computed) and shape.computed[number - 1]
    if computed and kept is not None and kept < max(scales):
        return (
            f"[IDU_REFUSED] {where}: DuckDB's common type {result} drops decimals of {listed} that Spark, "
            "counting fewer integer digits for a computed DECIMAL (a sum, arithmetic), keeps; CAST the "
            "computed column to the DECIMAL Spark gives it"
        )
    return None


class _Binder:
    """Binds the queries of one statement's set operations on one connection: each CTE once, then
    read as a stub of its types; as few binds as the CTEs' depth allows, each holding many queries
    (each query's row as a STRUCT), and one query at a time where a batch fails to bind."""

    def __init__(self, connection: Any, shapes: tuple[SetShape, ...]) -> None:
        self.connection = connection
        self.ctes = {c.key: c for shape in shapes for c in shape.ctes}
        self.stubs: dict[str, str] = {}
        self.bound: dict[str, _Columns] = {}
        pending = dict(self.ctes)
        while pending:  # a CTE once every CTE it reads has its stub: by levels of depth
            ready = [c for c in pending.values() if all(k in self.stubs for k in c.query.reads)]
            if not ready:
                break  # a cycle (never in SQL that binds): each query fails on its own below
            self._bind([self._sql(c.query) for c in ready])
            for cte in ready:
                self.stubs[cte.key] = self._stub(cte)
                del pending[cte.key]
        self._bind([self._sql(q) for shape in shapes for q in shape.branches])

    def columns(self, query: Query) -> _Columns:
        sql = self._sql(query)
        if sql not in self.bound:
            relation = self.connection.sql(sql)
            self.bound[sql] = [(n, str(t)) for n, t in zip(relation.columns, relation.types, strict=True)]
        return self.bound[sql]

    def _sql(self, query: Query) -> str:
        stubs = ", ".join(self.stubs.get(key) or self._missing(key) for key in query.reads)
        return f"WITH {stubs} {query.sql}" if stubs else query.sql

    def _missing(self, key: str) -> str:
        self.stubs[key] = self._stub(self.ctes[key])
        return self.stubs[key]

    def _bind(self, sqls: list[str]) -> None:
        import duckdb

        todo = list(dict.fromkeys(q for q in sqls if q not in self.bound))
        if len(todo) < 2:
            return  # bound one by one, when asked
        rows = ", ".join(f"(SELECT idu_row FROM ({q}) AS idu_row) AS q{i}" for i, q in enumerate(todo))
        try:
            types = self.connection.sql(f"SELECT {rows}").types
        except duckdb.Error:
            return  # one of them fails: each is bound alone, and the one that fails says why
        for sql, kind in zip(todo, types, strict=True):
            self.bound[sql] = [(name, str(t)) for name, t in kind.children]

    def _stub(self, cte: Cte) -> str:
        """The CTE as a relation of NULLs of its columns' types: what reading it binds to."""
        found = self.columns(cte.query)
        names = cte.columns or tuple(name for name, _ in found)
        items = ", ".join(
            f"{'NULL' if kind == _NULL else f'CAST(NULL AS {kind})'} AS {_quoted(name)}"
            for name, (_, kind) in zip(names, found, strict=False)
        )
        return f"{_quoted(cte.name)} AS (SELECT {items})"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def check_set_operations(connection: Any, shapes: tuple[SetShape, ...]) -> None:
    """Raise ``duckdb.InvalidInputException`` where a set operation's column types are not Spark's."""
    import duckdb

    binder = _Binder(connection, shapes)
    for shape in shapes:
        try:
            sides = [binder.columns(q) for q in shape.branches]
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise duckdb.InvalidInputException(
                f"[IDU_REFUSED] a {shape.operation} whose branches cannot be bound on their own (they read "
                f"an outer query's columns, or fail: {first}), so their column types cannot be checked "
                "against Spark's; CAST each branch's columns to one type and move the operation out of "
                "the correlated subquery, or run this statement on Databricks"
            ) from exc
        aligned = _aligned(shape, sides)
        results = _duck_common(connection, [types for _, types in aligned])
        for number, ((name, types), result) in enumerate(zip(aligned, results, strict=True), 1):
            problem = column_problem(shape, number, name, types, result)
            if problem is not None:
                raise duckdb.InvalidInputException(problem)
