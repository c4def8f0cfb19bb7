import pytest

from airflow_idu.plan import first_line, split_statements

CASES = [
    ("plain", "SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]),
    ("no_trailing_semicolon", "SELECT 1;\nSELECT 2", ["SELECT 1", "SELECT 2"]),
    ("semicolon_in_single_quotes", "SELECT 'a;b'; SELECT 2", ["SELECT 'a;b'", "SELECT 2"]),
    ("semicolon_in_double_quotes", 'SELECT "a;b"; SELECT 2', ['SELECT "a;b"', "SELECT 2"]),
    ("semicolon_in_backticks", "SELECT `a;b` FROM t; SELECT 2", ["SELECT `a;b` FROM t", "SELECT 2"]),
    ("backslash_escaped_quote", r"SELECT 'it\'s;x'; SELECT 2", [r"SELECT 'it\'s;x'", "SELECT 2"]),
    ("doubled_quote", "SELECT 'it''s;x'; SELECT 2", ["SELECT 'it''s;x'", "SELECT 2"]),
    (
        "line_comment",
        "SELECT 1 -- not; a separator\n; SELECT 2",
        ["SELECT 1 -- not; a separator", "SELECT 2"],
    ),
    ("block_comment", "SELECT /* ; */ 1; SELECT 2", ["SELECT /* ; */ 1", "SELECT 2"]),
    ("comment_only_chunk_dropped", "SELECT 1;\n-- trailing note;\n", ["SELECT 1"]),
    ("empty_statements_dropped", ";;SELECT 1;;", ["SELECT 1"]),
    ("regex_with_semicolon", "SELECT x RLIKE '^[0-9;]+$' FROM t", ["SELECT x RLIKE '^[0-9;]+$' FROM t"]),
    ("empty", "  \n ", []),
]


@pytest.mark.parametrize(("script", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_split_statements(script: str, expected: list[str]) -> None:
    assert split_statements(script) == expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("-- comment\nCREATE TABLE t (a INT)", "CREATE TABLE t (a INT)"),
        ("INSERT INTO t\nSELECT 1", "INSERT INTO t"),
        ("SELECT " + "x" * 200, "SELECT " + "x" * 90 + "..."),
    ],
    ids=["skips_comment", "first_line_only", "shortened"],
)
def test_first_line(statement: str, expected: str) -> None:
    assert first_line(statement) == expected
