"""The TIME functions' refusals and Spark's string-to-TIME reading, without Spark (the values were
read from local Spark with spark.sql.timeType.enabled; tests/fidelity/test_time_functions.py compares
them there)."""

from __future__ import annotations

from datetime import time

import pytest

from airflow_idu.engines.duckdb.spark_compat.time_parsing import (
    spark_string_to_time,
    spark_string_to_time_format,
)
from airflow_idu.engines.duckdb.spark_compat.time_type import ENABLED_ENV
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement


@pytest.fixture(autouse=True)
def _time_type_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """These cases mirror a Spark with spark.sql.timeType.enabled on (the default is off, tested last)."""
    monkeypatch.setenv(ENABLED_ENV, "true")


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT time_trunc(u, t) FROM x", "time_trunc with a unit that is not a string literal"),
        ("SELECT time_trunc('DAY', t) FROM x", "time_trunc unit 'DAY': Spark's units are HOUR, MINUTE"),
        ("SELECT time_diff('minutes', a, b) FROM x", "time_diff unit 'minutes'"),
        ("SELECT to_time(s, f) FROM x", "to_time with a format that is not a string literal"),
        ("SELECT to_time(s, 'hh:mm a') FROM x", "to_time format 'hh:mm a': only the fields HH H mm m ss s"),
        ("SELECT try_to_time(s, 'HH:mm:HH') FROM x", "a field given twice"),
        ("SELECT to_time(s, 'Hmm') FROM x", "a field of variable width right before another field"),
        ("SELECT CAST(s AS TIME(3)) FROM x", "a TIME(p) type other than TIME(6)"),
        ("SELECT TIME'12:34:56.1234567'", "more than six fractional digits"),
        ("SELECT make_time(1, 2) FROM x", "make_time with 2 arguments"),
    ],
    ids=[
        "unit-column",
        "unit-day",
        "unit-plural",
        "format-column",
        "format-am-pm",
        "format-twice",
        "format-adjacent",
        "time-3",
        "literal-nanos",
        "arity",
    ],
)
def test_refused_at_translation_with_the_reason(sql: str, reason: str) -> None:
    with pytest.raises(
        TranslationError, match="is refused: " + ".*" + reason.replace("(", r"\(").replace(")", r"\)")
    ):
        translate_statement(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT make_time(6, 30, 45.887)",
        "SELECT time_trunc('hour', t), time_diff('MICROSECOND', t, '12:00') FROM x",
        "SELECT to_time(s, 'HH.mm.ss.SSSSSS'), try_to_time(s), time(s), TRY_CAST(s AS TIME(6)) FROM x",
        "SELECT time_from_seconds(n), time_to_seconds(t), time_to_millis(t), time_to_micros(t) FROM x",
    ],
    ids=["make_time", "trunc-diff", "parsing", "conversions"],
)
def test_accepted(sql: str) -> None:
    assert translate_statement(sql).statements


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1:2", time(1, 2)),
        (" 01:02:3 ", time(1, 2, 3)),
        ("\t12:00\n", time(12)),
        ("12:00:00.", time(12)),
        ("12:00:00.0000000001", time(12)),
        ("01:02:03.1234567", time(1, 2, 3, 123456)),
        ("24:00:00", None),
        ("12", None),
        ("001:02:03", None),
        ("12:00:00Z", None),
        ("2024-01-01 12:00:00", None),
        ("12:00:00.1 2", None),
        ("", None),
    ],
)
def test_spark_string_to_time(text: str, expected: time | None) -> None:
    assert spark_string_to_time(text) == expected


def test_a_t_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="IDU_REFUSED"):
        spark_string_to_time("T01:02:03")


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("12.10.05", "HH.mm.ss", time(12, 10, 5)),
        ("7:5", "H:m", time(7, 5)),
        ("117:05", "H:mm", None),
        ("1:00", "HH:mm", None),
        ("12:00:00.12", "HH:mm:ss.SSS", time(12, 0, 0, 120000)),
        ("12:00:00.1234", "HH:mm:ss.SSS", None),
        ("12:00:00.", "HH:mm:ss.SSS", None),
        ("12:00:00.123456789", "HH:mm:ss.SSSSSSSSS", time(12, 0, 0, 123456)),
        ("1200", "HHmm", time(12)),
        ("12:30", "mm:ss", time(0, 12, 30)),
        (" 12:00", "HH:mm", None),
        ("12:60", "HH:mm", None),
    ],
)
def test_spark_string_to_time_with_a_format(text: str, fmt: str, expected: time | None) -> None:
    assert spark_string_to_time_format(text, fmt) == expected


@pytest.mark.parametrize(
    "sql",
    ["SELECT make_time(6, 30, 45.887)", "SELECT time_to_seconds(t) FROM x", "SELECT to_time(s) FROM x"],
    ids=["make_time", "time_to_seconds", "to_time"],
)
def test_refused_like_sparks_default(monkeypatch: pytest.MonkeyPatch, sql: str) -> None:
    """Spark's TIME type is off by default (it fails at analysis): so are the functions here, by name."""
    monkeypatch.delenv(ENABLED_ENV, raising=False)
    with pytest.raises(TranslationError, match=r"TIME type is off by default \(spark.sql.timeType.enabled"):
        translate_statement(sql)
    monkeypatch.setenv(ENABLED_ENV, "true")
    assert translate_statement(sql).statements  # the cache keeps one translation per setting
