"""from_csv's conversions of one CSV record: Spark 4.3's rows (tests/fidelity/test_csv_reading.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from airflow_idu.engines.duckdb.spark_compat.csv_reading import from_csv
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement

AB = (("a", "INT"), ("b", "DOUBLE"))
ST = (("s", "STRING"), ("p", "BOOLEAN"), ("n", "BIGINT"))
CASES = [
    ("1, 0.8", AB, {"a": 1, "b": 0.8}),
    ("", AB, {"a": None, "b": None}),
    (None, AB, None),
    (" 42 ", AB, {"a": None, "b": None}),
    ("x,2,3", AB, {"a": None, "b": 2.0}),
    ("+42,1d", AB, {"a": 42, "b": 1.0}),
    ("2147483648,.5", AB, {"a": None, "b": 0.5}),
    ("1,-Inf", AB, {"a": 1, "b": -math.inf}),
    ("1,+Infinity", AB, {"a": 1, "b": math.inf}),
    ("1,nan", AB, {"a": 1, "b": None}),
    ("1,1_000", AB, {"a": 1, "b": None}),
    ("1,\u0663", AB, {"a": 1, "b": None}),
    (" x ,tRuE,9223372036854775807", ST, {"s": " x ", "p": True, "n": 9223372036854775807}),
    ("x\ty,yes,9223372036854775808", ST, {"s": "x\ty", "p": None, "n": None}),
    (",,", ST, {"s": None, "p": None, "n": None}),
]


@pytest.mark.parametrize(("text", "fields", "expected"), CASES, ids=lambda v: repr(v)[:30])
def test_spark_s_rows(text: str | None, fields: Any, expected: Any) -> None:
    assert from_csv(text, fields) == expected


def test_nan_spellings() -> None:
    for text in ("1,NaN", "1,-NaN", "1, NaN "):
        row = from_csv(text, AB)
        assert row is not None and math.isnan(row["b"])


@pytest.mark.parametrize("text", ['"1",2', "1\\,2", "1\n2", "1,0x1p3", "\u0661,2", "1,\r"])
def test_refused_when_run(text: str) -> None:
    with pytest.raises(ValueError, match=r"IDU_REFUSED"):
        from_csv(text, AB)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT from_csv(s, t) FROM x",
        "SELECT from_csv(s, 'a INT', map('sep', ';')) FROM x",
        "SELECT from_csv(s, 'a ARRAY<INT>') FROM x",
        "SELECT from_csv(s, 'a DATE') FROM x",
    ],
)
def test_refused_forms(sql: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(sql)
