"""Install the Spark-compatibility macros in a DuckDB file once, not on every connection.

The macros (:mod:`airflow_idu.engines.duckdb.spark_compat.macros`) are persistent objects of the
database file. Creating all of them is a catalog write on every connection, which every task
then pays again on open and on close (checkpoint). A marker macro named after a digest of
their text records that this file holds exactly this version; a connection that finds it only
sets the session's time zone.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import TYPE_CHECKING

from airflow_idu.engines.duckdb.spark_compat.macro_catalog import COMPAT_MACROS

if TYPE_CHECKING:
    import duckdb

__all__ = ["COMPAT_MACROS", "MACROS_MARKER", "install_macros"]

_SESSION = tuple(m for m in COMPAT_MACROS if m.upper().startswith("SET "))
_DEFINITIONS = tuple(m for m in COMPAT_MACROS if not m.upper().startswith("SET "))
MACROS_MARKER = "idu_macros_" + hashlib.sha256("\n".join(_DEFINITIONS).encode()).hexdigest()[:16]


def install_macros(conn: duckdb.DuckDBPyConnection) -> bool:
    """Session settings always; the macros only if this file lacks this version. True if installed."""
    import duckdb

    from airflow_idu.engines.duckdb.spark_compat.library import register_functions

    for setting in _SESSION:
        conn.execute(setting)
    register_functions(conn)  # Python functions live in the connection, not the file
    try:
        conn.execute(f"SELECT {MACROS_MARKER}()").fetchone()
        return False
    except duckdb.CatalogException:
        pass
    # One transaction: one commit for the few hundred catalog writes instead of one each (about half
    # the time, paid by the first task on a new file), and a failure leaves no partial set behind.
    conn.execute("BEGIN TRANSACTION")
    try:
        for macro in _DEFINITIONS:
            conn.execute(macro)
        conn.execute(f"CREATE OR REPLACE MACRO {MACROS_MARKER}() AS 1")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed rollback must not hide the cause
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return True
