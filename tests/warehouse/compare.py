"""Compare the tables two runs wrote (the warehouse's snapshot against a DuckDB-direct run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

# Tables whose rows record a run rather than its result (run keys, timings): compared elsewhere.
RUN_RECORDS = ("_unify_loop_log",)


def tables(database: Path, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of ``schema`` as a sorted row list (NULL-safe), except the run records."""
    with duckdb.connect(str(database), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1", [schema]
            ).fetchall()
        ]
        return {
            name: sorted(con.execute(f'SELECT * FROM "{schema}"."{name}"').fetchall(), key=repr)
            for name in names
            if not name.endswith(RUN_RECORDS)
        }


def assert_same_tables(warehouse_copy: Path, direct: Path, schema: str) -> list[str]:
    """Same table names and, table by table, the same rows. Returns the names compared."""
    ours, theirs = tables(warehouse_copy, schema), tables(direct, schema)
    assert sorted(ours) == sorted(theirs), (sorted(ours), sorted(theirs))
    different = [name for name in ours if ours[name] != theirs[name]]
    assert not different, f"tables differ from the DuckDB-direct run: {different}"
    return sorted(ours)
