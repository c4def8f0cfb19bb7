"""Which rows of a source table (or of its enriched copy) an incremental run reads: one home.

A row is in source table ``i``'s window when the window's ``since`` for ``i`` is NULL (a full refresh,
or a table that had no watermark at the last commit: it was empty, or its window column all NULL) or
when ``CAST(time AS BIGINT) > since``. Every file of an incremental directory reads the window the
same way: the extract, the enrich files (the rows they delete and insert), the master's changed ids
and, by the hour, the source key statistics.

Written as two branches, not one ``OR``: an engine can skip the parts of the table outside the
window only for a plain comparison of the column with a value known before the scan (DuckDB's zone
maps and dynamic filters, Delta's file statistics); ``since IS NULL OR time > since`` reads every
row. The first branch compares with ``since`` (or with the smallest BIGINT when it is NULL); the
second reads what the first cannot, rows whose time is NULL or that smallest value, and only when
``since`` is NULL. Without a window row for the table (no run prepared one), nothing is read.
"""

from __future__ import annotations

__all__ = ["SMALLEST_BIGINT", "window_predicate", "window_rows"]

# below every CAST(time AS BIGINT) but one, which the second branch reads
SMALLEST_BIGINT = "CAST(-9223372036854775808 AS BIGINT)"


def _bound(since: str) -> str:
    """The window's lower bound from column ``since`` (an expression over it, e.g. its hour)."""
    return f"COALESCE({since}, {SMALLEST_BIGINT})"


def _unbounded_rows(value: str, op: str) -> str:
    """The rows the first branch cannot compare: a NULL time, or the smallest BIGINT itself (read
    only when ``since`` is NULL). One spelling, for the branch and for the DELETE's condition."""
    return f"{value} IS NULL OR NOT ({value} {op} {SMALLEST_BIGINT})"


def window_rows(
    source: str,
    time: str,
    window: str,
    index: int,
    *,
    since: str = "since",
    inclusive: bool = False,
    incremental_only: bool = False,
) -> str:
    """A FROM item aliased ``s``: the rows of ``source`` (a table name) in source table ``index``'s
    window. ``time`` is the window column as the query names it (``s.`time```); ``since`` an
    expression over the window table's ``since`` giving the bound (rows after it, or from it when
    ``inclusive``); ``incremental_only``: nothing on a full refresh (the caller reads otherwise)."""
    op = ">=" if inclusive else ">"
    full = " AND NOT full_refresh" if incremental_only else ""
    value = f"CAST({time} AS BIGINT)"
    return (
        f"(\n  SELECT s.* FROM {source} s\n"
        f"  JOIN (SELECT {_bound(since)} AS bound FROM {window} WHERE source_table_id = {index}{full}) w\n"
        f"    ON {value} {op} w.bound\n"
        "  UNION ALL\n"
        f"  SELECT s.* FROM {source} s\n"
        f"  JOIN (SELECT source_table_id FROM {window} WHERE source_table_id = {index} AND since IS NULL{full}) w\n"
        f"    ON {_unbounded_rows(value, op)}\n"
        ") s"
    )


def window_predicate(time: str, window: str, index: int) -> str:
    """The same rows as a condition (for ``DELETE``, which takes no join): scalar subqueries, one row
    each (``MAX`` over the table's window row; NULL, so nothing, without one)."""
    value = f"CAST({time} AS BIGINT)"
    bound = f"(SELECT MAX({_bound('since')}) FROM {window} WHERE source_table_id = {index})"
    unbounded = f"(SELECT MAX(CASE WHEN since IS NULL THEN 1 ELSE 0 END) FROM {window} WHERE source_table_id = {index})"
    return f"{value} > {bound}\n  OR ({_unbounded_rows(value, '>')}) AND {unbounded} = 1"
