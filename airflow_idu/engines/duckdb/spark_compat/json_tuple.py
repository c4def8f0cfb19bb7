"""``json_tuple(json, f1, ..., fn)`` in a SELECT list: n columns (``c0``... or the ``AS (a, b)`` names).

Spark's ``JsonTupleEvaluator`` reads the text with Jackson (the factory of ``get_json_object``:
control characters and single quotes allowed): unless the first token opens an object, every column
is NULL; then it reads the object's fields, and each requested name takes the value of its field
(a later field of the same name overwrites it, unless that one holds JSON ``null``): a string as its
text (written raw), anything else re-serialized by Jackson (:func:`.json_path._write`; a character
beyond U+FFFF in its strings as two ``\\uXXXX`` escapes, as Jackson's UTF-8 generator writes it). Malformed JSON anywhere in
the object makes every column NULL; what follows the object is not read. Python's ``json`` reads the
same first value (:mod:`.json_path`); refused when run: a value holding a fraction (Jackson prints
Java's double digits), single-quoted strings, text that is not a STRING. ``LATERAL VIEW json_tuple(...)
v AS a, b`` (one row per row) is a ``CROSS JOIN LATERAL`` subquery of the columns (the only LATERAL VIEW
of its SELECT); json_tuple inside an expression, or beside another generator, is refused when translated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.json_path import (
    _DECODER,
    _Fraction,
    _Pairs,
    _write,
    utf8_generator_text,
)
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

if TYPE_CHECKING:
    import duckdb

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "anonymous_check", "json_tuple", "json_tuple_value"]

ANONYMOUS: frozenset[str] = frozenset({"json_tuple"})
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
_WHITESPACE = " \t\n\r"


def _refuse(why: str) -> RuntimeError:
    return RuntimeError(
        f"[IDU_REFUSED] json_tuple {why}; use get_json_object(json, '$.name') where it applies"
    )


def json_tuple_value(document: str | None, kind: str, field: str | None, field_kind: str) -> str | None:
    """The column of ``field`` of ``json_tuple(document, ..., field, ...)``; ``kind``s are DuckDB's types."""
    if kind != "VARCHAR" or field_kind != "VARCHAR":
        raise _refuse(f"of a {kind if kind != 'VARCHAR' else field_kind} argument: Spark takes only STRINGs")
    if document is None or field is None:
        return None
    trimmed = document.lstrip(_WHITESPACE)
    if not trimmed.startswith("{"):
        return None  # the first token does not open an object (or is malformed)
    try:
        value, _ = _DECODER.raw_decode(trimmed)
    except RecursionError:
        raise _refuse("of JSON nested deeper than Python reads") from None
    except ValueError:
        if "'" in trimmed:
            raise _refuse("of JSON with single-quoted strings (Spark's Jackson reads them)") from None
        return None
    assert isinstance(value, _Pairs)
    found = None
    for key, item in value:
        if key == field and item is not None:
            found = item
    if found is None:
        return None
    if isinstance(found, _Fraction):
        raise _refuse("of a number with a fraction (Jackson prints Java's digits)")
    try:
        result = found if isinstance(found, str) else utf8_generator_text(_write(found))
    except RuntimeError:
        raise _refuse("of a value holding a number with a fraction (Jackson prints Java's digits)") from None
    if any("\ud800" <= c <= "\udfff" for c in result):
        raise _refuse("of a string holding an unpaired UTF-16 surrogate escape")
    return result


_GENERATORS = tuple(getattr(exp, n) for n in ("Explode", "ExplodeOuter", "Posexplode", "PosexplodeOuter", "Inline",
                                                "Stack", "Unnest") if hasattr(exp, n))  # fmt: skip


def _generators(select: exp.Select) -> int:
    """How many generators ``select``'s list holds (Spark allows one per SELECT)."""
    found = 0
    for item in select.expressions:
        for node in item.walk():
            named = isinstance(node, exp.Anonymous) and node.name.lower() in ("json_tuple", "stack", "inline")
            found += bool(named or isinstance(node, _GENERATORS))
    return found


