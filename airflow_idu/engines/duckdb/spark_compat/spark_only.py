"""Spark functions the embedded engine refuses because no exact counterpart exists, with the reason.

Each was looked at in Spark 4.3 (its source, ``javap -c`` of spark-catalyst, and local Spark): the
values depend on a type DuckDB lacks, on the session, or they change the query's rows.
"""

from __future__ import annotations

from sqlglot import exp

__all__ = ["ANONYMOUS_REASONS", "TYPE_REASONS"]

_NANOS = (
    "Spark's nanosecond timestamps (TIMESTAMP_LTZ/NTZ(7..9), off by default: spark.sql.timestampNanosTypes."
    "enabled) have no counterpart; DuckDB's TIMESTAMP holds microseconds"
)
_CALENDAR = (
    "Spark's CalendarInterval keeps months, days and microseconds apart and neither orders nor prints like "
    "DuckDB's INTERVAL (which compares 1 month equal to 30 days); use make_dt_interval or date arithmetic"
)
_WINDOWS = (
    "time windows change the rows: window() drops the rows whose time is NULL and a sliding window emits one "
    "row per window, session_window() merges rows into sessions; bucket with time_bucket() instead"
)

ANONYMOUS_REASONS: dict[str, str] = {
    **dict.fromkeys(("unix_nanos", "timestamp_nanos"), _NANOS),
    "try_make_interval": _CALENDAR,
    "make_ym_interval": (
        "Spark's INTERVAL YEAR TO MONTH type (printed 1-2, compared as months) has no counterpart in DuckDB's "
        "INTERVAL; use add_months or months arithmetic on integers"
    ),
    **dict.fromkeys(("window", "session_window"), _WINDOWS),
    "window_time": "it reads the struct of window()/session_window(), which are refused: " + _WINDOWS,
    "current_path": (
        "the session's SQL path (its current catalog and schema, e.g. system.builtin,system.session,"
        "spark_catalog.default): the embedded engine has no Spark catalog"
    ),
    "collect_union": (
        "Spark collects the distinct elements in a hash set, so the array's order is Spark's hash order"
    ),
    "measure": "it reads a measure of a metric view, which the embedded engine does not have",
}
TYPE_REASONS: dict[type[exp.Expr], str] = {
    exp.MakeInterval: _CALENDAR,
    exp.Localtime: (
        "the clock at the start of the query (current_time): no run of the engine can give Spark's value"
    ),
}
