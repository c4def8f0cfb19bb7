"""Evaluate the catalogue on Spark and on the embedded engine, and compare.

Spark runs each kind as a few wide queries (one column per case) so the whole
catalogue costs a handful of Spark jobs; a wide query that fails is bisected to
the cases that fail. DuckDB runs the same SQL through ``translate_statement``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import duckdb

from airflow_idu.engines.duckdb.merge import rollback
from airflow_idu.engines.duckdb.spark_compat.library import register_functions
from airflow_idu.engines.duckdb.translate import (
    COMPAT_MACROS,
    Translation,
    TranslationError,
    translate_statement,
)
from airflow_idu.engines.duckdb.type_checks import check_types
from airflow_idu.plan import split_statements
from tests.fidelity.catalogue import CASES, Case, Kind
from tests.fidelity.compositions import COMPOSITIONS
from tests.fidelity.inputs import COLUMNS, ROWS, TABLE
from tests.fidelity.spark_dml import dml_statements
from tests.fidelity.values import (
    FLOAT_TOLERANCE,
    NOW_TOLERANCE_SECONDS,
    all_equal,
    close_to_now,
    duck_type,
    duck_type_of_spark,
    norm,
    values_equal,
)
from tests.spark.test_faithful import spark_statements

__all__ = [
    "FLOAT_TOLERANCE",
    "NOW_TOLERANCE_SECONDS",
    "Outcome",
    "Status",
    "evaluate",
    "load_duckdb",
    "load_spark",
]


@dataclass(frozen=True)
class TypeChecks:
    """The engine's type checks of the next statement (engines/duckdb/type_checks.py), run in its place."""

    translation: Translation


class Status(StrEnum):
    IDENTICAL = "identical"
    TOLERANCE = "differs-with-tolerance"  # floats within FLOAT_TOLERANCE; -0.0 as 0.0
    WIDER = "identical values, wider type"  # a wider integer, or a DECIMAL of the same scale
    CLOSE = "non-deterministic, close"
    REFUSED = "refused"
    REFUSED_AT_RUN = "refused when run"  # value-dependent: a [IDU_REFUSED] error instead of a different value
    BOTH_FAIL = "fails on both"
    MISMATCH = "MISMATCH"


RUNTIME_REFUSAL = "[IDU_REFUSED]"
_INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"})


