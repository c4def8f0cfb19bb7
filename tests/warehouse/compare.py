"""Compare the tables two runs wrote: the local warehouse's against a DuckDB-direct run's.

Each table is reduced in DuckDB to (row count, sum of row hashes): equal multisets of rows give
equal fingerprints (a difference slipping through needs a 64-bit hash collision).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from airflow_idu.warehouse.core import Warehouse

# Tables whose rows record a run rather than its result (run keys, timings): compared elsewhere.
RUN_RECORDS = ("_unify_loop_log",)


def fingerprints(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> dict[str, tuple[Any, ...]]:
    names = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = ? "
            "ORDER BY 1",
            [catalog, schema],
        ).fetchall()
        if not r[0].endswith(RUN_RECORDS)
    ]
    result = {}
    for name in names:
        row = con.execute(
            f'SELECT count(*), sum(hash(t)::HUGEINT) FROM {catalog}."{schema}"."{name}" AS t'
        ).fetchone()
        result[name] = tuple(row or ())
    return result


def assert_same_tables(warehouse: Warehouse, direct: Path, schema: str) -> list[str]:
    """Same table names in ``schema`` and, table by table, the same rows. Returns the names compared."""
    cursor = warehouse._db.cursor()
    try:
        cursor.execute("ATTACH ? AS idu_direct (READ_ONLY)", [str(direct)])
        try:
            ours = fingerprints(
                cursor, str(cursor.execute("SELECT current_database()").fetchone()[0]), schema
            )  # type: ignore[index]
            theirs = fingerprints(cursor, "idu_direct", schema)
        finally:
            cursor.execute("DETACH idu_direct")
    finally:
        cursor.close()
    assert sorted(ours) == sorted(theirs), (sorted(ours), sorted(theirs))
    different = {name: (ours[name], theirs[name]) for name in ours if ours[name] != theirs[name]}
    assert not different, f"tables differ from the DuckDB-direct run (rows, hash sum): {different}"
    assert all(count for count, _ in ours.values() if count is not None) or ours, ours
    return sorted(ours)
