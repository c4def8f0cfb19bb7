"""Spark's element type of a constructor or branch expression, where the translation can know it.

``array(...)``, ``map(...)``, ``coalesce``, ``if``, ``CASE``, ``greatest``/``least``, ``nvl2`` and
``IN`` cast their arguments to one type: Spark's ``findWiderCommonType`` under ANSI
(``AnsiTypeCoercion``). DuckDB unifies by its own rules, which differ: a STRING with an INT is
BIGINT in Spark (the string cast), an INT with a FLOAT is DOUBLE, a BIGINT widens to
DECIMAL(20,0) (DuckDB: 19 digits), :func:`spark_type` is the Spark type of an argument whose type follows from the
expression alone (a literal, a CAST, a nested constructor of those, a function of a fixed
STRING/BINARY result per :func:`.types.static_kind`); :func:`wider` is Spark's rule for two
types. Types are Spark's SQL names: ``INT``, ``DECIMAL(11,1)``, ``ARRAY<BIGINT>``,
``MAP<STRING,INT>``.
"""

from __future__ import annotations

import re

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.types import Kind, static_kind

__all__ = ["spark_type", "wider", "wider_all"]

_INTEGRAL = ("TINYINT", "SMALLINT", "INT", "BIGINT")
_DIGITS = {"TINYINT": 3, "SMALLINT": 5, "INT": 10, "BIGINT": 20}  # Spark's DecimalType.forType
_FRACTIONAL = ("FLOAT", "DOUBLE")
_ATOMIC = {"BOOLEAN", "DATE", "TIMESTAMP", "BINARY", "STRING"}
_D = exp.DataType.Type
_CAST_NAMES = {
    _D.TINYINT: "TINYINT", _D.SMALLINT: "SMALLINT", _D.INT: "INT", _D.BIGINT: "BIGINT", _D.FLOAT: "FLOAT",
    _D.DOUBLE: "DOUBLE", _D.BOOLEAN: "BOOLEAN", _D.DATE: "DATE", _D.TIMESTAMPTZ: "TIMESTAMP",
    _D.BINARY: "BINARY", _D.VARBINARY: "BINARY", _D.TEXT: "STRING", _D.VARCHAR: "STRING",
}  # fmt: skip
_DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")
_MAX = 38


def spark_type(node: exp.Expr | None) -> str | None:
    """The Spark type of ``node`` when the expression alone fixes it, else None."""
    if isinstance(node, exp.Paren | exp.Neg):
        return spark_type(node.this)
    if isinstance(node, exp.Null) or (isinstance(node, exp.Anonymous) and node.name.lower() == "error"):
        return "NULL"  # error(...) (a guard's branch) yields no value
    if isinstance(node, exp.Literal):
        return "STRING" if node.is_string else _number(node.name)
    if isinstance(node, exp.Boolean):
        return "BOOLEAN"
    if isinstance(node, exp.HexString):
        return "BINARY"
    if isinstance(node, exp.Cast):
        return _cast_type(node.to)
    if isinstance(node, exp.Array):
        element = wider_all([spark_type(e) for e in node.expressions]) if node.expressions else None
        return f"ARRAY<{element}>" if element else None
    if isinstance(node, exp.VarMap):
        keys, values = (spark_type(node.args.get(k)) for k in ("keys", "values"))
        return f"MAP<{keys[6:-1]},{values[6:-1]}>" if keys and values else None
    kind = static_kind(node)
    return {Kind.STRING: "STRING", Kind.BINARY: "BINARY"}.get(kind) if kind else None  # type: ignore[arg-type]


def _number(text: str) -> str | None:
    """Spark's type of a numeric literal: INT, BIGINT or DECIMAL(n,0) by range; DECIMAL(p,s) with a point."""
    if re.fullmatch(r"\d+", text):
        value = int(text)
        if value <= 2**31 - 1:
            return "INT"
        if value <= 2**63 - 1:
            return "BIGINT"
        digits = len(text.lstrip("0"))
        return f"DECIMAL({digits},0)" if digits <= _MAX else None
    point = re.fullmatch(r"(\d*)\.(\d*)", text)
    if point is None:
        return "DOUBLE" if re.fullmatch(r"[\d.]+[eE][-+]?\d+", text) else None
    scale = len(point.group(2))
    precision = max(len((point.group(1) + point.group(2)).lstrip("0")) or 1, scale)
    return f"DECIMAL({precision},{scale})" if precision <= _MAX else None