def type_relation(spark: str, duck: str) -> Status | None:
    """IDENTICAL for the same type, WIDER for a wider integer or a same-scale DECIMAL, else None."""
    if spark == duck:
        return Status.IDENTICAL
    if spark in _INTEGERS and duck in _INTEGERS:
        return Status.WIDER
    if spark.endswith("[]") and duck.endswith("[]"):  # an array of a wider element type
        inner = type_relation(spark[:-2], duck[:-2])
        return Status.WIDER if inner is not None else None
    decimals = [re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", t.replace(" ", "")) for t in (spark, duck)]
    if decimals[0] and decimals[1] and decimals[0].group(2) == decimals[1].group(2):
        return Status.WIDER
    return None


@dataclass(frozen=True, kw_only=True)
class Result:
    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class Outcome:
    case: Case
    status: Status
    duckdb_sql: str = ""
    detail: str = ""  # the refusal message, or what differs
    ansi_off: str = ""  # how Spark with ANSI off differs from ANSI on, if it does
    spark_type: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# -- loading the inputs -------------------------------------------------------------


def load_spark(spark: Any) -> None:
    schema = ", ".join(f"`{name}` {kind}" for name, kind, _ in COLUMNS)
    spark.createDataFrame(list(ROWS), schema=schema).coalesce(1).createOrReplaceTempView(TABLE)


def load_duckdb() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for macro in COMPAT_MACROS:
        con.execute(macro)
    register_functions(con)
    ddl = ", ".join(f'"{name}" {kind}' for name, _, kind in COLUMNS)
    con.execute(f"CREATE TEMP TABLE {TABLE} ({ddl})")  # temp: visible from every schema a script USEs
    con.executemany(f"INSERT INTO {TABLE} VALUES ({', '.join('?' for _ in COLUMNS)})", list(ROWS))
    return con


# -- running one query ----------------------------------------------------------------


def run_spark(spark: Any, sql: str) -> Result:
    try:
        frame = spark.sql(sql)
        rows = frame.collect()
    except Exception as exc:
        return Result(error=_short(exc))
    fields = frame.schema.fields
    return Result(
        types=tuple(duck_type_of_spark(f.dataType.simpleString()) for f in fields),
        names=tuple(f.name for f in fields),
        rows=tuple(tuple(norm(v) for v in r) for r in rows),
    )


def run_duckdb(con: duckdb.DuckDBPyConnection, statements: Sequence[str | TypeChecks]) -> Result:
    """Run translated statements; a ``TypeChecks`` runs the engine's type checks of the next statement."""
    try:
        *setup, last = statements
        for sql in setup:
            if isinstance(sql, TypeChecks):
                check_types(con, sql.translation)
            else:
                con.execute(sql)
        assert isinstance(last, str), "a script ends with its query"
        cursor = con.execute(last)
        rows = cursor.fetchall()
    except duckdb.Error as exc:
        rollback(con)  # a write that failed inside its transaction must not abort the next case's
        return Result(error=_short(exc))
    description = cursor.description or []
    return Result(
        types=tuple(duck_type(str(d[1])) for d in description),
        names=tuple(d[0] for d in description),
        rows=tuple(tuple(norm(v) for v in r) for r in rows),
    )


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{type(exc).__name__}: {text[:200]}"


# -- batching -------------------------------------------------------------------------

_WIDE = {
    Kind.SCALAR: ("SELECT id, {cols} FROM " + TABLE + " ORDER BY id"),
    Kind.WINDOW: ("SELECT id, {cols} FROM " + TABLE + " ORDER BY id"),
    Kind.AGG: ("SELECT g, {cols} FROM " + TABLE + " GROUP BY g ORDER BY g"),
}


def _column(i: int) -> str:
    return f"c{i}"


def wide_sql(kind: Kind, cases: Sequence[tuple[int, Case]]) -> str:
    return _WIDE[kind].format(cols=", ".join(f"{c.sql} AS {_column(i)}" for i, c in cases))


def _bisect(
    run: Callable[[str], Result], kind: Kind, cases: list[tuple[int, Case]]
) -> dict[int, tuple[str, list[Any]] | str]:
    """Per case: (type, column values) or the error. Failing batches are split in halves."""
    if not cases:
        return {}
    result = run(wide_sql(kind, cases))
    if result.error is None:
        return {
            i: (result.types[pos + 1], [row[pos + 1] for row in result.rows])
            for pos, (i, _) in enumerate(cases)
        }
    if len(cases) == 1:
        return {cases[0][0]: result.error}
    half = len(cases) // 2
    return {**_bisect(run, kind, cases[:half]), **_bisect(run, kind, cases[half:])}


def _translate(sql: str) -> tuple[list[str | TypeChecks], str | None]:
    statements: list[str | TypeChecks] = []
    try:
        for statement in split_statements(sql):
            # the inputs hold a FLOAT column (f), as a user's database may
            translation = translate_statement(statement, float_values=True)
            if translation.writes or translation.set_operations:
                statements.append(TypeChecks(translation))
            statements.extend(translation.statements)
    except TranslationError as exc:
        return [], str(exc)
    return statements, None


def _text(statements: Sequence[str | TypeChecks]) -> str:
    return " ".join(s for s in statements if isinstance(s, str))


# -- the evaluation -------------------------------------------------------------------


def evaluate(
    spark: Any, con: duckdb.DuckDBPyConnection, cases: Sequence[Case] = CASES + COMPOSITIONS
) -> list[Outcome]:
    load_spark(spark)
    outcomes: dict[str, Outcome] = {}
    indexed = list(enumerate(cases))
    for kind in (Kind.SCALAR, Kind.AGG, Kind.WINDOW):
        batch = [(i, c) for i, c in indexed if c.kind is kind]
        accepted: list[tuple[int, Case]] = []
        for i, case in batch:
            sql = wide_sql(kind, [(i, case)])
            _, refusal = _translate(sql)
            if refusal:
                outcomes[case.id] = Outcome(case=case, status=Status.REFUSED, detail=refusal)
            else:
                accepted.append((i, case))
        on = _bisect(lambda sql: run_spark(spark, sql), kind, accepted)
        spark.conf.set("spark.sql.ansi.enabled", "false")
        try:
            off = _bisect(lambda sql: run_spark(spark, sql), kind, accepted)
        finally:
            spark.conf.set("spark.sql.ansi.enabled", "true")
        mine = _bisect(lambda sql: run_duckdb(con, _translate(sql)[0]), kind, accepted)
        for i, case in accepted:
            translated = _text(_translate(wide_sql(kind, [(i, case)]))[0])
            outcomes[case.id] = _compare_column(case, on[i], mine[i], off[i], translated)
    for i, case in indexed:
        if case.kind in (Kind.QUERY, Kind.ERROR):
            outcomes[case.id] = _one_query(spark, con, case)
        elif case.kind is Kind.SCRIPT:
            outcomes[case.id] = _one_script(spark, con, case, i)
    return [outcomes[c.id] for c in cases]


def _describe_translation(sql: str) -> str:
    match = re.search(r"\bAS c\d+ FROM", sql)
    head = sql[: match.start()] if match else sql
    return head.removeprefix("SELECT id, ").removeprefix("SELECT g, ").strip()


def _compare_column(
    case: Case,
    spark: tuple[str, list[Any]] | str,
    mine: tuple[str, list[Any]] | str,
    off: tuple[str, list[Any]] | str,
    translated: str,
) -> Outcome:
    how = _describe_translation(translated)
    ansi_off = "" if case.nondeterministic or _same(spark, off) else f"ANSI off: {_show(off)}"
    if isinstance(spark, str) or isinstance(mine, str):
        if isinstance(spark, str) and isinstance(mine, str):
            return Outcome(case=case, status=Status.BOTH_FAIL, duckdb_sql=how, detail=mine, ansi_off=ansi_off)
        if isinstance(mine, str) and RUNTIME_REFUSAL in mine:
            return Outcome(
                case=case, status=Status.REFUSED_AT_RUN, duckdb_sql=how, detail=mine, ansi_off=ansi_off
            )
        return Outcome(
            case=case, status=Status.MISMATCH, duckdb_sql=how, ansi_off=ansi_off,
            detail=f"Spark: {_show(spark)} | DuckDB: {_show(mine)}",
        )  # fmt: skip
    (s_type, s_values), (d_type, d_values) = spark, mine
    relation = type_relation(s_type, d_type)
    if relation is None:
        return Outcome(
            case=case, status=Status.MISMATCH, duckdb_sql=how, spark_type=s_type,
            detail=f"type: Spark {s_type}, DuckDB {d_type}",
        )  # fmt: skip
    if case.nondeterministic:
        ok = all(v is not None and close_to_now(v) for v in s_values + d_values)
        status = Status.CLOSE if ok else Status.MISMATCH
        return Outcome(case=case, status=status, duckdb_sql=how, spark_type=s_type, detail="" if ok else
                       f"Spark {s_values[:2]} DuckDB {d_values[:2]}")  # fmt: skip
    equal, tolerance = all_equal(s_values, d_values)
    if not equal:
        diffs = [f"row {n + 1}: Spark {a!r} DuckDB {b!r}" for n, (a, b) in enumerate(zip(s_values, d_values, strict=True))
                 if not values_equal(a, b)[0]]  # fmt: skip
        return Outcome(
            case=case, status=Status.MISMATCH, duckdb_sql=how, spark_type=s_type, detail="; ".join(diffs[:3])
        )
    status = Status.WIDER if relation is Status.WIDER else Status.TOLERANCE if tolerance else Status.IDENTICAL
    note = f"DuckDB type {d_type}" if relation is Status.WIDER else ""
    return Outcome(
        case=case, status=status, duckdb_sql=how, spark_type=s_type, ansi_off=ansi_off, detail=note
    )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str)
    return a[0] == b[0] and all_equal(a[1], b[1])[0]


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"error ({value.split(':')[0]})" if len(value) > 0 else "error"
    text = repr(value[1][:3])
    return text if len(text) < 120 else text[:117] + "..."


