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

__all__ = ["appended_tables", "created_tables", "written_tables"]

_LEADING_COMMENTS = re.compile(r"^(?:\s*--[^\n]*(?:\n|$)|\s*/\*.*?\*/)*\s*", re.DOTALL)
_NAME = r"((?:`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)(?:\.(?:`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)){0,2})"
# What may precede a table that a statement changes, keyed by its first word (lower case).
_WRITE_FORMS = {
    "create": r"CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?",
    "insert": r"INSERT\s+(?:INTO|OVERWRITE)\s+(?:TABLE\s+)?",
    "merge": r"MERGE\s+INTO\s+",
    "update": r"UPDATE\s+(?!SET\b)",  # not a MERGE's UPDATE SET
    "delete": r"DELETE\s+FROM\s+",
    "drop": r"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?",
    "truncate": r"TRUNCATE\s+TABLE\s+",
    "alter": r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?",
    "rename": r"RENAME\s+TO\s+",
    "optimize": r"OPTIMIZE\s+",
}
_WRITE = re.compile(r"\b(?:" + "|".join(_WRITE_FORMS.values()) + ")" + _NAME, re.I)
_CREATE = re.compile(_WRITE_FORMS["create"] + _NAME, re.I)
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


def written_tables(sql: str) -> set[str]:
    """Every table the script may change, as lower-case names without backticks: created, replaced,
    inserted into, merged into, updated, deleted from, dropped, truncated, altered or renamed to.
    A superset on purpose (comments and string literals count too, and nothing is split, so it stays
    cheap at DAG-parse time): it decides what may run beside the script, where a miss would race."""
    lowered = sql.lower()
    written: set[str] = set()
    for keyword in _WRITE_FORMS:  # str.find, then the pattern where a keyword starts: 10x faster
        at = lowered.find(keyword)
        while at != -1:
            if m := _WRITE.match(sql, at):
                written.add(_normal(m.group(1)))
            at = lowered.find(keyword, at + 1)
    return written
