"""What a translated statement's types need checked before it runs, on the connection it runs on:
its writes (store_assignment.py) and its set operations (set_operations.py). Both bind queries,
never run them. One home, for the embedded engine and the local warehouse alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_idu.engines.duckdb.translate import Translation

__all__ = ["check_types"]


def check_types(connection: Any, translation: Translation) -> None:
    """Raise ``duckdb.InvalidInputException`` where the statement would not give Spark's types."""
    if translation.set_operations:
        from airflow_idu.engines.duckdb.set_types import check_set_operations

        check_set_operations(connection, translation.set_operations)
    if translation.writes:
        from airflow_idu.engines.duckdb.store_assignment import check_writes

        check_writes(connection, translation.writes)