def _query_sql(case: Case) -> str:
    return f"SELECT {case.sql} AS c" if case.kind is Kind.ERROR else case.sql


def _compare_results(case: Case, spark: Result, mine: Result, how: str, off: Result | None = None) -> Outcome:
    ansi_off = ""
    if off is not None and (off.error is None) != (spark.error is None):
        ansi_off = f"ANSI off: {off.error or off.rows[:3]}"
    if spark.error or mine.error:
        if spark.error and mine.error:
            return Outcome(
                case=case, status=Status.BOTH_FAIL, duckdb_sql=how, detail=mine.error, ansi_off=ansi_off
            )
        if mine.error and RUNTIME_REFUSAL in mine.error:
            return Outcome(case=case, status=Status.REFUSED_AT_RUN, duckdb_sql=how, detail=mine.error,
                           ansi_off=ansi_off)  # fmt: skip
        return Outcome(case=case, status=Status.MISMATCH, duckdb_sql=how, ansi_off=ansi_off,
                       detail=f"Spark: {spark.error or spark.rows[:3]} | DuckDB: {mine.error or mine.rows[:3]}")  # fmt: skip
    relations = [type_relation(a, b) for a, b in zip(spark.types, mine.types, strict=True)]
    if len(spark.types) != len(mine.types) or None in relations:
        return Outcome(case=case, status=Status.MISMATCH, duckdb_sql=how,
                       detail=f"types: Spark {spark.types}, DuckDB {mine.types}")  # fmt: skip
    names = [  # a table's column names matter; unnamed expressions are refused in CREATE TABLE AS
        (a, b)
        for a, b in zip(spark.names, mine.names, strict=True)
        if case.kind is Kind.SCRIPT and re.fullmatch(r"\w+", a)
    ]
    if any(a.lower() != b.lower() for a, b in names):
        return Outcome(case=case, status=Status.MISMATCH, duckdb_sql=how,
                       detail=f"column names: Spark {spark.names}, DuckDB {mine.names}")  # fmt: skip
    ordered = "ORDER BY" in case.sql.upper().split(")")[-1]
    s_rows = list(spark.rows) if ordered else sorted(spark.rows, key=repr)
    d_rows = list(mine.rows) if ordered else sorted(mine.rows, key=repr)
    if len(s_rows) != len(d_rows):
        return Outcome(case=case, status=Status.MISMATCH, duckdb_sql=how,
                       detail=f"{len(s_rows)} rows on Spark, {len(d_rows)} on DuckDB")  # fmt: skip
    equal, tolerance = all_equal([list(r) for r in s_rows], [list(r) for r in d_rows])
    if not equal:
        return Outcome(case=case, status=Status.MISMATCH, duckdb_sql=how,
                       detail=f"Spark {s_rows[:4]} | DuckDB {d_rows[:4]}")  # fmt: skip
    wider = Status.WIDER in relations
    status = Status.WIDER if wider else Status.TOLERANCE if tolerance else Status.IDENTICAL
    return Outcome(case=case, status=status, duckdb_sql=how, ansi_off=ansi_off, spark_type=", ".join(spark.types),
                   detail=f"DuckDB types {', '.join(mine.types)}" if wider else "")  # fmt: skip


