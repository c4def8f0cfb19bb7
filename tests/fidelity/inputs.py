"""The generated inputs every catalogue expression runs over, loaded identically into Spark and DuckDB.

One row per awkward case: NULLs, empty strings, whitespace, unicode, a long string,
extreme numbers (BIGINT/INT limits, 1e308, NaN), dates far from today, a leap day,
a DST-gap wall time, empty and NULL arrays and maps. ``k`` is a small BIGINT for
arithmetic (``n`` holds the extremes, used only where nothing can overflow).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["COLUMNS", "ROWS", "TABLE"]

TABLE = "fid_in"

# (name, Spark type, DuckDB type)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "INT", "INTEGER"),
    ("g", "STRING", "VARCHAR"),
    ("s", "STRING", "VARCHAR"),
    ("s2", "STRING", "VARCHAR"),
    ("k", "BIGINT", "BIGINT"),
    ("n", "BIGINT", "BIGINT"),
    ("i", "INT", "INTEGER"),
    ("d", "DOUBLE", "DOUBLE"),
    ("dec", "DECIMAL(10,2)", "DECIMAL(10,2)"),
    ("b", "BOOLEAN", "BOOLEAN"),
    ("ts", "TIMESTAMP", "TIMESTAMP"),
    ("dt", "DATE", "DATE"),
    ("ds", "STRING", "VARCHAR"),
    ("arr", "ARRAY<BIGINT>", "BIGINT[]"),
    ("sarr", "ARRAY<STRING>", "VARCHAR[]"),
    ("m", "MAP<STRING,BIGINT>", "MAP(VARCHAR, BIGINT)"),
    ("bin", "BINARY", "BLOB"),
    ("f", "FLOAT", "FLOAT"),
)

_LONG = "ab" * 600 + "é"
_NAN = float("nan")

# fmt: off
ROWS: tuple[tuple[Any, ...], ...] = (
    (1, "a", "abc", "b", 7, 7, 3, 1.5, Decimal("10.25"), True, datetime(2024, 3, 5, 12, 34, 56),
     date(2024, 3, 5), "2024-03-05 12:34:56", [3, 1, 2], ["x", "y"], {"a": 1, "b": 2}, b'\x8c\xee\x01', 1.5),
    (2, "a", None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None),
    (3, "a", "", "", 0, 0, 0, 0.0, Decimal("0.00"), False, datetime(1970, 1, 1), date(1970, 1, 1),
     "1970-01-01 00:00:00", [], [], {}, b'', 0.0),
    (4, "b", "  padded  ", " ", -7, -7, -3, -2.5, Decimal("-3.75"), True, datetime(2024, 12, 31, 23, 59, 59),
     date(2024, 2, 29), "2024-02-29 00:00:00", [None, 5, 5], ["b", None, "a"], {"k": None}, b'abc', -2.25),
    (5, "b", "Ünïcödé straße ǅ", "ß", 3, 9223372036854775807, 2147483647, 1e308, Decimal("99999999.99"),
     False, datetime(1900, 1, 1), date(1900, 1, 1), "2038-01-19 03:14:07", [9223372036854775807], ["Ünï"],
     {"ü": 1}, bytes(range(60)), 65504.75),
    (6, "b", _LONG, "ab", 1000000, -9223372036854775808, -2147483648, 1e-300, Decimal("-99999999.99"),
     None, datetime(2100, 6, 15, 6, 0), date(2100, 6, 15), "2100-06-15 06:00:00", [2, 2, 1, None], ["", " "],
     {"a": 0, "z": -1}, b'\xc3\xa9', 0.1),
    (7, "c", "a,b,,c;d", ",", 1, 1, 1, 0.1, Decimal("0.01"), True, datetime(2024, 3, 10, 2, 30),
     date(2024, 1, 31), "2024-03-10 02:30:00", [1], ["a,b"], {"a": 1}, b'\x00\xff', -0.0),
    (8, "c", "Hello World-foo_bar 42", "o", 255, 255, 255, -0.0, Decimal("1.50"), False,
     datetime(2024, 2, 29, 0, 0, 1), date(2023, 12, 31), "2023-12-31 23:59:59", [10, -10], ["Hello", "World"],
     {"x": 255}, b'A', 0.001),
    (9, "c", "x\ty\nz  ", "y", -1, -1, -1, _NAN, Decimal("2.50"), True, datetime(2000, 1, 1, 0, 0),
     date(2000, 1, 1), "2000-01-01 00:00:00", [0], ["\t"], {"t": 9}, b'\xff', float('nan')),
    (10, "c", "123", "1.5", 12, 12, 12, 123.456, Decimal("-0.50"), None, datetime(1999, 12, 31, 23, 59, 59),
     date(1999, 12, 31), "1999-12-31 23:59:59", [12, 3], ["12", "3"], {"n": 12}, b'123', 123.456),
)
# fmt: on
