"""The rules on hand-made lookups: ties, a fresh id that was given before, removal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.runstate import PersistentIdMode
from airflow_idu.runstate.steps import commit_persistent_ids, stage_persistent_ids
from tests.runstate.conftest import RAW, TABLES

Rows = list[tuple[str, str, int]]  # (canonical id, identifier, first seen)


@pytest.fixture
def run(
    tmp_path: Path, open_engine: Callable[[Path], DuckDBEngine]
) -> Callable[[str, Rows], dict[str, tuple]]:
    database = tmp_path / "rules.duckdb"

    def one_run(run_id: str, rows: Rows) -> dict[str, tuple]:
        with duckdb.connect(str(database)) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS unified")
            con.execute(
                f"CREATE OR REPLACE TABLE {RAW.lookup} (canonical_id VARCHAR, id VARCHAR, id_key_type BIGINT, "
                "id_first_seen_at BIGINT)"
            )
            con.executemany(f"INSERT INTO {RAW.lookup} VALUES (?, ?, 1, ?)", rows)
        engine = open_engine(database)
        try:
            stage_persistent_ids(engine, TABLES, run_id=run_id, mode=PersistentIdMode.REPLACE)
            commit_persistent_ids(engine, TABLES, run_id=run_id)
        finally:
            engine.close()
        with duckdb.connect(str(database), read_only=True) as con:
            ids = dict(con.execute(f"SELECT id, canonical_id FROM {RAW.lookup}").fetchall())
            logged = con.execute(
                f"SELECT id, old_id, new_id, reason FROM {RAW.id_changes} WHERE run_id = ?", [run_id]
            ).fetchall()
        return {
            i: (ids.get(i), *next(((o, n, r) for j, o, n, r in logged if j == i), ()))
            for i in {*ids, *(r[0] for r in logged)}
        }

    return one_run


def test_split_keeps_the_id_for_the_larger_part_and_never_gives_it_again(run) -> None:
    run("r1", [("A", "a1", 10), ("A", "a2", 20), ("A", "a3", 30)])
    # a1 leaves; its own canonical id is still A (it leads), but A stays with {a2, a3}
    result = run("r2", [("A", "a1", 10), ("B", "a2", 20), ("B", "a3", 30)])
    assert result["a2"] == ("A",) and result["a3"] == ("A",)  # unchanged: not logged
    fresh, old, new, reason = result["a1"]
    assert (old, reason) == ("A", "split") and new == fresh
    assert fresh not in ("A", "B") and len(fresh) == 12  # a salted hash of A and the run id, same shape


def test_split_into_equal_parts_keeps_the_id_with_the_smaller_canonical_id(run) -> None:
    run("r1", [("A", "a1", 10), ("A", "a2", 20)])
    result = run("r2", [("Q", "a1", 10), ("P", "a2", 20)])
    assert result["a2"] == ("A",)
    assert result["a1"] == ("Q", "A", "Q", "split")  # Q was never given: the part gets its canonical id


def test_merge_keeps_the_oldest_id_and_ties_go_to_the_smaller_id(run) -> None:
    run("r1", [("X", "x", 50), ("Y", "y", 40), ("Z", "z", 40)])
    result = run("r2", [("X", "x", 50), ("X", "y", 40), ("X", "z", 40)])
    assert result["y"] == ("Y",)
    assert result["x"] == ("Y", "X", "Y", "merged") and result["z"] == ("Y", "Z", "Y", "merged")


def test_removed_and_new_identifiers_are_logged(run) -> None:
    run("r1", [("A", "a1", 10), ("A", "a2", 20)])
    result = run("r2", [("A", "a1", 10), ("A", "a0", 5)])
    assert result["a2"] == (None, "A", None, "removed")
    assert result["a0"] == ("A", None, "A", "new") and result["a1"] == ("A",)