def _shape(node: exp.Anonymous) -> tuple[exp.Expr, list[str]] | str:
    """The projection json_tuple stands in and its columns' names, or why it is refused."""
    fields = len(node.expressions) - 1
    holder = node.parent
    if fields < 1:
        return "json_tuple without a field name"
    select = holder.parent if isinstance(holder, (exp.Alias, exp.Aliases)) else holder
    if isinstance(select, exp.Select) and _generators(select) > 1:
        return "json_tuple beside another generator in one SELECT list (Spark fails)"
    if isinstance(holder, exp.Select) and node.arg_key == "expressions":
        return node, [f"c{i}" for i in range(fields)]
    if (
        isinstance(holder, exp.Alias)
        and isinstance(holder.parent, exp.Select)
        and holder.arg_key == "expressions"
    ):
        return (
            (holder, [holder.alias])
            if fields == 1
            else "json_tuple of several fields with one alias (Spark fails)"
        )
    if (
        isinstance(holder, exp.Aliases)
        and isinstance(holder.parent, exp.Select)
        and holder.arg_key == "expressions"
    ):
        names = [a.name for a in holder.expressions]
        return (holder, names) if len(names) == fields else "json_tuple with as many aliases as fields only"
    if isinstance(holder, exp.Lateral) and holder.args.get("view") and isinstance(holder.parent, exp.Select):
        alias = holder.args.get("alias")
        if len(holder.parent.args.get("laterals") or []) > 1 or not isinstance(alias, exp.TableAlias):
            return "LATERAL VIEW json_tuple beside another LATERAL VIEW, or without a table alias"
        names = [c.name for c in alias.columns] or [f"c{i}" for i in range(fields)]
        return (
            (holder, names)
            if len(names) == fields
            else "LATERAL VIEW json_tuple with as many aliases as fields only"
        )
    return "json_tuple (a generator) other than as an item of a SELECT list or a LATERAL VIEW (inside an expression)"


def anonymous_check(node: exp.Anonymous) -> str | None:
    found = _shape(node)
    return found if isinstance(found, str) else None


def _columns(node: exp.Anonymous, names: list[str]) -> list[exp.Expr]:
    document, *fields = node.expressions
    return [
        exp.alias_(
            _call(
                "idu_json_tuple",
                exp.cast(document.copy(), "VARCHAR"),
                _call("typeof", document.copy()),
                exp.cast(field.copy(), "VARCHAR"),
                _call("typeof", field.copy()),
            ),
            exp.to_identifier(name),
        )
        for field, name in zip(fields, names, strict=True)
    ]


@gated(names=("json_tuple",))
def json_tuple(tree: exp.Expr) -> exp.Expr:
    """Replace each json_tuple item of a SELECT list by its columns (one Python call per field)."""
    for node in list(tree.find_all(exp.Anonymous)):
        if node.name.lower() != "json_tuple":
            continue
        found = _shape(node)
        assert not isinstance(found, str)  # checked in allowed.py
        item, names = found
        select = item.parent
        assert isinstance(select, exp.Select)
        if isinstance(item, exp.Lateral):  # one row per row: a lateral subquery of its columns
            view = exp.Lateral(
                this=exp.select(*_columns(node, names)).subquery(),
                alias=exp.TableAlias(this=item.args["alias"].this.copy()),
            )
            item.pop()
            select.append("joins", exp.Join(this=view, kind="CROSS"))
            continue
        at = next(i for i, e in enumerate(select.expressions) if e is item)
        select.set(
            "expressions", [*select.expressions[:at], *_columns(node, names), *select.expressions[at + 1 :]]
        )
    return tree


def register_json_tuple(con: duckdb.DuckDBPyConnection) -> None:
    from duckdb import sqltypes as t

    register_udf(
        con, "idu_json_tuple", json_tuple_value, [t.VARCHAR, t.VARCHAR, t.VARCHAR, t.VARCHAR], t.VARCHAR
    )
