"""Whether a DuckDB database holds a FLOAT column, for the translation's FLOAT widening.

Spark computes a FLOAT beside an integer or a DECIMAL in DOUBLE (spark_compat/float_widening.py);
the rewrite that gives that is needed only where a FLOAT can reach a statement, and the statement's
text does not say whether a column is one. The engine and the local warehouse ask the database once,
and again only after a statement that may add a FLOAT column (``Translation.may_add_floats``): a
table made from the database's own tables holds none unless they do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from airflow_idu.engines.duckdb.translate import Translation

__all__ = ["FloatColumns", "has_float_columns"]


def has_float_columns(con: duckdb.DuckDBPyConnection) -> bool:
    """Any table or view column holding a FLOAT (alone, or in an array, map or struct); DuckDB's own
    catalog views aside (pg_catalog has one). About 1.6 ms with 80 tables."""
    row = con.execute(
        "SELECT 1 FROM duckdb_columns() WHERE NOT internal AND data_type LIKE '%FLOAT%' LIMIT 1"
    ).fetchone()
    return row is not None


class FloatColumns:
    """The answer of :func:`has_float_columns`, kept between statements. Once a FLOAT column was
    seen the answer stays yes: the widening is then only a check that folds away."""

    def __init__(self) -> None:
        self._known: bool | None = None

    def __call__(self, con: duckdb.DuckDBPyConnection) -> bool:
        if self._known is None:
            self._known = has_float_columns(con)
        return self._known

    def after(self, translation: Translation) -> None:
        """Ask again before the next statement if this one may have added a FLOAT column."""
        if self._known is False and translation.may_add_floats:
            self._known = None

    def forget(self) -> None:
        self._known = None
