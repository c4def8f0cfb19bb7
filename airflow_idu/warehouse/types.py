"""DuckDB type names as Databricks SQL names them (what a client sees in result metadata)."""

from __future__ import annotations

import re

__all__ = ["databricks_type"]

_SIMPLE = {
    "VARCHAR": "STRING",
    "BIGINT": "BIGINT",
    "INTEGER": "INT",
    "SMALLINT": "SMALLINT",
    "TINYINT": "TINYINT",
    "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP_NTZ",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "BLOB": "BINARY",
    "HUGEINT": "DECIMAL(38,0)",
    "UBIGINT": "DECIMAL(20,0)",
    "UINTEGER": "BIGINT",
    "USMALLINT": "INT",
    "UTINYINT": "SMALLINT",
    "UUID": "STRING",
    "INTERVAL": "INTERVAL",
    "NULL": "VOID",
    '"NULL"': "VOID",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def databricks_type(duck: str) -> str:
    """``BIGINT[]`` -> ``ARRAY<BIGINT>``, ``VARCHAR`` -> ``STRING``; structs and maps keep their shape."""
    duck = duck.strip()
    if duck.endswith("[]"):
        return f"ARRAY<{databricks_type(duck[:-2])}>"
    if duck in _SIMPLE:
        return _SIMPLE[duck]
    decimal = _DECIMAL.fullmatch(duck)
    if decimal:
        return f"DECIMAL({decimal.group(1)},{decimal.group(2)})"
    if duck.startswith("MAP(") and duck.endswith(")"):
        key, value = _split_top(duck[4:-1])
        return f"MAP<{databricks_type(key)},{databricks_type(value)}>"
    if duck.startswith("STRUCT(") and duck.endswith(")"):
        fields = []
        for part in _split_top(duck[7:-1]):
            name, _, kind = part.strip().partition(" ")
            fields.append(f"{name.strip(chr(34))}:{databricks_type(kind)}")
        return f"STRUCT<{','.join(fields)}>"
    return duck


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]
