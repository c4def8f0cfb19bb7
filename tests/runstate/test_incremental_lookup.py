"""``replace`` mode on a lookup an incremental-capable directory updated in place.

The rows canonicalize did not touch still hold the persistent ids the last stage wrote; one of them
can equal the canonical id of a cluster that did change (after a split, the larger part keeps the id
its old leader gave, and that leader later leads a changed cluster). Staging then reads clusters from
the graph leaders (``incremental=True``), so the two stay apart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from airflow_idu.engines.duckdb import DuckDBEngine
from airflow_idu.generate.canonical import canonical_id
from airflow_idu.runstate import PersistentIdMode
from airflow_idu.runstate import incremental as incremental_sql
from airflow_idu.runstate.steps import commit_persistent_ids, stage_persistent_ids
from tests.runstate.conftest import RAW, TABLES

Members = dict[str, str]  # identifier -> its leader (all of key type 1)


@pytest.fixture
def run(tmp_path: Path, open_engine: Callable[[Path], DuckDBEngine]) -> Callable[..., dict[str, str]]:
    database = tmp_path / "inc.duckdb"

    def one_run(run_id: str, members: Members, lookup_ids: dict[str, str] | None = None) -> dict[str, str]:
        """The graph of ``members``; the lookup with each row's canonical id (``lookup_ids`` overrides
        rows, as an in-place update leaves them); stage and commit in replace mode."""
        with duckdb.connect(str(database)) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS unified")
            con.execute(
                f"CREATE OR REPLACE TABLE {RAW.graph()} (follower_id VARCHAR, follower_ns BIGINT, "
                "leader_id VARCHAR, leader_ns BIGINT)"
            )
            con.executemany(f"INSERT INTO {RAW.graph()} VALUES (?, 1, ?, 1)", list(members.items()))
            con.execute(
                f"CREATE OR REPLACE TABLE {RAW.lookup} (canonical_id VARCHAR, id VARCHAR, id_key_type BIGINT, "
                "id_first_seen_at BIGINT)"
            )
            rows = [
                ((lookup_ids or {}).get(i, canonical_id(leader, 1)), i, 10) for i, leader in members.items()
            ]
            con.executemany(f"INSERT INTO {RAW.lookup} VALUES (?, ?, 1, ?)", rows)
        engine = open_engine(database)
        try:
            # the incremental state tables exist in such a directory (its prepare step creates them)
            engine.run_script(incremental_sql.ddl_sql(TABLES), label="incremental state tables")
            stage_persistent_ids(
                engine, TABLES, run_id=run_id, mode=PersistentIdMode.REPLACE, incremental=True
            )
            commit_persistent_ids(engine, TABLES, run_id=run_id)
        finally:
            engine.close()
        with duckdb.connect(str(database), read_only=True) as con:
            return dict(con.execute(f"SELECT id, canonical_id FROM {RAW.lookup}").fetchall())

    return one_run


def test_an_untouched_clusters_persistent_id_equal_to_a_changed_clusters_canonical_id(run) -> None:
    given = run("r1", {"a": "a", "u1": "a", "u2": "a"})
    assert set(given.values()) == {canonical_id("a", 1)}
    # a full refresh splits the cluster: {u1, u2} (the larger part) keeps a's id, {a} gets a fresh one
    split = run("r2", {"a": "a", "u1": "u1", "u2": "u1"})
    kept, fresh = split["u1"], split["a"]
    assert kept == canonical_id("a", 1) and split["u2"] == kept and fresh != kept
    # an incremental run: b joins a's cluster; the lookup rows of {a, b} are rewritten with a's
    # canonical id, those of {u1, u2} still hold the persistent id, which is that same string
    after = run("r3", {"a": "a", "b": "a", "u1": "u1", "u2": "u1"}, lookup_ids={"u1": kept, "u2": kept})
    assert after == {"a": fresh, "b": fresh, "u1": kept, "u2": kept}