def _cast_type(to: exp.DataType) -> str | None:
    if to.this == _D.DECIMAL:
        params = [p.name for p in to.expressions]
        return f"DECIMAL({params[0] if params else 10},{params[1] if len(params) > 1 else 0})"
    if to.this == _D.ARRAY and to.expressions:
        element = _cast_type(to.expressions[0])
        return f"ARRAY<{element}>" if element else None
    return _CAST_NAMES.get(to.this)


def wider_all(types: list[str | None], *, strings: bool = True) -> str | None:
    """``findWiderCommonType`` (or, ``strings=False``, ``findWiderTypeWithoutStringPromotion``)."""
    result: str | None = "NULL"
    for kind in types:
        if kind is None or result is None:
            return None
        result = wider(result, kind, strings=strings)
    return result


def wider(a: str, b: str, *, strings: bool = True) -> str | None:
    """``AnsiTypeCoercion.findWiderTypeForTwo``: None where Spark has no common type."""
    if a == b or b == "NULL":
        return a
    if a == "NULL":
        return b
    numeric = _numeric(a, b)
    if numeric is not None:
        return numeric
    if {a, b} == {"DATE", "TIMESTAMP"}:
        return "TIMESTAMP"
    if strings and "STRING" in (a, b):
        return _string_promotion(b if a == "STRING" else a)
    for head in ("ARRAY<", "MAP<"):
        if a.startswith(head) and b.startswith(head):
            return _complex(head, a, b, strings)
    return None


def _numeric(a: str, b: str) -> str | None:
    if not (_is_numeric(a) and _is_numeric(b)):
        return None
    if a in _INTEGRAL and b in _INTEGRAL:
        return max(a, b, key=_INTEGRAL.index)
    if a in _FRACTIONAL or b in _FRACTIONAL:
        return "DOUBLE"  # FLOAT with FLOAT is caught above; with anything else Spark's ANSI rule is DOUBLE
    return _wider_decimal(_as_decimal(a), _as_decimal(b))


def _is_numeric(kind: str) -> bool:
    return kind in _INTEGRAL or kind in _FRACTIONAL or _DECIMAL.fullmatch(kind) is not None


def _as_decimal(kind: str) -> tuple[int, int]:
    if kind in _DIGITS:
        return _DIGITS[kind], 0
    match = _DECIMAL.fullmatch(kind)
    assert match is not None
    return int(match.group(1)), int(match.group(2))


def _wider_decimal(a: tuple[int, int], b: tuple[int, int]) -> str:
    """``DecimalPrecision.widerDecimalType``: the larger integer part and scale; past 38 digits Spark 4
    keeps the integer digits and drops scale (``boundedPreferIntegralDigits``)."""
    scale = max(a[1], b[1])
    whole = max(a[0] - a[1], b[0] - b[1])
    return f"DECIMAL({min(whole + scale, _MAX)},{max(0, scale - max(0, whole + scale - _MAX))})"


def _string_promotion(other: str) -> str | None:
    """A STRING meeting ``other``: BIGINT for integers, DOUBLE for fractions, else the other atomic type."""
    if other in _INTEGRAL:
        return "BIGINT"
    if _is_numeric(other):
        return "DOUBLE"
    return other if other in _ATOMIC else None


def _complex(head: str, a: str, b: str, strings: bool) -> str | None:
    if head == "ARRAY<":
        element = wider(a[6:-1], b[6:-1], strings=strings)
        return f"ARRAY<{element}>" if element else None
    left, right = _map_parts(a), _map_parts(b)
    if left is None or right is None:
        return None
    key, value = wider(left[0], right[0], strings=strings), wider(left[1], right[1], strings=strings)
    return f"MAP<{key},{value}>" if key and value else None


def _map_parts(kind: str) -> tuple[str, str] | None:
    """``MAP<K,V>`` split at its top-level comma."""
    depth = 0
    for i, char in enumerate(kind[4:-1], start=4):
        depth += (char in "<(") - (char in ">)")
        if char == "," and depth == 0:
            return kind[4:i], kind[i + 1 : -1]
    return None
