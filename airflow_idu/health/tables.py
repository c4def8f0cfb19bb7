"""Names of the tables identity health reads and writes, from the canonical-id prefix (the contract)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from airflow_idu.engines.base import Engine, StatementError, is_transient

__all__ = ["HealthTables", "sql_string", "table_exists"]

_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What engines say when a table is missing (Databricks error class; DuckDB catalog error).
_MISSING = ("TABLE_OR_VIEW_NOT_FOUND", "does not exist", "not found")


@dataclass(frozen=True, kw_only=True)
class HealthTables:
    """Fully qualified table names for canonical id ``prefix`` in ``catalog.schema``."""

    prefix: str
    catalog: str | None = None
    schema: str | None = None

    def __post_init__(self) -> None:
        if not _PREFIX.fullmatch(self.prefix):
            raise ValueError(f"prefix {self.prefix!r} is not a plain identifier; pass the canonical id name")

    def qualify(self, table: str) -> str:
        return ".".join([p for p in (self.catalog, self.schema) if p] + [table])

    def _t(self, suffix: str) -> str:
        return self.qualify(f"{self.prefix}_{suffix}")

    @property
    def lookup(self) -> str:
        return self._t("lookup")

    @property
    def lookup_previous(self) -> str:
        """The lookup as the previous run published it (kept before canonicalize replaces it)."""
        return self._t("lookup_previous")

    @property
    def previous_state(self) -> str:
        """One row: which run took the snapshot, whether a lookup existed, whether it was restored."""
        return self._t("lookup_previous_state")

    @property
    def id_history(self) -> str:
        return self._t("id_history")

    @property
    def source_graph(self) -> str:
        """The initial graph: one row per (follower, leader) link from the source records."""
        return self._t("graph_unify_loop_0")

    @property
    def keys(self) -> str:
        return self._t("keys")

    @property
    def source_tables(self) -> str:
        return self._t("tables")


def sql_string(value: str) -> str:
    """A Databricks SQL string literal (backslash escapes; the DuckDB translation re-quotes it)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def table_exists(engine: Engine, table: str) -> bool:
    """True when ``table`` can be read; False when the engine says it does not exist."""
    try:
        engine.query(f"SELECT 1 FROM {table} WHERE 1 = 0", label="health: table exists")
    except StatementError as err:
        if is_transient(err.__cause__) or not any(m.lower() in str(err).lower() for m in _MISSING):
            raise
        return False
    return True


def rows_as_dicts(rows: list[tuple[Any, ...]], columns: list[str]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]
