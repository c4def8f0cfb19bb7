"""Spark built-ins and operators added for the function inventory (tests/fidelity/test_functions.py):
values local Spark gives, and the refusals. DuckDB only: fast."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    install_macros(connection)  # the session settings, the Python functions and the macros
    connection.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', 1), ('a', 2), ('b', 3)) AS v(g, x)")
    return connection


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    [duck] = translate_statement(sql).statements
    return con.execute(duck).fetchall()


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("4 & 6 >> 1", 0),  # Spark: the shifts bind tighter than &, & than ^, ^ than |
        ("5 | 2 ^ 3 & 1", 7),
        ("3 ^ 5 | 1", 7),
        ("1 + 8 >> 1 + 1", 2),
        ("-8 >>> 1", 2147483644),  # sqlglot does not parse >>>
        ("1 << 2 >>> 1 & 7 | 8", 10),
        ("(5 | 2) & 1", 1),
        ("'a >>> b'", "a >>> b"),
    ],
)
def test_bitwise_operators_as_spark_groups_them(
    con: duckdb.DuckDBPyConnection, expression: str, expected: Any
) -> None:
    assert rows(con, f"SELECT {expression}") == [(expected,)]


def test_grouping_functions_under_cube(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT g, grouping(g), grouping_id(), sum(x) FROM t GROUP BY CUBE(g) ORDER BY g NULLS LAST"
    assert rows(con, sql) == [("a", 0, 0, 3), ("b", 0, 0, 3), (None, 1, 1, 6)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT g, grouping(g) FROM t GROUP BY g",  # Spark raises without grouping sets
        "SELECT nth_value(x, 0) OVER (ORDER BY x) FROM t",
    ],
)
def test_refused(sql: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(sql)


def test_window_functions(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT x, nth_value(x, 2) OVER (ORDER BY x), cume_dist() OVER (PARTITION BY g ORDER BY x) FROM t ORDER BY x"
    assert rows(con, sql) == [(1, None, 0.5), (2, 2, 1.0), (3, 2, 1.0)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("map_keys(map_concat(map('b', 1, 'a', 2), map('c', 3)))", ["b", "a", "c"]),  # Spark's order
        ("map_from_entries(array(struct(1, 'a'), NULL))", None),
        ("str_to_map('a:1:2,,b')", {"a": "1:2", "": None, "b": None}),
        ("map_filter(map(1, 0, 2, 2, 3, -1), (k, v) -> k > v)", {1: 0, 3: -1}),
        ("transform_keys(map(2, 1, 1, 2), (k, v) -> k * 10)", {20: 1, 10: 2}),
        ("transform_values(map(1, 1, 2, 2), (k, v) -> k + v)", {1: 2, 2: 4}),
        ("map_keys(map_zip_with(map('c', 1, 'a', 2), map('b', 3, 'a', 4, 'd', 5), (k, v1, v2) -> v1))",
         ["c", "a", "b", "d"]),  # m1's keys, then m2's new ones
        ("map_zip_with(map('a', 1, 'b', 2), map('b', 3), (k, v1, v2) -> coalesce(v1, 0) + coalesce(v2, 0))",
         {"a": 1, "b": 5}),
        ("zip_with(array(1), array(2, 3), (x, y) -> (y, x + 1))", [{"y": 2, "col2": 2}, {"y": 3, "col2": None}]),
        ("arrays_zip(array(1, 2), array('a'))", [{"0": 1, "1": "a"}, {"0": 2, "1": None}]),
    ],
)  # fmt: skip
def test_map_and_pair_functions(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert rows(con, f"SELECT {expression}") == [(expected,)]


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("map_concat(map(1, 'a'), map(1, 'c'))", "DUPLICATED_MAP_KEY"),
        ("transform_keys(map(1, 1, 2, 2), (k, v) -> 1)", "DUPLICATED_MAP_KEY"),
        ("map_from_entries(array(struct(NULL, 'a')))", "NULL_MAP_KEY"),
        ("str_to_map('a:1,a:2')", "DUPLICATED_MAP_KEY"),
    ],
)
def test_map_keys_raise_as_spark(con: duckdb.DuckDBPyConnection, expression: str, error: str) -> None:
    with pytest.raises(duckdb.Error, match=error):
        rows(con, f"SELECT {expression}")


def test_str_to_map_with_a_regex_delimiter_is_refused() -> None:
    with pytest.raises(TranslationError, match="regular expression"):
        translate_statement("SELECT str_to_map('a.1|b.2', '|', '.')")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("mask('AbCD123-@$#')", "XxXXnnn-@$#"),
        (
            "mask('Ünïcödé straße ǅ ª Ⓐ \u2170 ٣ 日本')",
            "Xxxxxxx xxxxxx ǅ ª Ⓐ \u2170 n 日本",
        ),  # Java's categories Lu, Ll, Nd
        ("mask('ab', 'Q', NULL, 'd', 'o')", "ab"),
        ("mask('aB1', 'b', 'c', 'd', 'o')", "cbd"),  # one pass: a replacement is not masked again
        ("collation('x')", "SYSTEM.BUILTIN.UTF8_BINARY"),
        ("assert_true(0 < 1)", None),
        ("bitmap_bit_position(-32769)", 1),
        ("bitmap_bucket_number(-32769)", -1),
        ("bitmap_bucket_number(-9223372036854775808)", -281474976710656),
    ],
)
def test_text_and_bit_functions(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert rows(con, f"SELECT {expression}") == [(expected,)]


def test_mask_refuses_letters_newer_than_java_s_unicode(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.Error, match="IDU_REFUSED"):
        rows(con, "SELECT mask('\u2c2f')")
    with pytest.raises(duckdb.Error, match="USER_RAISED_EXCEPTION"):
        rows(con, "SELECT assert_true(1 > 2)")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("regexp_count('Steven Jones and Stephen Smith', 'Ste(v|ph)en')", 2),
        ("regexp_substr('xyz', 'q')", None),
        ("regexp_instr('😀c', 'c')", 2),  # code points
        ("regexp_instr(r'\\abc', r'^\\\\abc$')", 1),
        ("regexp_extract_all('ab', '(x)?b', 1)", [""]),  # a group that took no part
        ("regexp_extract_all('x', 'b', 1)", []),  # no match: the group index is not checked
        ("regexp_count('a\nb', 'a.b')", 0),
    ],
)
def test_regexp_functions(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert rows(con, f"SELECT {expression}") == [(expected,)]


@pytest.mark.parametrize(
    "expression",
    [
        "regexp_count('a\rb', 'a.b')",  # Java's . stops at \r
        "regexp_count('ab\n', 'b$')",  # Java's $ matches before a final line terminator
        "regexp_count('éa', r'\\ba')",  # Java's word characters are Unicode letters
        "regexp_extract_all('ab', 'b', 1)",  # Spark: group 1 of a pattern without groups
    ],
)
def test_regexp_refused_or_raising_when_run(con: duckdb.DuckDBPyConnection, expression: str) -> None:
    with pytest.raises(duckdb.Error, match=r"IDU_REFUSED|REGEX_GROUP_INDEX"):
        rows(con, f"SELECT {expression}")


@pytest.mark.parametrize("pattern", ["a*", "(?i)a", "[a[b]]", "\\p{L}", "a{,2}", "\\1"])
def test_regexp_patterns_refused(pattern: str) -> None:
    with pytest.raises(TranslationError):
        translate_statement(f"SELECT regexp_count('a', r'{pattern}')")  # a raw string: no escapes read


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("hex(hmac('key', 'message'))", "6E9EF29B75FFFC5B7ABAE527D58FDADB2FE42E7219011976917343065F58ED4A"),
        ("to_base32('foobar')", "MZXW6YTBOI======"),
        ("from_base32('mzxw6ytboi')", b"foobar"),  # lower case, no padding
        (
            "aes_decrypt(unbase64('3lmwu+Mw0H3fi5NDvcu9lg=='), '1234567890abcdef', 'ECB', 'PKCS')",
            b"Spark SQL",
        ),
        (
            "aes_decrypt(unbase64('2NYmDCjgXTbbxGA3/SnJEfFC/JQ7olk2VQWReIAAFKo='), '1234567890abcdef', 'CBC')",
            b"Apache Spark",
        ),
        (
            "try_aes_decrypt(unhex('FF7CA17BBB468D3084B5744BCA729FB7B2B7BCB8E4472847D0'), '0000111122223333')",
            None,
        ),
    ],
)
def test_crypto_functions(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert rows(con, f"SELECT {expression}") == [(expected,)]


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("from_base32('M1')", "IDU_REFUSED"),  # Spark decodes text that is not base32 its own way
        ("hmac('', 'm')", "HMAC_CRYPTO_ERROR"),
        ("aes_decrypt(unhex('00'), 'short')", "AES_KEY_LENGTH"),
    ],
)
def test_crypto_functions_raise(con: duckdb.DuckDBPyConnection, expression: str, error: str) -> None:
    with pytest.raises(duckdb.Error, match=error):
        rows(con, f"SELECT {expression}")


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("MARTHA", "MARHTA", 0.9611111111111111),
        ("kitten", "sitting", 0.746031746031746),
        ("abc", "ab" * 300 + "é", 0.6453318543168792),  # Spark boosts below 0.7 too
        ("", "", 1.0),
        ("", "a", 0.0),
    ],
)
def test_jaro_winkler_similarity(
    con: duckdb.DuckDBPyConnection, left: str, right: str, expected: float
) -> None:
    assert rows(con, f"SELECT jaro_winkler_similarity('{left}', '{right}')") == [(expected,)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("bitmap_count(X '1010')", 2),  # Spark's typed-literal spelling, with a space
        ("hex(X'0aF')", "00AF"),  # an odd digit count: a leading 0, as Spark
        ("'X ''12'''", "X '12'"),  # inside a string: untouched (a doubled quote is a quote)
    ],
)
def test_hex_literals(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert rows(con, f"SELECT {expression}") == [(expected,)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("'O''Brien'", "O'Brien"),  # Spark: a doubled quote is one quote (sqlglot: two literals)
        ('"a""b"', 'a"b'),
        ("'a' 'b'", "ab"),  # whitespace between: two literals, concatenated
        ("''''", "'"),
        ("'' 'z'", "z"),
    ],
)
def test_doubled_quotes_as_spark_reads_them(
    con: duckdb.DuckDBPyConnection, expression: str, expected: Any
) -> None:
    assert rows(con, f"SELECT {expression}") == [(expected,)]


@pytest.mark.parametrize(
    "expression",
    [
        "rlike('ab\n', 'b$')",  # Java: true ($ before a final line terminator); RE2: false
        "regexp_extract('a\rb', 'a.b', 0)",  # Java's . stops at \r
        "rlike('É', '(?i)é')",  # Java's (?i) folds ASCII only
    ],
)
def test_existing_regexp_functions_refuse_rows_java_reads_differently(
    con: duckdb.DuckDBPyConnection, expression: str
) -> None:
    with pytest.raises(duckdb.Error, match="IDU_REFUSED"):
        rows(con, f"SELECT {expression}")
