"""The identity-health measures and ``explain`` read every source link on an incremental run too.

An incremental run's loop 0 holds only the components it reached, seeded with their previous stars
(links no record makes), so the gate's per-value link counts and shared values, and explain's
chains, read the stored links beside the run's (``TableNames.source_links``). Checked against the
same measures on a full rebuild of the default directory over the same rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_idu.health.explain import explain
from airflow_idu.health.measure import ClusterOptions, measure_clusters
from tests.incremental import driver
from tests.incremental.case import BRIDGE_DAY, build_incremental_case

pytestmark = pytest.mark.slow

# every cluster and every shared value, so a wrong link anywhere shows
EVERYTHING = {"largest": 10_000, "top_values": 10_000, "shared_min_leaders": 1, "shared_limit": 10_000}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the incremental database after day 1 in full and the bridge day incrementally, its full rebuild)."""
    tmp = tmp_path_factory.mktemp("health_links")
    case = build_incremental_case(tmp / "inc.duckdb", people=24, seed=5, days=7)
    inc, full = (
        driver.generate(tmp / "inc", incremental=True),
        driver.generate(tmp / "full", incremental=False),
    )
    with pytest.MonkeyPatch.context() as mp:
        case.deliver(1)
        with driver.engine_on(case.database, mp) as engine:
            driver.run_incremental(engine, inc, "day1")
        case.deliver(BRIDGE_DAY)
        with driver.engine_on(case.database, mp) as engine:
            assert not driver.run_incremental(engine, inc, "bridge").full_refresh
    driver.rebuild(case.database, tmp / "ref.duckdb", full)
    return case.database, tmp / "ref.duckdb"


def _measures(database: Path, *, incremental: bool) -> dict:
    with pytest.MonkeyPatch.context() as mp, driver.engine_on(database, mp) as engine:
        return measure_clusters(engine, driver.TABLES, ClusterOptions(**EVERYTHING, incremental=incremental))


def test_the_gate_measures_equal_a_full_rebuilds(runs: tuple[Path, Path]) -> None:
    incremental, reference = runs
    expected = _measures(reference, incremental=False)
    assert _measures(incremental, incremental=True) == expected
    # loop 0 alone (the reached components and their stars) would not
    assert _measures(incremental, incremental=False) != expected


def _answer(database: Path, a: str, b: str, *, incremental: bool) -> dict:
    with pytest.MonkeyPatch.context() as mp, driver.engine_on(database, mp) as engine:
        return explain(engine, driver.TABLES, a, b, incremental=incremental)


def test_explain_finds_the_same_chain_as_on_a_full_rebuild(runs: tuple[Path, Path]) -> None:
    incremental, reference = runs
    # the largest cluster's two most linked values (from the full rebuild)
    cluster = _measures(reference, incremental=False)["largest_clusters"][0]
    a, b = (v["value"] for v in cluster["top_values"][:2])
    expected = _answer(reference, a, b, incremental=False)
    assert expected["links"], expected
    assert _answer(incremental, a, b, incremental=True) == expected
