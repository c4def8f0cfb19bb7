"""Spark's ``variant_get``/``try_variant_get``: a path into a VARIANT and a cast of what it finds.

The path is Spark's ``VariantPathParser`` (spark-catalyst 4.3, no whitespace skipped): ``$``, then
any of ``.key`` (up to the next ``.`` or ``[``), ``['key']``, ``["key"]`` and ``[digits]`` (an INT:
more is an invalid path); an invalid path raises in both forms. A key of a non-object, an index of
a non-array, a missing key or an index past the end gives NULL.

The cast (``VariantGet.cast``): a JSON null is NULL for every type; to STRING a string is itself and
anything else its JSON text (:func:`.variant_values.to_json_text`); to BOOLEAN a number is ``<> 0``;
to an integer type a boolean is 1/0, an integer is range-checked, a DECIMAL truncated towards zero
and range-checked; to ``DECIMAL(p,s)`` a number is rounded half up to ``s`` digits and must fit
``p``, a boolean is 1/0; to DOUBLE a number is the nearest DOUBLE (correctly rounded, as Java's
``BigDecimal.doubleValue``), a boolean 1.0/0.0, a string of plain decimal digits its nearest DOUBLE
(other strings, which Spark's cast reads in ways of its own, are refused when run). A string to an integer type is Spark's ANSI parse (an optional sign and
digits) and to BOOLEAN ``t true y yes 1`` / ``f false n no 0`` (any case); a string with whitespace,
control or non-ASCII characters there (Spark trims some of them) and a string to DECIMAL are refused
when run. An object or array to anything but STRING, and every other failing cast, raise in
``variant_get`` and give NULL in ``try_variant_get``.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from airflow_idu.engines.duckdb.spark_compat.variant_values import (
    VariantError,
    parse_variant,
    refuse,
    to_json_text,
)

__all__ = ["INTEGER_RANGES", "parse_path", "schema_of_json_text", "schema_of_json_texts", "variant_get"]

INTEGER_RANGES = {
    "tinyint": (-(2**7), 2**7 - 1),
    "smallint": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
_INDEX = re.compile(r"\[([0-9]+)\]")
_DOT_KEY = re.compile(r"\.([^.\[]+)")
_QUOTED_KEY = re.compile(r"\['([^']*)'\]|\[\"([^\"]*)\"\]")
_TRUE = frozenset({"t", "true", "y", "yes", "1"})
_FALSE = frozenset({"f", "false", "n", "no", "0"})
_DIGITS = re.compile(r"[+-]?[0-9]+")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_DECIMAL_TYPE = re.compile(r"decimal\((\d+),(\d+)\)")


def parse_path(path: str) -> list[str | int]:
    """The segments of a Spark variant path (key: str, index: int); VariantError if invalid."""
    if not path.startswith("$"):
        raise VariantError(f"variant_get: invalid path {path!r}")
    segments: list[str | int] = []
    at = 1
    while at < len(path):
        dot, quoted, index = (p.match(path, at) for p in (_DOT_KEY, _QUOTED_KEY, _INDEX))
        if dot:
            segments.append(dot.group(1))
        elif quoted:
            segments.append(quoted.group(1) if quoted.group(1) is not None else quoted.group(2))
        elif index and int(index.group(1)) <= 2**31 - 1:
            segments.append(int(index.group(1)))
        else:
            raise VariantError(f"variant_get: invalid path {path!r}")
        at = (dot or quoted or index).end()  # type: ignore[union-attr]
    return segments


def _find(value: Any, segments: list[str | int]) -> tuple[bool, Any]:
    for segment in segments:
        is_key = isinstance(segment, str) and isinstance(value, dict) and segment in value
        if not (is_key or (isinstance(segment, int) and isinstance(value, list) and segment < len(value))):
            return False, None
        value = value[segment]
    return True, value


def _string_source(value: str, target: str) -> Any:
    if any(ch <= " " or not ch.isascii() or ch == "\x7f" for ch in value):
        raise refuse(f"variant_get of a string with whitespace, control or non-ASCII characters to {target}")
    if target == "boolean":
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise VariantError(f"variant_get: {value!r} is not a BOOLEAN")
    if target == "double" and _PLAIN_NUMBER.fullmatch(value):
        return Decimal(value)  # Java's parseDouble and Python's float: both correctly rounded
    if target in INTEGER_RANGES and _DIGITS.fullmatch(value):
        return int(value)
    if target in INTEGER_RANGES:
        raise VariantError(f"variant_get: {value!r} is not an integer")
    raise refuse(f"variant_get of a string to {target.upper()}: only numbers cast exactly")


def _to_decimal(number: Decimal, precision: int, scale: int) -> str:
    with localcontext(prec=100):  # quantize is bounded by the context's precision (28 by default)
        rounded = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    if len(rounded.as_tuple().digits) > precision or abs(rounded) >= Decimal(10) ** (precision - scale):
        raise VariantError(f"variant_get: {number} does not fit DECIMAL({precision},{scale})")
    return format(rounded, "f")


def _cast(value: Any, target: str) -> str:
    """``value`` cast to ``target`` as text (DuckDB casts it to the type)."""
    if target == "string":
        return value if isinstance(value, str) else to_json_text(value)
    if isinstance(value, dict | list):
        raise VariantError(f"variant_get: an object or array is not a {target.upper()}")
    if isinstance(value, str):
        value = _string_source(value, target)
    if target == "boolean":
        return "true" if value else "false"
    number = Decimal(int(value)) if isinstance(value, bool) else Decimal(value)
    if target == "double":  # Java's BigDecimal.doubleValue: correctly rounded (seen on 4,000 DECIMALs)
        return repr(float(number))
    if target in INTEGER_RANGES:
        low, high = INTEGER_RANGES[target]
        whole = int(number.to_integral_value(rounding=ROUND_DOWN))
        if not low <= whole <= high:
            raise VariantError(f"variant_get: {value} does not fit {target.upper()}")
        return str(whole)
    found = _DECIMAL_TYPE.fullmatch(target)
    if found is None:
        raise refuse(f"variant_get to {target.upper()}")
    return _to_decimal(number, int(found.group(1)), int(found.group(2)))


def variant_get(variant: str | None, path: str | None, target: str, is_try: bool) -> str | None:
    """``(try_)variant_get(variant, path, target)`` as text; target ``variant``: Spark's JSON text."""
    if variant is None or path is None:
        return None
    segments = parse_path(path)  # an invalid path raises in try_variant_get too
    found, value = _find(parse_variant(variant), segments)
    if not found:
        return None
    if target == "variant":
        return to_json_text(value)
    if value is None:
        return None
    try:
        return _cast(value, target)
    except VariantError:
        if is_try:
            return None
        raise


