"""Which tables a script creates and which it appends to: what makes a retry of it safe.

A file that only creates (``CREATE OR REPLACE``) or swaps (``_tmp`` + rename) its
tables can simply run again. A file that ``INSERT INTO`` a table an *earlier*
file created cannot: run twice, it appends twice. Its retry must first replay
the file that creates that table (``02_extract_merge`` fills the
``loop_0`` that ``01_create_graph`` creates).
"""

from __future__ import annotations

import re

from airflow_idu.plan.statements import split_statements

__all__ = ["appended_tables", "created_tables"]

_LEADING_COMMENTS = re.compile(r"^(?:\s*--[^\n]*(?:\n|$)|\s*/\*.*?\*/)*\s*", re.DOTALL)
_NAME = r"((?:`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)(?:\.(?:`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)){0,2})"
_CREATE = re.compile(rf"CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}", re.I)
_INSERT_INTO = re.compile(rf"INSERT\s+INTO\s+(?:TABLE\s+)?{_NAME}", re.I)


def _normal(name: str) -> str:
    return name.replace("`", "").lower()


def _heads(sql: str) -> list[str]:
    return [_LEADING_COMMENTS.sub("", s, count=1) for s in split_statements(sql)]


def created_tables(sql: str) -> set[str]:
    """Tables the script creates (or replaces), as lower-case names without backticks."""
    return {_normal(m.group(1)) for head in _heads(sql) if (m := _CREATE.match(head))}


def appended_tables(sql: str) -> set[str]:
    """Tables the script ``INSERT INTO`` without having created them earlier in the same script."""
    created: set[str] = set()
    appended: set[str] = set()
    for head in _heads(sql):
        if m := _CREATE.match(head):
            created.add(_normal(m.group(1)))
        elif (m := _INSERT_INTO.match(head)) and _normal(m.group(1)) not in created:
            appended.add(_normal(m.group(1)))
    return appended