def _one_query(spark: Any, con: duckdb.DuckDBPyConnection, case: Case) -> Outcome:
    sql = _query_sql(case)
    duck, refusal = _translate(sql)
    if refusal:
        return Outcome(case=case, status=Status.REFUSED, detail=refusal)
    on = run_spark(spark, sql)
    off = None
    if (
        case.kind is Kind.ERROR
    ):  # whole queries run with ANSI on only (their expressions are in the wide ones)
        spark.conf.set("spark.sql.ansi.enabled", "false")
        try:
            off = run_spark(spark, sql)
        finally:
            spark.conf.set("spark.sql.ansi.enabled", "true")
    return _compare_results(case, on, run_duckdb(con, duck), _text(duck), off)


def _one_script(spark: Any, con: duckdb.DuckDBPyConnection, case: Case, n: int) -> Outcome:
    statements = split_statements(case.sql)
    duck: list[str | TypeChecks] = [f'CREATE SCHEMA "fid_s{n}"', f'USE "fid_s{n}"']
    for statement in statements:
        translated, refusal = _translate(statement)
        if refusal:
            con.execute("USE main")
            return Outcome(case=case, status=Status.REFUSED, detail=refusal)
        duck.extend(translated)
    mine = run_duckdb(con, duck)
    con.execute("USE main")
    spark.sql(f"CREATE DATABASE IF NOT EXISTS fid_s{n}")
    spark.sql(f"USE fid_s{n}")
    try:
        *setup, last = statements
        try:
            for statement in setup:
                for sql in _spark_script_statements(spark, statement):
                    spark.sql(sql).collect()
            on = run_spark(spark, last)
        except Exception as exc:
            on = Result(error=_short(exc))
    finally:
        spark.sql("USE default")
    how = " ; ".join(s for s in duck[2:] if isinstance(s, str))
    return _compare_results(case, on, mine, how if len(how) < 400 else how[:397] + "...")


def _spark_script_statements(spark: Any, statement: str) -> list[str]:
    if re.match(r"\s*(--[^\n]*\n\s*)*(MERGE|UPDATE|DELETE|WITH)\b", statement, re.IGNORECASE):
        dml = dml_statements(statement, lambda table: spark.table(table).columns)
        if dml is not None:  # None: a WITH before a query or an INSERT, which Spark runs as it is
            return dml
    return spark_statements(statement)
