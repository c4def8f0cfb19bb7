"""The previous lookup across retries and clears, churn and id history on hand-made lookups (DuckDB engine)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.health import HealthTables
from airflow_idu.health.churn import (
    churn,
    keep_previous,
    read_state,
    restore_previous,
    write_id_history,
)

T = HealthTables(prefix="uid", catalog="cat", schema="sch")

# (canonical_id, id, id_key_type): L1 is the previous run's lookup; L2 merges A and B into A,
# splits C into C and D, adds a new identifier e9 (to A) and drops identifier x1 (all of X).
L1 = [("A", "a1", 1), ("A", "a2", 2), ("B", "b1", 1), ("C", "c1", 1), ("C", "c2", 3), ("X", "x1", 1)]
L2 = [("A", "a1", 1), ("A", "a2", 2), ("A", "b1", 1), ("C", "c1", 1), ("D", "c2", 3), ("A", "e9", 1)]


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DuckDBEngine]:
    database = tmp_path / "prev.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_IDU_PREV", json.dumps({"conn_type": "duckdb", "host": str(database)}))
    eng = DuckDBEngine("idu_prev", catalog="cat", schema="sch")
    eng.run_script("CREATE SCHEMA IF NOT EXISTS sch", label="setup")
    yield eng
    eng.close()


def write_lookup(engine: DuckDBEngine, rows: list[tuple[str, str, int]]) -> None:
    values = ", ".join(f"('{c}', '{i}', CAST({k} AS BIGINT))" for c, i, k in rows)
    engine.run_script(
        f"CREATE OR REPLACE TABLE {T.lookup} AS SELECT * FROM VALUES {values} AS v(canonical_id, id, id_key_type)",
        label="canonicalize",
    )


def rows_of(engine: DuckDBEngine, table: str) -> list[tuple]:
    return sorted(engine.query(f"SELECT canonical_id, id, id_key_type FROM {table}"))


def test_first_run_has_nothing_to_keep(engine: DuckDBEngine) -> None:
    outcome = keep_previous(engine, T, "run_1")
    assert (outcome.taken, outcome.had_lookup) == (True, False)
    state = read_state(engine, T)
    assert state is not None and (state.run_id, state.had_lookup, state.restored) == ("run_1", False, False)
    write_lookup(engine, L1)
    assert write_id_history(engine, T, "run_1", had_previous=False) == 0
    # A refused first run leaves no lookup at all.
    assert "dropped" in restore_previous(engine, T, state)
    assert engine.query(f"SELECT COUNT(*) FROM {T.id_history}") == [(0,)]
    with pytest.raises(Exception, match="does not exist"):
        engine.query(f"SELECT * FROM {T.lookup}")


def test_retries_and_clears_keep_the_previous_runs_snapshot(engine: DuckDBEngine) -> None:
    write_lookup(engine, L1)  # published by run_1
    assert keep_previous(engine, T, "run_2").taken is True
    write_lookup(engine, L2)  # run_2's canonicalize
    # A retry or a cleared canonicalize group of run_2: the snapshot is still run_1's lookup.
    again = keep_previous(engine, T, "run_2")
    assert (again.taken, again.had_lookup) == (False, True)
    assert rows_of(engine, T.lookup_previous) == sorted(L1)

    state = read_state(engine, T)
    assert state is not None
    restore_previous(engine, T, state)  # the gate refused run_2
    assert rows_of(engine, T.lookup) == sorted(L1)
    assert read_state(engine, T).restored is True  # type: ignore[union-attr]
    # Clearing canonicalize after the refusal lets the gate decide again; the snapshot stays.
    keep_previous(engine, T, "run_2")
    assert read_state(engine, T).restored is False  # type: ignore[union-attr]
    assert rows_of(engine, T.lookup_previous) == sorted(L1)


def test_churn_and_id_history_of_a_merge_a_split_a_new_and_a_gone_id(engine: DuckDBEngine) -> None:
    write_lookup(engine, L1)
    keep_previous(engine, T, "run_2")
    write_lookup(engine, L2)
    assert churn(engine, T) == {
        "previous_exists": True,
        "identifiers_compared": 5,  # a1 a2 b1 c1 c2
        "identifiers_changed": 2,  # b1 B->A, c2 C->D
        "churn_share": 0.4,
        "clusters_merged": 1,  # A holds old A and old B
        "clusters_split": 1,  # old C is now C and D
        "ids_new": 1,  # D
        "ids_gone": 2,  # B, X
    }
    expected = [("run_2", "B", "A", 1), ("run_2", "C", "D", 1), ("run_2", "X", None, 1)]
    for _ in range(2):  # a retry replaces the run's rows
        assert write_id_history(engine, T, "run_2", had_previous=True) == 3
        assert sorted(engine.query(f"SELECT * FROM {T.id_history}"), key=repr) == sorted(expected, key=repr)


@pytest.mark.parametrize("run_id", ["x'; DROP TABLE t; --", "a\\b"], ids=["quote", "backslash"])
def test_run_ids_outside_airflows_pattern_are_refused(engine: DuckDBEngine, run_id: str) -> None:
    with pytest.raises(ValueError, match="plain run id"):
        keep_previous(engine, T, run_id)