_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def _field(name: str) -> str:
    """A field name as Spark's schema_of_variant writes it (seen on local Spark: ``1a`` is quoted)."""
    return name if _NAME.fullmatch(name) else "`" + name.replace("`", "``") + "`"


def _decimal_type(value: Decimal) -> tuple[int, int]:
    """(precision, scale) of a DECIMAL as Spark's schema sees it: without its trailing zeros."""
    if value == 0:
        return 1, 0
    _, digits, exponent = value.as_tuple()
    scale = -exponent if isinstance(exponent, int) else 0
    count = len(digits)
    while scale > 0 and digits[count - 1] == 0:
        count, scale = count - 1, scale - 1
    if scale < 0:  # an integral value written with an exponent: its digits and zeros
        count, scale = count - scale, 0
    return max(count, scale), scale


def _schema(value: Any) -> Any:
    """A value's schema as a tree: a type name, ("decimal", p, s), ("array", e), ("object", {k: t})."""
    if value is None:
        return "VOID"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, Decimal):
        return ("decimal", *_decimal_type(value))
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, list):
        element: Any = "VOID"
        for item in value:
            element = _merge(element, _schema(item))
        return ("array", element)
    return ("object", {k: _schema(v) for k, v in value.items()})


def _merge(a: Any, b: Any) -> Any:
    """Spark's ``mergeSchema`` of two variant schemas."""
    if a == b or b == "VOID":
        return a
    if a == "VOID":
        return b
    numbers = [("decimal", 20, 0) if t == "BIGINT" else t for t in (a, b)]
    if "DOUBLE" in numbers and all(
        t == "DOUBLE" or (isinstance(t, tuple) and t[0] == "decimal") for t in numbers
    ):
        return "DOUBLE"
    if all(isinstance(t, tuple) and t[0] == "decimal" for t in numbers):
        scale = max(numbers[0][2], numbers[1][2])
        whole = max(numbers[0][1] - numbers[0][2], numbers[1][1] - numbers[1][2])
        return ("decimal", whole + scale, scale) if whole + scale <= 38 else "DOUBLE"
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "array":
        return ("array", _merge(a[1], b[1]))
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "object":
        keys = sorted({*a[1], *b[1]}, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return ("object", {k: _merge(a[1].get(k, "VOID"), b[1].get(k, "VOID")) for k in keys})
    return "VARIANT"


def _schema_text(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    if schema[0] == "decimal":
        return f"DECIMAL({schema[1]},{schema[2]})"
    if schema[0] == "array":
        return f"ARRAY<{_schema_text(schema[1])}>"
    keys = sorted(schema[1], key=lambda k: k.encode("utf-16-be", "surrogatepass"))
    return "OBJECT<" + ", ".join(f"{_field(k)}: {_schema_text(schema[1][k])}" for k in keys) + ">"


def schema_of_json_texts(texts: list[str | None] | None, is_try: bool) -> str:
    """``schema_of_variant_agg(parse_json(text))`` over a group's texts: their schemas merged (a NULL,
    a try_parse_json NULL and an empty group add nothing: VOID)."""
    merged: Any = "VOID"
    for text in texts or []:
        if text is None:
            continue
        try:
            merged = _merge(merged, _schema(parse_variant(text)))
        except VariantError:
            if not is_try:
                raise
    return _schema_text(merged)


def schema_of_json_text(text: str | None, is_try: bool) -> str | None:
    """``schema_of_variant(parse_json(text))`` (``try_parse_json`` when ``is_try``), from the JSON text
    itself: the engine's VARIANT text no longer tells an integral DECIMAL (``1.0``) from an integer."""
    if text is None:
        return None
    try:
        value = parse_variant(text)
    except VariantError:
        if is_try:
            return None
        raise
    return _schema_text(_schema(value))
