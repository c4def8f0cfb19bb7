"""Engine-neutral types and values for the fidelity harness: Spark's type names as DuckDB
spells them, fetched values normalised, equality with the stated float tolerance."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "FLOAT_TOLERANCE",
    "NOW_TOLERANCE_SECONDS",
    "all_equal",
    "bits",
    "close_to_now",
    "duck_type",
    "duck_type_of_spark",
    "norm",
    "values_equal",
]

FLOAT_TOLERANCE = 1e-9  # relative, for DOUBLE results
NOW_TOLERANCE_SECONDS = 300  # current_timestamp() and friends: same type, within this of the test's clock

_SIMPLE = {
    "int": "INTEGER", "bigint": "BIGINT", "smallint": "SMALLINT", "tinyint": "TINYINT",
    "string": "VARCHAR", "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN",
    "date": "DATE", "timestamp": "TIMESTAMP", "timestamp_ntz": "TIMESTAMP", "binary": "BLOB",
    "interval day to second": "INTERVAL",  # a DuckDB INTERVAL of no months: the same span
    "time(6)": "TIME",  # Spark's TIME of microseconds, DuckDB's TIME
    "void": "NULL",  # DuckDB's type of NULL, as duck_type() prints it
    "variant": "JSON",  # the engine's VARIANT: Spark's JSON text of the value (spark_compat/variant.py)
}  # fmt: skip


def duck_type_of_spark(spark_type: str) -> str:
    """Spark's ``simpleString`` of a type as DuckDB spells the same type."""
    t = spark_type.strip()
    if t in _SIMPLE:
        return _SIMPLE[t]
    if t.startswith("decimal"):
        return t.upper().replace(" ", "")
    if t.startswith("array<"):
        return duck_type_of_spark(t[6:-1]) + "[]"
    if t.startswith("map<"):
        key, value = _split_top(t[4:-1])
        return f"MAP({duck_type_of_spark(key)}, {duck_type_of_spark(value)})"
    if t.startswith("struct<"):
        fields = [f.split(":", 1) for f in _split_top(t[7:-1])]
        return "STRUCT(" + ", ".join(f"{n} {duck_type_of_spark(k)}" for n, k in fields) + ")"
    return t.upper()


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += 1 if ch in "<(" else -1 if ch in ">)" else 0
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def duck_type(text: str) -> str:
    return re.sub(r'"(\w+)"', r"\1", text).replace("DECIMAL(", "DECIMAL(").replace(", ", ", ")


def _variant_text(value: Any) -> str:
    """A Spark VARIANT as Spark's own text (``to_json``): pyspark's ``toJson`` writes Python's."""
    from airflow_idu.engines.duckdb.spark_compat.variant_values import to_json_text

    def plain(v: Any) -> Any:  # a DOUBLE has Java's text, which the engine refuses: marked, never equal
        if isinstance(v, float):
            return f"<DOUBLE {v!r}>"
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return [plain(x) for x in v] if isinstance(v, list) else v

    return to_json_text(plain(value.toPython()))


def norm(value: Any) -> Any:
    if type(value).__name__ == "VariantVal":
        return _variant_text(value)
    if hasattr(value, "asDict"):  # a Spark Row (struct)
        return {k: norm(v) for k, v in value.asDict(recursive=False).items()}
    if isinstance(value, dict):
        return {norm(k): norm(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [norm(v) for v in value]
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def values_equal(a: Any, b: Any) -> tuple[bool, bool]:
    """(equal, needed the float tolerance)."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b), False
        if a == b:
            return True, math.copysign(1, a) != math.copysign(1, b)
        return math.isclose(a, b, rel_tol=FLOAT_TOLERANCE, abs_tol=1e-300), True
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return False, False
        return all_equal(list(a.values()), list(b.values()))
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False, False
        return all_equal(a, b)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return (type(a) is type(b) and a == b), False
    return type(a) is type(b) and a == b, False


def all_equal(a: Sequence[Any], b: Sequence[Any]) -> tuple[bool, bool]:
    tolerance = False
    for x, y in zip(a, b, strict=True):
        equal, tol = values_equal(x, y)
        if not equal:
            return False, False
        tolerance |= tol
    return True, tolerance


def close_to_now(value: Any) -> bool:
    now = datetime.now(UTC).replace(tzinfo=None)
    if isinstance(value, datetime):
        return abs((value - now).total_seconds()) < NOW_TOLERANCE_SECONDS
    if isinstance(value, date):
        return abs((value - now.date()).days) <= 1
    if isinstance(value, int):
        return abs(value - now.timestamp()) < NOW_TOLERANCE_SECONDS
    return False


def bits(value: Any) -> Any:
    """``value`` with every float as its exact bits (``float.hex``, NaN as ``"nan"``), through Spark
    rows, dicts and lists: a comparison that no rounding in printing can blur."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value.hex()
    if isinstance(value, dict):
        return {k: bits(v) for k, v in value.items()}
    if hasattr(value, "asDict"):
        return {k: bits(v) for k, v in value.asDict().items()}
    if isinstance(value, list):
        return [bits(v) for v in value]
    return value
