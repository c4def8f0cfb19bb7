"""Incremental runs give exactly what a full rebuild gives over the same source rows.

Each run goes through the product's prepare and commit steps and the directory's files on the
embedded engine (tests/incremental/driver.py); after it, every output table is compared row for row
with the default directory run from scratch on a copy of the same source tables, and the lookup
with networkx components. A run costs about 10 s here whatever the case size (statement overhead),
so both are ``beyond_test`` (``make incremental-runs``, about 4 minutes); the default suite checks the
steps alone (test_window.py), the generated files and the DAG's shape.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from airflow_idu.runstate.incremental import RefreshReason
from tests.ground_truth import assert_lookup_matches
from tests.incremental import driver
from tests.incremental.case import (
    BRIDGE_DAY,
    DUPLICATE_DAY,
    LATE_DAY,
    LATE_OUTSIDE_EMAIL,
    NEW_FIRST_DAY,
    IncrementalCase,
)

MERGE_BY = ["email", "customer_id", "phone_number"]
# What the late row outside the look-back changes in a full rebuild (one identifier, its cluster, and
# the row itself, which an incremental run does not enrich or count either).
LATE_OUTSIDE_TABLES = {
    "unified_customer_id_source_key_stats",
    "enriched_customer_profiles",
    "unified_customer_id_lookup",
    "unified_customer_id_graph",
    "unified_customer_id_result_key_stats",
    "customer_master",
}


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    return driver.generate(tmp_path / "inc", incremental=True), driver.generate(
        tmp_path / "full", incremental=False
    )


def _check_lookup(case: IncrementalCase, graph) -> None:
    assert_lookup_matches(
        case.database, lookup_table="unified.unified_customer_id_lookup", graph=graph, merge_by_keys=MERGE_BY
    )


def _lookup_has(database: Path, ident: str) -> bool:
    with duckdb.connect(str(database), read_only=True) as con:
        return bool(
            con.execute(f"SELECT COUNT(*) FROM {driver.RAW.lookup} WHERE id = ?", [ident]).fetchone()[0]
        )  # type: ignore[index]


@pytest.mark.beyond_test
def test_a_failed_run_leaves_the_watermarks_and_the_next_run_is_exact(
    tmp_path, dirs, case, monkeypatch
) -> None:
    inc, full = dirs
    case.deliver(1)
    with driver.engine_on(case.database, monkeypatch) as engine:
        driver.run_incremental(engine, inc, "day1")
    state = driver.watermarks(case.database)
    graph = case.deliver(BRIDGE_DAY)  # new people, an identifier sorting first, a record joining two clusters
    with driver.engine_on(case.database, monkeypatch) as engine, pytest.raises(driver.InjectedFailure):
        driver.run_incremental(engine, inc, "day3_try1", fail_late=True)
    assert driver.watermarks(case.database) == state, "a failed run moved the watermarks"
    with driver.engine_on(case.database, monkeypatch) as engine:
        window = driver.run_incremental(engine, inc, "day3_try2")
    assert window.reason is RefreshReason.INCREMENTAL
    assert driver.watermarks(case.database) != state
    driver.rebuild(case.database, tmp_path / "ref.duckdb", full)
    assert driver.differences(case.database, tmp_path / "ref.duckdb") == {}
    _check_lookup(case, graph)


@pytest.mark.beyond_test
def test_every_daily_run_equals_a_full_rebuild(tmp_path, dirs, case, monkeypatch) -> None:
    """Seven deliveries: the first run is full; then new people, an identifier sorting first, a bridge,
    a duplicate delivery, late rows inside and outside the look-back, a requested full refresh,
    and the same day run twice."""
    inc, full = dirs
    reference = tmp_path / "ref.duckdb"
    expected = {1: RefreshReason.NO_STATE, 6: RefreshReason.REQUESTED}
    assert {NEW_FIRST_DAY, BRIDGE_DAY, DUPLICATE_DAY, LATE_DAY} <= set(range(2, 6))
    for day in [*range(1, 8), 7]:
        graph = case.deliver(day, without_late_outside=LATE_DAY <= day < 6)
        with driver.engine_on(case.database, monkeypatch) as engine:
            window = driver.run_incremental(engine, inc, f"day{day}_{len(expected)}", full_refresh=day == 6)
        expected[0] = window.reason  # one more key: the repeated day gets a new run id
        assert window.reason is expected.get(day, RefreshReason.INCREMENTAL), day
        driver.rebuild(case.database, reference, full)
        found = driver.differences(case.database, reference)
        _check_lookup(case, graph)
        if LATE_DAY <= day < 6:
            # only a full refresh reads a row older than the watermark minus the look-back
            assert set(found) <= LATE_OUTSIDE_TABLES and not _lookup_has(case.database, LATE_OUTSIDE_EMAIL), (
                day
            )
        else:
            assert found == {}, (day, found)


def test_a_table_empty_at_the_last_commit_is_read_whole_by_the_next_run(
    tmp_path, dirs, case, monkeypatch
) -> None:
    """A source table with no rows at the last commit has no watermark (``since`` is NULL): the next
    run reads every row of it, in every file. The extract did; the enrich files and the master read
    none of them, so its enriched rows (and their master rows) were missing until a full refresh."""
    inc, full = dirs
    with duckdb.connect(str(case.database)) as con:
        con.execute("UPDATE src.support_tickets SET day = 2 WHERE day < 2")
    case.deliver(1)
    with driver.engine_on(case.database, monkeypatch) as engine:
        driver.run_incremental(engine, inc, "day1")
    assert (
        dict((t.split(".")[-1], w) for t, w, *_ in driver.watermarks(case.database))["support_tickets"]
        is None
    )
    graph = case.deliver(2)
    with driver.engine_on(case.database, monkeypatch) as engine:
        window = driver.run_incremental(engine, inc, "day2")
    assert window.reason is RefreshReason.INCREMENTAL
    assert [r.since is None for r in window.rows] == [False, False, False, True]
    driver.rebuild(case.database, tmp_path / "ref.duckdb", full)
    assert driver.differences(case.database, tmp_path / "ref.duckdb") == {}
    _check_lookup(case, graph)
