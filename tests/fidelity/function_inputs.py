"""The input table every Spark built-in function runs over (tests/fidelity/test_functions.py).

One column per argument type the functions take, 24 rows, each column holding NULL and
the awkward values of its type: '' and whitespace, Unicode (combining letters, CJK, emoji,
'ß', 'İ', 'Σ'), a 601-character string, numeric strings; INT and BIGINT limits, negatives,
NaN, ±Infinity, -0.0, subnormals; DECIMAL limits; dates and timestamps from 1900 to 2100
(leap days, DST-gap wall times, microseconds); binary values that are not UTF-8; empty
arrays, arrays holding NULL, empty maps. ``k`` is a small INT for size arguments
(``repeat``, ``lpad``, ``sequence``...), where INT_MAX would ask for gigabytes.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

__all__ = ["COLUMNS", "COLUMN_OF_TYPE", "ROWS", "TABLE"]

TABLE = "fn_in"

# (name, Spark type, DuckDB type)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "INT", "INTEGER"),
    ("g", "STRING", "VARCHAR"),
    ("s", "STRING", "VARCHAR"),
    ("s2", "STRING", "VARCHAR"),
    ("i", "INT", "INTEGER"),
    ("k", "INT", "INTEGER"),
    ("n", "BIGINT", "BIGINT"),
    ("d", "DOUBLE", "DOUBLE"),
    ("dec", "DECIMAL(10,2)", "DECIMAL(10,2)"),
    ("b", "BOOLEAN", "BOOLEAN"),
    ("dt", "DATE", "DATE"),
    ("ts", "TIMESTAMP", "TIMESTAMP"),
    ("bin", "BINARY", "BLOB"),
    ("arr", "ARRAY<INT>", "INTEGER[]"),
    ("sarr", "ARRAY<STRING>", "VARCHAR[]"),
    ("m", "MAP<STRING,INT>", "MAP(VARCHAR, INTEGER)"),
    ("tm", "TIME", "TIME"),  # Spark's TIME(6) (spark.sql.timeType.enabled)
)

# Spark's typeof() of an argument -> the column that replaces it
COLUMN_OF_TYPE: dict[str, str] = {
    "string": "s",
    "int": "i",
    "bigint": "n",
    "double": "d",
    "boolean": "b",
    "date": "dt",
    "timestamp": "ts",
    "binary": "bin",
    "array<int>": "arr",
    "array<string>": "sarr",
    "map<string,int>": "m",
    "time(6)": "tm",
}

_S = (
    "abc", None, "", "  padded  ", "Ünïcödé straße ǅ", "ß", "日本語テキスト", "😀 emoji 🎉", "Hello World-foo_bar 42",
    "a,b,,c;d", "123", "-45", "1.5", " 42 ", "NaN", "x\ty\nz", "O'Brien mcDonald", "Robert", "Rupert",
    "ab" * 300 + "é", "2024-03-05", "2024-03-05 12:34:56", "İstanbul ΣΑΣ", "\\d+ [a-z]* %_",
)  # fmt: skip
_S2 = (
    "b", None, "", " ", "ß", "straße", "語", "🎉", "o", ",", "12", "-", ".", "4", "nan", "y", "'", "Rupert", "Robert",
    "ab", "-", ":", "i", "%",
)  # fmt: skip
_I = (
    3, None, 0, -3, 2147483647, -2147483648, 1, -1, 255, 42, 12, 100, -100, 65, 7, 2, 1000, -1000, 31, 2147483646, 9,
    10, 16, 5,
)  # fmt: skip
_K = (3, None, 0, -3, 5, 1, 2, -1, 8, 10, 4, 6, 7, 20, 1, 2, 3, 9, 0, 11, 12, 1, 2, 15)
_N = (
    7, None, 0, -7, 9223372036854775807, -9223372036854775808, 1, -1, 255, 2147483648, -2147483649, 1000000, 42, 65,
    12, 4294967296, -4294967296, 1099511627776, 100, 3, 36, 9223372036854775806, -2, 16,
)  # fmt: skip
_NAN, _INF = float("nan"), float("inf")
_D = (
    1.5, None, 0.0, -2.5, 1e308, -1e308, 1e-300, -0.0, _NAN, _INF, -_INF, 0.1, 123.456, 2.5, 3.5, -0.5, 0.5, 1e16,
    -123.456, 5e-324, 1e20, 100.0, 1 / 3, 42.0,
)  # fmt: skip
_DEC = tuple(
    None if v is None else Decimal(v)
    for v in (
        "10.25", None, "0.00", "-3.75", "99999999.99", "-99999999.99", "0.01", "-0.01", "1.50", "2.50", "-2.50",
        "0.50", "123.45", "1.00", "-1.00", "3.14", "100.00", "0.05", "-0.05", "12345678.90", "2.55", "7.00", "0.99",
        "42.42",
    )
)  # fmt: skip
_B = (True, None, False, True, False, True, None, False, True, True, False, False, True, None, True, False, True,
      False, True, False, None, True, False, True)  # fmt: skip
_DT = tuple(
    None if v is None else date.fromisoformat(v)
    for v in (
        "2024-03-05", None, "1970-01-01", "1900-01-01", "2100-12-31", "2024-02-29", "2000-01-01", "1999-12-31",
        "2023-12-31", "2024-01-31", "2024-03-10", "1969-12-31", "2020-06-15", "2038-01-19", "2001-09-09", "1904-02-29",
        "2099-01-01", "2024-12-30", "2021-01-03", "2010-10-10", "1950-05-05", "2024-11-03", "2016-02-29", "1980-07-04",
    )
)  # fmt: skip
_TS = tuple(
    None if v is None else datetime.fromisoformat(v)
    for v in (
        "2024-03-05 12:34:56", None, "1970-01-01 00:00:00", "1900-01-01 00:00:00", "2100-12-31 23:59:59",
        "2024-02-29 12:00:00", "2000-01-01 00:00:00.000001", "1999-12-31 23:59:59.999999", "2024-03-10 02:30:00",
        "2024-11-03 01:30:00", "1969-12-31 23:59:59", "2020-06-15 06:07:08.123456", "2038-01-19 03:14:07",
        "2001-09-09 01:46:40", "1904-02-29 00:00:01", "2099-01-01 12:00:00", "2024-12-30 00:00:00",
        "2021-01-03 18:30:00", "2010-10-10 10:10:10.5", "1950-05-05 05:05:05", "2024-01-01 00:00:00",
        "2016-02-29 23:59:59", "1980-07-04 04:00:00", "2024-07-14 14:07:00",
    )
)  # fmt: skip
_BIN = (
    b"abc", None, b"", b"\x00", b"\xff", b"\x00\xff\x10", "Ünï".encode(), b"\x80\x81", b"Spark", bytes(range(16)),
    b"\xfe\xff", b" ", b"hello world", b"\x7f", b"123", "日".encode(), b"\x00\x00", b"ab" * 100, b"\x01\x02\x03\x04",
    b"\xc3\x28", b"A", b"-1", b"\n", b"\xde\xad\xbe\xef",
)  # fmt: skip
_ARR: tuple[list[int | None] | None, ...] = (
    [3, 1, 2], None, [], [None], [None, 5, 5], [2147483647], [-2147483648, 0], [1, 2, 3, 4, 5], [2, 2, 1, None],
    [10, -10], [0], [12, 3], [1], [5, 4, 3, 2, 1], [7, 7, 7], [None, None], [100], [-1, -2], [1, None, 3], [42, 42],
    [3], [8, 6], [9, 1, 9], [0, 0, 1],
)  # fmt: skip
_SARR: tuple[list[str | None] | None, ...] = (
    ["x", "y"], None, [], [None], ["b", None, "a"], ["Ünï"], ["", " "], ["a,b"], ["Hello", "World"], ["\t"],
    ["12", "3"], ["a", "a"], ["z"], ["日本"], ["c", "b", "a"], ["x", None], ["ab", "ba"], ["1"], ["A", "a"], ["😀"],
    ["q", "r", "s"], ["y"], ["k", "k", "j"], ["-"],
)  # fmt: skip
_M: tuple[dict[str, int | None] | None, ...] = (
    {"a": 1, "b": 2}, None, {}, {"k": None}, {"ü": 1}, {"a": 0, "z": -1}, {"x": 255}, {"t": 9}, {"n": 12},
    {"a": 1}, {"b": 2, "a": 1}, {"": 0}, {"日": 7}, {"x": -2147483648}, {"y": 2147483647}, {"q": 1, "r": 2, "s": 3},
    {"a": None, "b": None}, {" ": 1}, {"z": 26}, {"c": 3}, {"m": 13}, {"n": 14, "o": 15}, {"p": 16}, {"a": 42},
)  # fmt: skip

_TM = tuple(
    None if v is None else time.fromisoformat(v)
    for v in (
        "09:32:05.359", None, "00:00:00", "23:59:59.999999", "12:00:00", "00:00:00.000001", "14:30:00.5",
        "06:30:45.887", "20:30:29", "21:30:28", "12:34:56.000100", "01:02:03.123456", "23:00:00", "00:59:59.999",
        "13:25:59.999999", "11:27:00", "18:00:00.1", "07:07:07.070707", "00:30:00", "15:45:00", "22:22:22.22",
        "03:00:00.000999", "16:59:00", "10:10:10.5",
    )
)  # fmt: skip

ROWS: tuple[tuple[Any, ...], ...] = tuple(
    (n + 1, "abcd"[n // 6], *values)
    for n, values in enumerate(
        zip(_S, _S2, _I, _K, _N, _D, _DEC, _B, _DT, _TS, _BIN, _ARR, _SARR, _M, _TM, strict=True)
    )
)
