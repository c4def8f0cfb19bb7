"""DuckDB and translation failures in Databricks' shape: ``[ERROR_CLASS] text SQLSTATE: xxxxx``.

A client of the local warehouse sees the same error classes a Databricks SQL warehouse
answers with, so code that reads them (logs, retry rules) is tested on real shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from airflow_idu.engines.duckdb.merge import MULTIPLE_MATCHES_CLASS, MULTIPLE_MATCHES_SQLSTATE

__all__ = ["WarehouseError", "to_warehouse_error"]


@dataclass(frozen=True, kw_only=True)
class WarehouseError:
    error_class: str  # e.g. "TABLE_OR_VIEW_NOT_FOUND"
    sqlstate: str  # e.g. "42P01"
    message: str  # "[TABLE_OR_VIEW_NOT_FOUND] The table or view `x` cannot be found. ... SQLSTATE: 42P01"

    @classmethod
    def of(cls, error_class: str, sqlstate: str, text: str) -> WarehouseError:
        return cls(
            error_class=error_class, sqlstate=sqlstate, message=f"[{error_class}] {text} SQLSTATE: {sqlstate}"
        )


# (pattern on the DuckDB message, error class, SQLSTATE, text template using the match's groups)
_RULES: tuple[tuple[re.Pattern[str], str, str, str], ...] = (
    (
        re.compile(r"Table with name (\S+) does not exist"),
        "TABLE_OR_VIEW_NOT_FOUND",
        "42P01",
        "The table or view `{0}` cannot be found. Verify the spelling and correctness of the schema and catalog.",
    ),
    (
        re.compile(r"Schema with name (\S+) does not exist"),
        "SCHEMA_NOT_FOUND",
        "42704",
        "The schema `{0}` cannot be found. Verify the spelling and correctness of the schema and catalog.",
    ),
    (
        re.compile(r'Referenced column "?([^"\s]+)"? not found'),
        "UNRESOLVED_COLUMN.WITH_SUGGESTION",
        "42703",
        "A column, variable, or function parameter with name `{0}` cannot be resolved.",
    ),
    (
        re.compile(r'(?:Table|View) with name "?([^"\s]+?)"? already exists'),
        "TABLE_OR_VIEW_ALREADY_EXISTS",
        "42P07",
        "Cannot create table or view `{0}` because it already exists.",
    ),
    (
        re.compile(r"Scalar Function with name (\S+) does not exist"),
        "UNRESOLVED_ROUTINE",
        "42883",
        "Cannot resolve routine `{0}` on search path.",
    ),
    (re.compile(r"Division by zero"), "DIVIDE_BY_ZERO", "22012", "Division by zero."),
    (
        re.compile(rf"\[{MULTIPLE_MATCHES_CLASS}\] (.*)"),
        MULTIPLE_MATCHES_CLASS,
        MULTIPLE_MATCHES_SQLSTATE,
        "{0}",
    ),
    (
        re.compile(r"Could not convert string '([^']*)'"),
        "CAST_INVALID_INPUT",
        "22018",
        "The value '{0}' cannot be cast because it is malformed.",
    ),
)
_BY_TYPE: dict[str, tuple[str, str]] = {
    "ParserException": ("PARSE_SYNTAX_ERROR", "42601"),
    "InterruptException": ("OPERATION_CANCELED", "HY008"),
    "ConstraintException": ("CONSTRAINT_VIOLATION", "23000"),
    "TransactionException": ("CONCURRENT_WRITE_CONFLICT", "40001"),
    "OutOfMemoryException": ("OUT_OF_MEMORY", "53200"),
}


def to_warehouse_error(err: BaseException) -> WarehouseError:
    """The Databricks error a warehouse would answer for ``err``; unknown failures are INTERNAL_ERROR."""
    text = _first_line(str(err))
    for pattern, error_class, sqlstate, template in _RULES:
        match = pattern.search(text)
        if match:
            return WarehouseError.of(
                error_class, sqlstate, template.format(*(g.strip('"') for g in match.groups()))
            )
    if type(err).__name__ == "TranslationError" and "cannot parse" in text:
        return WarehouseError.of("PARSE_SYNTAX_ERROR", "42601", f"Syntax error: {text}")
    for cls in type(err).__mro__:
        if cls.__name__ in _BY_TYPE:
            error_class, sqlstate = _BY_TYPE[cls.__name__]
            return WarehouseError.of(error_class, sqlstate, text)
    return WarehouseError.of("INTERNAL_ERROR", "XX000", text)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return re.sub(r"\x1b\[[0-9;]*m", "", line).removesuffix("!")
