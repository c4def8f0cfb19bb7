"""Run every Spark built-in function's forms on Spark and on the embedded engine, and classify.

Each form is first translated on its own: a refused form is not run. The accepted forms run
as wide SELECTs over the input table (one column per form) on Spark and on DuckDB; a wide
query that fails is bisected to its failing forms, and a form that fails at run time to its
failing rows (``WHERE id IN (...)``), so a value-dependent error (ANSI overflow, a bad cast)
is compared row by row: both raise, or it is a mismatch.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from airflow_idu.engines.duckdb.spark_compat.time_type import ENABLED_ENV
from airflow_idu.engines.duckdb.translate import COMPAT_MACROS, TranslationError, translate_statement
from tests.fidelity.function_inputs import COLUMNS, ROWS, TABLE
from tests.fidelity.function_inventory import ENVIRONMENT, Call, Form, Function, calls_of, forms_of
from tests.fidelity.harness import RUNTIME_REFUSAL, Status, type_relation
from tests.fidelity.values import duck_type, duck_type_of_spark, norm, values_equal

__all__ = ["Verdict", "evaluate_functions", "load_duckdb", "load_spark"]

NOT_COUNTED = ("generator_funcs", "table_funcs")
_WIDTH = 60  # forms per wide query
_ENVIRONMENT_FORMS = frozenset({"unix_timestamp()"})  # the clock: differs between any two runs
_CHECKED = 1  # rows DuckDB raises on that are run alone on Spark, per form
_GROUPED = ("agg", "cube")
# Spark 4.3 gates its TIME type (off by default: every TIME function fails analysis with
# UNSUPPORTED_TIME_TYPE); on while the functions run, so the TIME family's values can be compared
TIME_TYPE = "spark.sql.timeType.enabled"  # one value per group g (and for "cube", GROUP BY CUBE(g), the total: key None)


@dataclass(frozen=True)
class RowError:
    message: str


@dataclass(frozen=True, kw_only=True)
class Column:
    type: str = ""
    values: tuple[Any, ...] = ()
    invalid: str = ""  # Spark rejects the form itself (analysis): not a form of this function
    unchecked: int = 0  # rows DuckDB raises on, not run alone on Spark (beyond _CHECKED per form)


@dataclass(kw_only=True)
class FormOutcome:
    form: Form
    status: Status
    detail: str = ""
    spark_type: str = ""


@dataclass(kw_only=True)
class Verdict:
    function: Function
    verdict: str  # identical / identical values, wider type / refused / MISMATCH / not run / not counted: ...
    detail: str = ""
    forms: list[FormOutcome] = field(default_factory=list)

    @property
    def counted(self) -> bool:
        return not self.verdict.startswith("not counted")


# -- loading --------------------------------------------------------------------------


def load_spark(spark: Any) -> None:
    schema = ", ".join(f"`{name}` {kind}" for name, kind, _ in COLUMNS)
    spark.createDataFrame(list(ROWS), schema=schema).coalesce(1).createOrReplaceTempView(TABLE)


def load_duckdb() -> duckdb.DuckDBPyConnection:
    from airflow_idu.engines.duckdb.spark_compat.library import register_functions

    con = duckdb.connect()
    for macro in COMPAT_MACROS:
        con.execute(macro)
    register_functions(con)
    ddl = ", ".join(f'"{name}" {kind}' for name, _, kind in COLUMNS)
    con.execute(f"CREATE TEMP TABLE {TABLE} ({ddl})")
    rows = [
        tuple({"key": list(v), "value": list(v.values())} if isinstance(v, dict) else v for v in r)
        for r in ROWS
    ]
    con.executemany(f"INSERT INTO {TABLE} VALUES ({', '.join('?' for _ in COLUMNS)})", rows)
    return con


# -- argument types -------------------------------------------------------------------


def _from_clause(example: str, after: int) -> str | None:
    """The example's top-level ``FROM ...`` after position ``after``, if any."""
    depth, quote = 0, ""
    for i in range(after, len(example)):
        ch = example[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and example[i : i + 6].upper() == " FROM ":
            return example[i:]
    return None


def _analyse(spark: Any, select: list[str], source: str = "") -> tuple[list[str], list[bool]] | str:
    """Spark's type (simpleString) and determinism of each expression, by analysis only (no job)."""
    try:
        frame = spark.sql("SELECT " + ", ".join(f"{e} AS x{n}" for n, e in enumerate(select)) + source)
        projection = frame._jdf.queryExecution().analyzed().expressions()
        deterministic = [bool(projection.apply(n).deterministic()) for n in range(len(select))]
        return [f.dataType.simpleString() for f in frame.schema.fields], deterministic
    except Exception as exc:
        return str(exc)[:200]


def argument_types(spark: Any, calls: Sequence[Call]) -> tuple[list[tuple[str | None, ...]], set[str]]:
    """Spark's type of each argument of each call (None where it has none: a lambda, a keyword), and
    the functions whose example call Spark's analyser says is non-deterministic."""
    found: dict[tuple[int, int], str | None] = {}
    nondeterministic: set[str] = set()
    plain: list[tuple[int, int, str]] = []  # (call, argument or -1 for the call itself, text)
    for n, call in enumerate(calls):
        source = _from_clause(call.example, call.end)
        items = [(n, -1, call.example[call.start : call.end])] + [(n, j, a) for j, a in enumerate(call.args)]
        if source is None:
            plain.extend(items)
            continue
        for part in (items, *([i] for i in items)):  # all at once, else one by one
            result = _analyse(spark, [text for _, _, text in part], source)
            if not isinstance(result, str):
                for (_, j, _), kind, det in zip(part, *result, strict=True):
                    found[(n, j)] = kind
                    if j < 0 and not det:
                        nondeterministic.add(call.function)
                if len(part) > 1:
                    break

    def run(items: list[tuple[int, int, str]]) -> list[Any] | str:
        result = _analyse(spark, [text for _, _, text in items])
        return result if isinstance(result, str) else list(zip(*result, strict=True))

    for start in range(0, len(plain), 400):
        for (n, j, _), value in _bisect(run, plain[start : start + 400]).items():
            if not isinstance(value, RowError):
                found[(n, j)] = value[0]
                if j < 0 and not value[1]:
                    nondeterministic.add(calls[n].function)
    types = [tuple(found.get((n, j)) for j in range(len(c.args))) for n, c in enumerate(calls)]
    return types, nondeterministic


def _bisect(run: Callable[[list[Any]], list[Any] | str], items: list[Any]) -> dict[Any, Any]:
    if not items:
        return {}
    result = run(items)
    if not isinstance(result, str):
        return {item: value for item, value in zip(items, result, strict=True)}
    if len(items) == 1:
        return {items[0]: RowError(result)}
    half = len(items) // 2
    return {**_bisect(run, items[:half]), **_bisect(run, items[half:])}


# -- running forms --------------------------------------------------------------------


def _select(kind: str, expressions: Sequence[str], ids: Sequence[int] | None = None) -> str:
    where = f" /*ids {','.join(map(str, ids))}*/" if ids is not None else ""
    if kind in _GROUPED:
        by = "CUBE(g)" if kind == "cube" else "g"
        return f"SELECT g, {', '.join(expressions)} FROM {TABLE}{where} GROUP BY {by} ORDER BY g"
    over = " OVER (PARTITION BY g ORDER BY id)" if kind == "window" else ""
    cols = ", ".join(f"{e}{over} AS c{n}" for n, e in enumerate(expressions))
    return f"SELECT id, {cols} FROM {TABLE}{where} ORDER BY id"


def translate(sql: str) -> tuple[tuple[str, ...], str | None]:
    try:
        return translate_statement(sql).statements, None
    except TranslationError as exc:
        return (), str(exc)


Runner = Callable[[str], tuple[list[str], list[tuple[Any, ...]]] | tuple[str, bool]]


_IDS = re.compile(r" /\*ids ([0-9,]*)\*/")


def _only_rows(sql: str, marked: str) -> str:
    """``sql`` over the rows ``marked`` names (``/*ids 1,2*/``), filtered before any expression runs."""
    found = _IDS.search(marked)
    if found is None:
        return sql
    rows = f"(SELECT * FROM {TABLE} WHERE id IN ({found.group(1) or 'NULL'})) AS {TABLE}"
    return _IDS.sub("", sql).replace(f"FROM {TABLE}", f"FROM {rows}", 1)


def spark_runner(spark: Any) -> Runner:
    def run(sql: str) -> Any:
        sql = _only_rows(sql, sql)
        try:
            frame = spark.sql(sql)
        except Exception as exc:
            return _short(exc), True  # analysis: the form is not valid
        try:
            rows = frame.collect()
        except Exception as exc:
            return _short(exc), False
        types = [duck_type_of_spark(f.dataType.simpleString()) for f in frame.schema.fields]
        return types, [tuple(norm(v) for v in r) for r in rows]

    return run


def duckdb_runner(con: duckdb.DuckDBPyConnection) -> Runner:
    def run(sql: str) -> Any:
        statements, refusal = translate(_IDS.sub("", sql))  # one translation per form, whatever the rows
        if refusal:
            return refusal, True
        try:
            cursor = con.execute(_only_rows(statements[-1], sql))
            rows = cursor.fetchall()
        except (duckdb.Error, UnicodeDecodeError) as exc:  # an error message quoting invalid UTF-8
            return _short(exc), False
        return [duck_type(str(d[1])) for d in cursor.description or []], [
            tuple(norm(v) for v in r) for r in rows
        ]

    return run


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{type(exc).__name__}: {text[:240]}"


def run_forms(
    run: Runner, kind: str, expressions: list[str], width: int = _WIDTH, rows: list[int] | None = None
) -> dict[str, Column]:
    """Each expression's column: its type and one value (or RowError) per row or group (``rows``
    only: the others None)."""
    ids = rows if rows is not None else [r[0] for r in ROWS]
    keys = _all_keys(kind)

    def wide(batch: list[str]) -> list[Column] | str:
        sql = _select(
            kind, [f"{e} AS c{n}" for n, e in enumerate(batch)] if kind in _GROUPED else batch, rows
        )
        result = run(sql)
        if isinstance(result[0], str):
            return result[0]
        types, found = result
        return [
            Column(type=types[p + 1], values=tuple({r[0]: r[p + 1] for r in found}.get(k) for k in keys))
            for p in range(len(batch))
        ]

    out: dict[str, Column] = {}
    for start in range(0, len(expressions), width):
        for expression, column in _bisect(wide, expressions[start : start + width]).items():
            out[expression] = (
                column if isinstance(column, Column) else _by_rows(run, kind, expression, ids, keys)
            )
    return out


def run_guided(run: Runner, kind: str, expressions: list[str], duck: dict[str, Column]) -> dict[str, Column]:
    """Spark's columns, guided by DuckDB's: the forms that ran on every DuckDB row run as wide
    queries; a form that raised on some rows runs once over the others, and each raising row
    (up to ``_CHECKED`` of them) alone, to see Spark raise there too."""
    clean = [e for e in expressions if not any(isinstance(v, RowError) for v in duck[e].values)]
    out = run_forms(run, kind, clean)
    keys = _all_keys(kind)
    for expression in expressions:  # a raising window form: the whole table once, as on DuckDB
        if expression not in out and _windowed(kind, expression):
            out[expression] = _by_rows(run, kind, expression, [r[0] for r in ROWS], keys)
    raising: dict[tuple[Any, ...], list[str]] = {}  # the other forms, by the rows DuckDB raises on
    for expression in expressions:
        if expression not in out:
            marks = tuple(
                k for k, v in zip(keys, duck[expression].values, strict=True) if isinstance(v, RowError)
            )
            raising.setdefault(marks, []).append(expression)
    elsewhere: dict[str, Column] = {}  # scalar forms over the rows DuckDB does not raise on, as wide queries
    for marks, group in raising.items():
        rest = [r[0] for r in ROWS if r[0] not in marks]
        if rest and kind not in _GROUPED:
            elsewhere.update(run_forms(run, kind, group, rows=rest))
    for expression in expressions:
        if expression in out:
            continue
        failing = [k for k, v in zip(keys, duck[expression].values, strict=True) if isinstance(v, RowError)]
        ids = [r[0] for r in ROWS if (r[1] if kind in _GROUPED else r[0]) not in failing]
        values: dict[Any, Any] = {}
        kind_of = ""
        body = f"{expression} AS c0" if kind in _GROUPED else expression
        if ids:
            column = elsewhere.get(expression) or _by_rows(run, kind, expression, ids, keys)
            if column.invalid:
                out[expression] = column
                continue
            kind_of = column.type
            values.update({k: v for k, v in zip(keys, column.values, strict=True) if k not in failing})
        unchecked = 0
        for n, key in enumerate(failing):
            if n >= _CHECKED:
                unchecked += 1
                values[key] = RowError("not checked on Spark")
                continue
            part = [r[0] for r in ROWS if (r[1] if kind in _GROUPED else r[0]) == key]
            result = run(_select(kind, [body], part))
            if result[1] is True:
                out[expression] = Column(invalid=str(result[0]))
                break
            if isinstance(result[0], str):
                values[key] = RowError(str(result[0]))
            else:
                kind_of = kind_of or result[0][1]
                values[key] = result[1][0][1]
        else:
            out[expression] = Column(
                type=kind_of, values=tuple(values.get(k) for k in keys), unchecked=unchecked
            )
    return out


def _windowed(kind: str, expression: str) -> bool:
    """A window form: its value on a row depends on the other rows, so it is never split by rows."""
    return kind == "window" or " OVER (" in expression


def _by_rows(run: Runner, kind: str, expression: str, ids: list[int], keys: list[Any]) -> Column:
    """A failing form's values row by row: each row's value, or the error it raises (a window form:
    every row raises, as the query over the whole table does)."""
    body = f"{expression} AS c0" if kind in _GROUPED else expression
    first = run(_select(kind, [body], ids))
    if first[1] is True:
        return Column(invalid=str(first[0]))
    if not isinstance(first[0], str):
        found = {r[0]: r[1] for r in first[1]}
        return Column(type=first[0][1], values=tuple(found.get(k) for k in keys))
    values: dict[Any, Any] = {}
    types: list[str] = []

    def rows(part: list[int], split: bool = True) -> None:
        result = run(_select(kind, [body], part))
        if isinstance(result[0], str):
            if len(part) == 1 or not split:
                values.update({k: RowError(str(result[0])) for k in _keys(kind, part)})
                return
            half = len(part) // 2
            rows(part[:half])
            rows(part[half:])
            return
        types[:] = [result[0][1]]
        values.update({r[0]: r[1] for r in result[1]})

    if kind in _GROUPED:  # a group's value needs all its rows: one query per group
        for key in keys:
            rows([r[0] for r in ROWS if r[1] == key], split=False)
    else:
        rows(ids, split=not _windowed(kind, expression))
    return Column(type=types[0] if types else "", values=tuple(values.get(k) for k in keys))


def _all_keys(kind: str) -> list[Any]:
    """The rows' ids, or the groups (and CUBE's total) of a grouped form."""
    if kind not in _GROUPED:
        return [r[0] for r in ROWS]
    return sorted({r[1] for r in ROWS}) + ([None] if kind == "cube" else [])


def _keys(kind: str, ids: list[int]) -> list[Any]:
    return [r[1] for r in ROWS if r[0] in ids] if kind in _GROUPED else ids


# -- comparing ------------------------------------------------------------------------


def compare(form: Form, spark: Column, mine: Column) -> FormOutcome:
    if mine.invalid:
        return FormOutcome(form=form, status=Status.MISMATCH, detail=f"DuckDB: {mine.invalid}")
    relation = type_relation(spark.type, mine.type) if spark.type and mine.type else Status.IDENTICAL
    if relation is None:
        return FormOutcome(form=form, status=Status.MISMATCH, spark_type=spark.type,
                           detail=f"type: Spark {spark.type}, DuckDB {mine.type}")  # fmt: skip
    diffs, refused_rows, errors, compared, refusal = [], 0, 0, 0, ""
    for n, (a, b) in enumerate(zip(spark.values, mine.values, strict=True)):
        if isinstance(a, RowError) or isinstance(b, RowError):
            if isinstance(a, RowError) and isinstance(b, RowError):
                errors += 1
            elif isinstance(b, RowError) and RUNTIME_REFUSAL in b.message:
                refused_rows += 1
                refusal = refusal or b.message
            else:
                diffs.append(f"row {n + 1}: Spark {_show(a)} DuckDB {_show(b)}")
            continue
        compared += 1
        a, b = _comparable(form, spark.type, a), _comparable(form, spark.type, b)
        if not values_equal(a, b)[0] or (isinstance(a, float) and values_equal(a, b)[1]):
            diffs.append(f"row {n + 1}: Spark {_show(a)} DuckDB {_show(b)}")
    if diffs:
        return FormOutcome(
            form=form, status=Status.MISMATCH, spark_type=spark.type, detail="; ".join(diffs[:3])
        )
    if refused_rows and not compared:  # refused on every row it runs on: a refusal, not a match
        reason = refusal.split(RUNTIME_REFUSAL, 1)[-1].strip(" :")
        return FormOutcome(form=form, status=Status.REFUSED, detail=f"refused when run: {reason[:160]}")
    errors -= spark.unchecked
    notes = [f"{errors} rows raise on both"] if errors else []
    if spark.unchecked:
        notes.append(f"{spark.unchecked} more rows raise on DuckDB (not run alone on Spark)")
    if refused_rows:
        notes.append(f"{refused_rows} rows refused when run")
    status = Status.WIDER if relation is Status.WIDER else Status.IDENTICAL
    if status is Status.WIDER:
        notes.append(f"DuckDB type {mine.type}")
    return FormOutcome(form=form, status=status, spark_type=spark.type, detail=", ".join(notes))


# Spark leaves the order of these results undefined (a hash set's order): compared as sets
UNORDERED = frozenset({"collect_set"})


def _comparable(form: Form, spark_type: str, value: Any) -> Any:
    """A map's entries in key order (PySpark's map conversion loses Spark's order); an unordered
    result's elements sorted."""
    if isinstance(value, dict) and spark_type.upper().startswith("MAP"):
        return dict(sorted(value.items(), key=lambda kv: repr(kv[0])))
    if isinstance(value, list) and form.function in UNORDERED:
        return sorted(value, key=repr)
    return value


def _show(value: Any) -> str:
    text = f"error ({value.message.split(':')[0]})" if isinstance(value, RowError) else repr(value)
    return text if len(text) < 60 else text[:57] + "..."


# -- the evaluation -------------------------------------------------------------------


def _not_counted(function: Function, deterministic: bool) -> str | None:
    if function.group in NOT_COUNTED:
        kind = "generator" if function.group == "generator_funcs" else "table function"
        return f"not counted: {kind}"
    if function.name in ENVIRONMENT or not deterministic:
        return "not counted: non-deterministic"
    return None


def evaluate_functions(
    spark: Any, con: duckdb.DuckDBPyConnection, functions: Sequence[Function]
) -> list[Verdict]:
    before = spark.conf.get(TIME_TYPE, "false")
    spark.conf.set(TIME_TYPE, "true")
    # the engine mirrors the setting (time_type.ENABLED_ENV); off, both sides refuse every TIME function
    env_before = os.environ.get(ENABLED_ENV)
    os.environ[ENABLED_ENV] = "true"
    try:
        return _evaluate(spark, con, functions)
    finally:
        spark.conf.set(TIME_TYPE, before)
        if env_before is None:
            os.environ.pop(ENABLED_ENV, None)
        else:
            os.environ[ENABLED_ENV] = env_before


def _evaluate(spark: Any, con: duckdb.DuckDBPyConnection, functions: Sequence[Function]) -> list[Verdict]:
    load_spark(spark)
    calls = [c for f in functions for c in calls_of(f)]
    types, nondeterministic = argument_types(spark, calls)
    typed = [Call(**{**c.__dict__, "types": t}) for c, t in zip(calls, types, strict=True)]
    by_function: dict[str, list[Call]] = {}
    for call in typed:
        by_function.setdefault(call.function, []).append(call)
    verdicts: dict[str, Verdict] = {}
    pending: dict[str, list[Form]] = {"scalar": [], "agg": [], "window": [], "cube": []}
    for function in functions:
        skip = _not_counted(function, function.name not in nondeterministic)
        verdicts[function.name] = Verdict(function=function, verdict=skip or "")
        if skip:
            continue
        for form in forms_of(function, by_function.get(function.name, [])):
            if form.expression.replace(" ", "") in _ENVIRONMENT_FORMS:
                continue
            body = f"{form.expression} AS c0" if form.kind in _GROUPED else form.expression
            _, refusal = translate(_select(form.kind, [body]))
            if refusal:
                verdicts[function.name].forms.append(
                    FormOutcome(form=form, status=Status.REFUSED, detail=_reason(refusal))
                )
            else:
                pending[form.kind].append(form)
    for kind, forms in pending.items():
        expressions = list(dict.fromkeys(f.expression for f in forms))
        # one form per DuckDB query: its translation is the cached one of the refusal check
        on_duckdb = run_forms(duckdb_runner(con), kind, expressions, width=1)
        on_spark = run_guided(spark_runner(spark), kind, expressions, on_duckdb)
        for form in forms:
            if on_spark[form.expression].invalid:
                continue
            verdicts[form.function].forms.append(
                compare(form, on_spark[form.expression], on_duckdb[form.expression])
            )
    return [_conclude(verdicts[f.name]) for f in functions]


def _reason(message: str) -> str:
    return message.split(" is refused: ", 1)[-1].split(". The embedded DuckDB engine", 1)[0]


def _conclude(verdict: Verdict) -> Verdict:
    if verdict.verdict:
        return verdict
    statuses = [f.status for f in verdict.forms]
    ran = [f for f in verdict.forms if f.status is not Status.REFUSED]
    refused = [f for f in verdict.forms if f.status is Status.REFUSED]
    if Status.MISMATCH in statuses:
        bad = next(f for f in verdict.forms if f.status is Status.MISMATCH)
        verdict.verdict, verdict.detail = "MISMATCH", f"`{bad.form.expression}`: {bad.detail}"
    elif ran:
        verdict.verdict = "identical values, wider type" if Status.WIDER in statuses else "identical"
        types = sorted({c for f in ran for c in re.findall(r"\b(s2?|i|k|n|d|dec|b|dt|ts|bin|arr|sarr|m|g|id|tm)\b",
                                                          f.form.expression)})  # fmt: skip
        verdict.detail = f"{len(ran)} forms over columns {', '.join(types) or '(literals)'}"
        if refused:
            verdict.detail += f"; refused: `{refused[0].form.expression}` ({refused[0].detail})"
        if verdict.function.name in UNORDERED:
            verdict.detail += " (compared as sets: Spark leaves the order undefined)"
    elif refused:
        verdict.verdict, verdict.detail = "refused", refused[0].detail
    else:
        verdict.verdict, verdict.detail = "refused", "no form of it runs on Spark over the inputs"
    return verdict
