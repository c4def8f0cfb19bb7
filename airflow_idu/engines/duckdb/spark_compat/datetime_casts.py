"""A STRING cast to DATE or TIMESTAMP, read as Spark reads it.

``CAST(s AS DATE)``, ``to_date(s)``, ``date(s)``, ``CAST(s AS TIMESTAMP)``, ``to_timestamp(s)``,
``timestamp(s)`` and ``try_cast`` of them went to DuckDB's own cast, whose grammar is not Spark's:
DuckDB read ``2024/03/05`` and ``2024 03 05`` as dates and ``2024-03-05 24:00:00`` as the next day
(Spark: no value; the ANSI cast raises), kept the wall time of ``2024-03-05T12:34:56+01:00`` (Spark:
11:34:56 UTC) and read no value from ``2024``, ``2024-03``, ``2024-03-05T10`` or
``2024-03-05 12`` (Spark: a date or timestamp), so ``try_cast`` gave NULL and the cast failed.

Text in the plain ISO form both read alike (``yyyy-MM-dd``, then for a DATE anything after a space
or ``T``; for a TIMESTAMP ``[( |T)HH:mm[:ss[.SSSSSS]]]`` with real hours, minutes and seconds) goes to
DuckDB's cast, the fast path. Any other text goes to Spark's grammar in Python
(:mod:`.datetime_parsing`, also behind ``try_to_date``): its value, or none (NULL for ``try_cast``,
``[CAST_INVALID_INPUT]`` for the ANSI cast), or ``[IDU_REFUSED]`` where Spark's value needs what the
engine does not model (a region's time zone, a time without a date, a year outside 1-9999).
Values of other types are cast as before.
"""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.nodes import macro
from airflow_idu.engines.duckdb.spark_compat.plain_args import plain_call

__all__ = ["DATETIME_CAST_MACROS", "ISO_TIMESTAMP", "cast_to_date", "try_cast_datetime"]

# yyyy-MM-dd[( |T)HH:mm[:ss[.SSSSSS]]] with hours 00-23, minutes and seconds 00-59: DuckDB's cast
# gives Spark's value (DuckDB reads 24:00:00 as the next day, Spark reads no value)
ISO_TIMESTAMP = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?)?"
)
# a DATE reads yyyy-MM-dd and ignores anything after a space or T (Spark's stringToDate)
_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?"


def _invalid(kind: str) -> str:
    return (
        f"error('[CAST_INVALID_INPUT] The value ''' || s || ''' of the type \"STRING\" cannot be cast to "
        f'"{kind}" because it is malformed\')'
    )


def _text_macro(name: str, kind: str, fast: str, fast_value: str, ansi: bool) -> str:
    """``name(s)``: text ``s`` read as ``kind`` (year 0 is Spark's proleptic year: the slow path refuses it)."""
    failed = _invalid(kind) if ansi else "NULL"
    udf = "idu_spark_date" if kind == "DATE" else "idu_spark_timestamp"
    return macro(
        f"{name}(s)",
        f"CASE WHEN s IS NULL THEN NULL WHEN regexp_full_match(s, '{fast}') AND NOT starts_with(s, '0000') "
        f"THEN {fast_value} ELSE coalesce({udf}(s), {failed}) END",
    )


def _macros(plain: str) -> tuple[str, ...]:
    """The macros, or their ``_plain`` forms for a column or literal argument, which binding.py leaves
    unbound (a bound argument costs a lambda per row: ``date_add(dt, 1)`` of a DATE column took 10
    times DuckDB's own; plain, the dispatch folds to DuckDB's cast when bound)."""
    return (
        _text_macro(f"idu_text_to_date{plain}", "DATE", _ISO_DATE, "CAST(left(s, 10) AS DATE)", ansi=True),
        _text_macro(
            f"idu_text_try_date{plain}", "DATE", _ISO_DATE, "TRY_CAST(left(s, 10) AS DATE)", ansi=False
        ),
        _text_macro(
            f"idu_text_to_timestamp{plain}", "TIMESTAMP", ISO_TIMESTAMP, "CAST(s AS TIMESTAMP)", ansi=True
        ),
        _text_macro(
            f"idu_text_try_timestamp{plain}",
            "TIMESTAMP",
            ISO_TIMESTAMP,
            "TRY_CAST(s AS TIMESTAMP)",
            ansi=False,
        ),
        macro(
            f"idu_to_date{plain}(x)",
            f"CASE WHEN typeof(x) = 'VARCHAR' THEN idu_text_to_date{plain}(CAST(x AS VARCHAR)) "
            "ELSE CAST(x AS DATE) END",
        ),
        macro(
            f"idu_try_cast_date{plain}(x)",
            f"CASE WHEN typeof(x) = 'VARCHAR' THEN idu_text_try_date{plain}(CAST(x AS VARCHAR)) "
            "ELSE TRY_CAST(x AS DATE) END",
        ),
        macro(
            f"idu_try_cast_timestamp{plain}(x)",
            f"CASE WHEN typeof(x) = 'VARCHAR' THEN idu_text_try_timestamp{plain}(CAST(x AS VARCHAR)) "
            "ELSE TRY_CAST(x AS TIMESTAMP) END",
        ),
    )


DATETIME_CAST_MACROS: tuple[str, ...] = (*_macros(""), *_macros("_plain"))

_T = exp.DataType.Type
# Spark's TIMESTAMP reads as sqlglot's TIMESTAMPTZ (as exact.py's CAST, which these follow)
_TRY = {
    _T.DATE: "idu_try_cast_date",
    **dict.fromkeys((_T.TIMESTAMP, _T.TIMESTAMPTZ, _T.TIMESTAMPLTZ), "idu_try_cast_timestamp"),
}


def cast_to_date(value: exp.Expr) -> exp.Expr:
    """``CAST(value AS DATE)`` (and ``to_date``/``date`` of one argument) with Spark's reading of text."""
    return plain_call("idu_to_date", value)


def try_cast_datetime(node: exp.Expr) -> exp.Expr:
    """``try_cast(x AS DATE/TIMESTAMP)`` with Spark's reading of text; other try_casts as written."""
    if not isinstance(node, exp.TryCast):
        return node
    name = _TRY.get(node.to.this) if not node.to.expressions else None
    return plain_call(name, node.this.copy()) if name else node
